// Just enough of ELF64 (little-endian) to read a libc release from the outside:
// its build-id note, a symbol of its debug file's .symtab, and the initialized
// bytes at a link-time address (what a static variable holds before main).
import fs from 'node:fs';

const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;
const NT_GNU_BUILD_ID = 3;

export class Elf {
  constructor(file) {
    this.file = file;
    const buf = fs.readFileSync(file);
    if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) {
      throw new Error(`${file}: not a little-endian ELF64 file`);
    }
    this.buf = buf;
    const shoff = Number(buf.readBigUInt64LE(0x28));
    const shentsize = buf.readUInt16LE(0x3a);
    const shnum = buf.readUInt16LE(0x3c);
    const shstrndx = buf.readUInt16LE(0x3e);
    this.sections = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      this.sections.push({
        nameOffset: buf.readUInt32LE(o),
        type: buf.readUInt32LE(o + 4),
        addr: Number(buf.readBigUInt64LE(o + 0x10)),
        offset: Number(buf.readBigUInt64LE(o + 0x18)),
        size: Number(buf.readBigUInt64LE(o + 0x20)),
        link: buf.readUInt32LE(o + 0x28),
        entsize: Number(buf.readBigUInt64LE(o + 0x38)),
      });
    }
    const names = this.sections[shstrndx];
    for (const s of this.sections) s.name = this.cString(names.offset + s.nameOffset);
  }

  cString(at) {
    const end = this.buf.indexOf(0, at);
    return this.buf.toString('latin1', at, end);
  }

  section(name) {
    return this.sections.find((s) => s.name === name);
  }

  /** The NT_GNU_BUILD_ID note as lower-case hex, or null. */
  buildId() {
    const s = this.section('.note.gnu.build-id');
    if (!s) return null;
    let o = s.offset;
    while (o + 12 <= s.offset + s.size) {
      const namesz = this.buf.readUInt32LE(o);
      const descsz = this.buf.readUInt32LE(o + 4);
      const type = this.buf.readUInt32LE(o + 8);
      const nameAt = o + 12;
      const descAt = nameAt + ((namesz + 3) & ~3);
      if (type === NT_GNU_BUILD_ID && this.cString(nameAt) === 'GNU') {
        return this.buf.toString('hex', descAt, descAt + descsz);
      }
      o = descAt + ((descsz + 3) & ~3);
    }
    return null;
  }

  /** { value, size } of the first .symtab symbol called `name`, or null. */
  symbol(name) {
    const symtab = this.sections.find((s) => s.type === SHT_SYMTAB);
    if (!symtab) return null;
    const strtab = this.sections[symtab.link];
    for (let o = symtab.offset; o + 24 <= symtab.offset + symtab.size; o += symtab.entsize || 24) {
      if (this.cString(strtab.offset + this.buf.readUInt32LE(o)) !== name) continue;
      return { value: Number(this.buf.readBigUInt64LE(o + 8)), size: Number(this.buf.readBigUInt64LE(o + 16)) };
    }
    return null;
  }

  /** The file's bytes for [addr, addr + length) of an initialized (PROGBITS) section. */
  bytesAt(addr, length) {
    const s = this.sections.find((x) => x.type !== SHT_NOBITS && x.addr !== 0 && addr >= x.addr && addr + length <= x.addr + x.size);
    if (!s) throw new Error(`${this.file}: no initialized section holds 0x${addr.toString(16)}+${length}`);
    return this.buf.subarray(s.offset + (addr - s.addr), s.offset + (addr - s.addr) + length);
  }
}
