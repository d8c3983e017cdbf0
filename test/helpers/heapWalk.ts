// A deliberately small, independent chunk walker over /proc/PID/mem, used only to check the
// test targets' own claims (e.g. "live.tsv + tcache structs = every in-use chunk"). It is
// not arenascope's parser and shares no code with it. Facts from glibc's
// arena.c (heap_info at each heap's base) and malloc.c (the boundary tags).
import fs from 'node:fs';
import { compareGlibcVersions } from './glibc.js';

export interface MapsEntry {
  start: number;
  end: number;
  perms: string;
  offset: number;
  path: string;
}

export function readMaps(pid: number): MapsEntry[] {
  return fs
    .readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \d+\s*(.*)$/.exec(line);
      if (!m) throw new Error(`bad maps line: ${line}`);
      return {
        start: Number.parseInt(m[1] as string, 16),
        end: Number.parseInt(m[2] as string, 16),
        perms: m[3] as string,
        offset: Number.parseInt(m[4] as string, 16),
        path: (m[5] ?? '').trim(),
      };
    });
}

/**
 * Reads `length` bytes at `address` of process `pid` (needs ptrace access, e.g.
 * root). A page of a private anonymous mapping that pagemap shows neither
 * present nor swapped reads as zeros and is not read: reading it would make it
 * resident (or map the zero page), and later checks of what the target holds
 * would see the test's own footprint. (A file mapping's non-present page holds
 * file bytes, and is read.)
 */
export function readMemory(pid: number, address: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  if (length === 0) return buffer;
  const first = Math.floor(address / 4096);
  const last = Math.floor((address + length - 1) / 4096);
  const entries = Buffer.alloc((last - first + 1) * 8);
  const pm = fs.openSync(`/proc/${pid}/pagemap`, 'r');
  try {
    fs.readSync(pm, entries, 0, entries.length, first * 8);
  } finally {
    fs.closeSync(pm);
  }
  // bit 63 present, bit 62 swapped (Documentation/admin-guide/mm/pagemap.rst)
  const anon = readMaps(pid).filter((m) => m.perms.endsWith('p') && (m.path === '' || m.path === '[heap]' || m.path.startsWith('[stack') || m.path.startsWith('[anon:')));
  const inAnon = (page: number) => anon.some((m) => page * 4096 >= m.start && page * 4096 < m.end);
  const mustRead = (page: number) => (entries.readUInt32LE((page - first) * 8 + 4) & 0xc0000000) !== 0 || !inAnon(page);
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  try {
    for (let page = first; page <= last; page++) {
      if (!mustRead(page)) continue;
      let runEnd = page;
      while (runEnd + 1 <= last && mustRead(runEnd + 1)) runEnd++;
      const from = Math.max(address, page * 4096);
      const to = Math.min(address + length, (runEnd + 1) * 4096);
      let done = 0;
      while (done < to - from) {
        const n = fs.readSync(fd, buffer, from - address + done, to - from - done, from + done);
        if (n <= 0) throw new Error(`short read at 0x${(from + done).toString(16)}`);
        done += n;
      }
      page = runEnd;
    }
    return buffer;
  } finally {
    fs.closeSync(fd);
  }
}

export interface HeapRegion {
  kind: 'main' | 'thread';
  vmaStart: number;
  /** Address of the first chunk header. */
  firstChunk: number;
  /** End of the chunk area (brk end / heap_info.size). */
  end: number;
}

export interface WalkedChunk {
  /** Chunk header address (user pointer = address + 0x10). */
  address: number;
  size: number;
  /** From the next chunk's PREV_INUSE bit; tcache and fastbin chunks also read as in use. */
  inUse: boolean;
  region: HeapRegion;
}

export interface HeapWalk {
  regions: HeapRegion[];
  chunks: WalkedChunk[];
}

const HEAP_MAX = 64 * 1024 * 1024; // HEAP_MAX_SIZE on x86-64 without hugetlb tunables
// sizeof(struct malloc_state): 0x898 in glibc 2.27-2.42, 0x840 from 2.43 (fastbins removed).
const mallocStateSize = (glibcVersion: string) => (compareGlibcVersions(glibcVersion, '2.43') >= 0 ? 0x840 : 0x898);

function u64(buf: Buffer, offset: number): number {
  return Number(buf.readBigUInt64LE(offset));
}

/**
 * Walks chunks [first, end) in `buf` (which starts at `base`); returns null if the chain
 * does not land exactly on `end` (the top chunk's end) with sane sizes.
 */
function walkChain(buf: Buffer, base: number, first: number, end: number, region: HeapRegion): WalkedChunk[] | null {
  const chunks: { address: number; size: number }[] = [];
  let c = first;
  while (c < end) {
    if (c + 16 > base + buf.length) return null;
    const size = u64(buf, c - base + 8) & ~7;
    if (size < 0x10 || size % 16 !== 0 || c + size > end) return null;
    if (size === 0x10) {
      // Fencepost at the end of a retired heap: 0x10|PREV_INUSE then a 0 size header.
      return finishChain(buf, base, chunks, region);
    }
    chunks.push({ address: c, size });
    c += size;
  }
  if (c !== end) return null;
  chunks.pop(); // the last chunk is top
  return finishChain(buf, base, chunks, region);
}

function finishChain(buf: Buffer, base: number, chunks: { address: number; size: number }[], region: HeapRegion): WalkedChunk[] {
  return chunks.map(({ address, size }) => ({
    address,
    size,
    inUse: (u64(buf, address + size - base + 8) & 1) === 1,
    region,
  }));
}

/**
 * Finds the main [heap] and every thread-arena heap in the maps and walks their chunks.
 * The main heap's first chunk is mp_.sbrk_base, which is not always the [heap] start
 * (glibc 2.31 copies GLIBC_TUNABLES there with sbrk before malloc runs), so the walker
 * tries 16-byte offsets until a chain ends exactly at the end of [heap].
 */
export function walkHeaps(pid: number, glibcVersion: string): HeapWalk {
  const heapInfoSize = compareGlibcVersions(glibcVersion, '2.35') >= 0 ? 0x30 : 0x20;
  // First chunk of a first heap: after heap_info and malloc_state, rounded up so chunk+0x10 is 16-aligned.
  const firstChunkOffset = (heapInfoSize + mallocStateSize(glibcVersion) + 15) & ~15;
  const maps = readMaps(pid);
  const regions: HeapRegion[] = [];
  const chunks: WalkedChunk[] = [];
  for (const [i, vma] of maps.entries()) {
    if (vma.path === '[heap]') {
      const buf = readMemory(pid, vma.start, vma.end - vma.start);
      let walked: WalkedChunk[] | null = null;
      for (let offset = 0; offset < 64 * 1024 && offset < buf.length && !walked; offset += 16) {
        const region: HeapRegion = { kind: 'main', vmaStart: vma.start, firstChunk: vma.start + offset, end: vma.end };
        walked = walkChain(buf, vma.start, region.firstChunk, vma.end, region);
        if (walked) {
          regions.push(region);
          chunks.push(...walked);
        }
      }
      if (!walked) throw new Error('main heap: no chunk chain reaches the end of [heap]');
    } else if (vma.perms === 'rw-p' && vma.path === '') {
      // A heap's rw part can merge with an adjacent anonymous mapping (a thread
      // stack mapped right below it), so look at every HEAP_MAX-aligned address.
      for (let base = Math.ceil(vma.start / HEAP_MAX) * HEAP_MAX; base < vma.end; base += HEAP_MAX) {
        const header = readMemory(pid, base, heapInfoSize);
        const arena = u64(header, 0);
        const size = u64(header, 16);
        if (size === 0 || base + size > vma.end || size % 4096 !== 0) continue;
        const isFirstHeap = arena === base + heapInfoSize;
        if (!isFirstHeap && arena % HEAP_MAX !== heapInfoSize) continue;
        const region: HeapRegion = {
          kind: 'thread',
          vmaStart: base,
          firstChunk: base + (isFirstHeap ? firstChunkOffset : heapInfoSize),
          end: base + size,
        };
        const buf = readMemory(pid, base, size);
        const walked = walkChain(buf, base, region.firstChunk, region.end, region);
        if (!walked) throw new Error(`thread heap 0x${base.toString(16)}: chunk chain is broken`);
        regions.push(region);
        chunks.push(...walked);
      }
    }
  }
  return { regions, chunks };
}
