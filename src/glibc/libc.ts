// Finding the libc a target maps, its file (through /proc/PID/root, so a
// containerised target's own libc is read, not the host's), its load bias and
// its version from the banner in target memory (csu/version.c: "GNU C Library ... release
// version 2.NN", in libc's read-only data since 2.0).
import { readFileSync } from 'node:fs';
import type { MemoryReader } from '../memory/reader.js';
import type { MapEntry } from '../proc/maps.js';
import { procPath } from '../proc/procfs.js';
import { ElfFile } from './elf.js';

export interface LibraryMapping {
  path: string;
  /** Path usable from the inspector: /proc/PID/root/<path>. */
  hostPath: string;
  mappings: MapEntry[];
  /** Start of the mapping with file offset 0. */
  base: number;
}

/** libc.so.6 (2.34+) or libc-X.Y.so (up to 2.33). */
export const libcName = /(^|\/)libc(-\d+\.\d+)?\.so(\.6)?$/;
export const mallocDebugName = /(^|\/)libc_malloc_debug\.so(\.0)?$/;

export function findLibrary(pid: number, maps: MapEntry[], name: RegExp): LibraryMapping | null {
  const mine = maps.filter((m) => name.test(m.path));
  if (!mine.length) return null;
  const path = mine[0]!.path;
  const same = maps.filter((m) => m.path === path);
  const first = same.find((m) => m.offset === 0) ?? same[0]!;
  return { path, hostPath: procPath(pid, 'root') + path, mappings: same, base: first.start };
}

export function readLibraryFile(lib: LibraryMapping): Buffer | null {
  for (const p of [lib.hostPath, lib.path]) {
    try {
      return readFileSync(p);
    } catch {
      // try the next
    }
  }
  return null;
}

/** Load bias: where the file's vaddr 0 landed. */
export function loadBias(lib: LibraryMapping, elf: ElfFile | null): number {
  const firstLoad = elf?.segments.find((s) => s.type === 1 && s.offset === 0);
  return lib.base - (firstLoad ? firstLoad.vaddr - (firstLoad.vaddr % 4096) : 0);
}

export interface GlibcVersion {
  major: number;
  minor: number;
  /** "2.36" */
  text: string;
  /** The whole banner, e.g. "GNU C Library (Debian GLIBC 2.36-9+deb12u14) stable release version 2.36." */
  banner: string;
}

const bannerRe = /GNU C Library[^\n\0]*?release version (\d+)\.(\d+)[^\n\0]*/;

export function parseBanner(text: string): GlibcVersion | null {
  const m = bannerRe.exec(text);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), text: `${m[1]}.${m[2]}`, banner: m[0].replace(/\s+$/, '') };
}

/** Reads the banner from the target's read-only libc mappings; falls back to the file. */
export function readGlibcVersion(reader: MemoryReader, lib: LibraryMapping, file: Buffer | null): GlibcVersion | null {
  for (const m of lib.mappings) {
    if (m.perms[0] !== 'r' || m.perms[2] === 'x' || m.perms[1] === 'w') continue;
    const len = Math.min(m.end - m.start, 8 << 20);
    const r = reader.read(m.start, len);
    const at = r.data.indexOf('GNU C Library');
    if (at < 0) continue;
    const v = parseBanner(r.data.toString('latin1', at, Math.min(r.data.length, at + 512)));
    if (v) return v;
  }
  if (file) {
    const at = file.indexOf('GNU C Library');
    if (at >= 0) return parseBanner(file.toString('latin1', at, at + 512));
  }
  return null;
}

/** Build-id read from the target's first libc mapping (ELF header, phdrs, PT_NOTE all live in it). */
export function readBuildIdFromMemory(reader: MemoryReader, lib: LibraryMapping): string | null {
  const first = lib.mappings.find((m) => m.offset === 0);
  if (!first) return null;
  const head = reader.readExact(first.start, Math.min(first.end - first.start, 64 * 1024));
  if (!head) return null;
  try {
    return new ElfFile(head).buildId();
  } catch {
    return null;
  }
}
