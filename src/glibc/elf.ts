// A minimal ELF64 little-endian reader: enough to find a build-id note, a
// symbol in .symtab/.dynsym, the sections that hold .data, and the relocation
// records that carry pointer initialisers (RELR and RELA). Input is a Buffer
// holding the file (or its first pages, for notes read from target memory);
// every offset is bounds-checked because the bytes may be hostile.

export interface ElfSection {
  name: string;
  type: number;
  flags: bigint;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
}

export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  type: number; // STT_*
  bind: number; // STB_*
  shndx: number;
}

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_NOTE = 4;
export const PT_TLS = 7;
export const SHT_SYMTAB = 2;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;
export const SHT_RELR = 19;
export const SHF_COMPRESSED = 0x800n;
export const STT_TLS = 6;
export const NT_GNU_BUILD_ID = 3;
export const R_X86_64_RELATIVE = 8;

function u64(b: Buffer, off: number): number {
  if (off < 0 || off + 8 > b.length) throw new RangeError('ELF read past end');
  const v = b.readBigUInt64LE(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('ELF value too large');
  return Number(v);
}

export class ElfFile {
  readonly buf: Buffer;
  readonly type: number;
  readonly machine: number;
  readonly segments: ElfSegment[];
  private sectionsCache: ElfSection[] | null = null;

  constructor(buf: Buffer) {
    if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
    if (buf[4] !== 2 || buf[5] !== 1) throw new Error('not a 64-bit little-endian ELF file');
    this.buf = buf;
    this.type = buf.readUInt16LE(16);
    this.machine = buf.readUInt16LE(18);
    const phoff = u64(buf, 32);
    const phentsize = buf.readUInt16LE(54);
    const phnum = buf.readUInt16LE(56);
    this.segments = [];
    for (let i = 0; i < phnum && i < 128; i++) {
      const o = phoff + i * phentsize;
      if (o + 56 > buf.length) break;
      this.segments.push({
        type: buf.readUInt32LE(o),
        flags: buf.readUInt32LE(o + 4),
        offset: u64(buf, o + 8),
        vaddr: u64(buf, o + 16),
        filesz: u64(buf, o + 32),
        memsz: u64(buf, o + 40),
      });
    }
  }

  get sections(): ElfSection[] {
    if (this.sectionsCache) return this.sectionsCache;
    const b = this.buf;
    const out: ElfSection[] = [];
    try {
      const shoff = u64(b, 40);
      const shentsize = b.readUInt16LE(58);
      const shnum = b.readUInt16LE(60);
      const shstrndx = b.readUInt16LE(62);
      const raw: Omit<ElfSection, 'name'>[] & { nameOff?: number }[] = [];
      const nameOffs: number[] = [];
      for (let i = 0; i < shnum && i < 4096; i++) {
        const o = shoff + i * shentsize;
        if (o + 64 > b.length) break;
        nameOffs.push(b.readUInt32LE(o));
        raw.push({
          type: b.readUInt32LE(o + 4),
          flags: b.readBigUInt64LE(o + 8),
          addr: u64(b, o + 16),
          offset: u64(b, o + 24),
          size: u64(b, o + 32),
          link: b.readUInt32LE(o + 40),
          entsize: u64(b, o + 56),
        });
      }
      const strtab = raw[shstrndx];
      raw.forEach((s, i) => {
        out.push({ ...s, name: strtab ? readCString(b, strtab.offset + nameOffs[i]!) : '' });
      });
    } catch {
      // truncated section table: sections stay empty, segments still work
    }
    this.sectionsCache = out;
    return out;
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The GNU build-id as lowercase hex, from PT_NOTE segments (or .note sections). */
  buildId(): string | null {
    const ranges = this.segments.filter((s) => s.type === PT_NOTE).map((s) => [s.offset, s.filesz] as const);
    for (const s of this.sections) if (s.type === 7) ranges.push([s.offset, s.size]);
    for (const [off, size] of ranges) {
      const id = findBuildIdNote(this.buf, off, size);
      if (id) return id;
    }
    return null;
  }

  /**
   * Symbols from .symtab and/or .dynsym. With `names`, only symbols so named
   * are decoded: a debug libc has ~10k symbols and the callers want eight.
   */
  symbols(which: 'symtab' | 'dynsym' | 'both' = 'both', names?: ReadonlySet<string>): ElfSymbol[] {
    const wanted = names ? [...names].map((n) => Buffer.from(n + '\0', 'latin1')) : null;
    const out: ElfSymbol[] = [];
    for (const s of this.sections) {
      const want = (s.type === SHT_SYMTAB && which !== 'dynsym') || (s.type === SHT_DYNSYM && which !== 'symtab');
      if (!want || s.entsize < 24) continue;
      const strtab = this.sections[s.link];
      if (!strtab) continue;
      const n = Math.floor(s.size / s.entsize);
      for (let i = 0; i < n; i++) {
        const o = s.offset + i * s.entsize;
        if (o + 24 > this.buf.length) break;
        const info = this.buf[o + 4]!;
        const nameOff = strtab.offset + this.buf.readUInt32LE(o);
        if (wanted && !wanted.some((w) => w[0] === this.buf[nameOff] && this.buf.compare(w, 0, w.length, nameOff, nameOff + w.length) === 0)) continue;
        out.push({
          name: readCString(this.buf, nameOff),
          type: info & 0xf,
          bind: info >> 4,
          shndx: this.buf.readUInt16LE(o + 6),
          value: u64(this.buf, o + 8),
          size: u64(this.buf, o + 16),
        });
      }
    }
    return out;
  }

  /** File offset of a virtual address inside a PT_LOAD segment's file image, or null. */
  fileOffsetOf(vaddr: number): number | null {
    for (const s of this.segments) {
      if (s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return s.offset + (vaddr - s.vaddr);
    }
    return null;
  }

  /** Addresses that receive load-bias-relative pointers, with the link-time value stored there. */
  relativeRelocations(): Map<number, number> {
    const out = new Map<number, number>();
    for (const s of this.sections) {
      if (s.type === SHT_RELA && s.entsize === 24) {
        for (let o = s.offset; o + 24 <= s.offset + s.size && o + 24 <= this.buf.length; o += 24) {
          const info = this.buf.readBigUInt64LE(o + 8);
          if (Number(info & 0xffffffffn) === R_X86_64_RELATIVE) out.set(u64(this.buf, o), Number(this.buf.readBigInt64LE(o + 16)));
        }
      } else if (s.type === SHT_RELR) {
        // RELR: an address entry (even) relocates that word and sets the base;
        // a bitmap entry (odd) relocates up to 63 following words.
        let base = 0;
        for (let o = s.offset; o + 8 <= s.offset + s.size && o + 8 <= this.buf.length; o += 8) {
          const e = this.buf.readBigUInt64LE(o);
          if ((e & 1n) === 0n) {
            const at = Number(e);
            this.addRelrTarget(out, at);
            base = at + 8;
          } else {
            let bits = e >> 1n;
            for (let i = 0; bits !== 0n && i < 63; i++, bits >>= 1n) {
              if (bits & 1n) this.addRelrTarget(out, base + i * 8);
            }
            base += 63 * 8;
          }
        }
      }
    }
    return out;
  }

  private addRelrTarget(out: Map<number, number>, at: number): void {
    // With RELR the addend is the word already in the file at that address.
    const off = this.fileOffsetOf(at);
    if (off !== null && off + 8 <= this.buf.length) out.set(at, u64(this.buf, off));
  }
}

export function readCString(b: Buffer, off: number, max = 4096): string {
  if (off < 0 || off >= b.length) return '';
  let end = off;
  const lim = Math.min(b.length, off + max);
  while (end < lim && b[end] !== 0) end++;
  return b.toString('latin1', off, end);
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Walks ELF notes in [off, off+size) and returns the NT_GNU_BUILD_ID payload as hex. */
export function findBuildIdNote(b: Buffer, off: number, size: number): string | null {
  let p = off;
  const end = Math.min(b.length, off + size);
  while (p + 12 <= end) {
    const namesz = b.readUInt32LE(p);
    const descsz = b.readUInt32LE(p + 4);
    const type = b.readUInt32LE(p + 8);
    const nameOff = p + 12;
    const descOff = nameOff + align4(namesz);
    if (descOff + descsz > end || namesz > 256 || descsz > 1024) return null;
    if (type === NT_GNU_BUILD_ID && b.toString('latin1', nameOff, nameOff + 3) === 'GNU') {
      return b.toString('hex', descOff, descOff + descsz);
    }
    p = descOff + align4(descsz);
  }
  return null;
}
