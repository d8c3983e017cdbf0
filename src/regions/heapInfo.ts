// Finding glibc non-main-arena heaps from outside (arena.c new_heap, struct
// _heap_info; its size grew 0x20 -> 0x30 in 2.35 with pagesize): each heap is
// an mmap of heap_max bytes aligned to heap_max; [base, base+mprotect_size) is
// rw-p and the rest ---p. heap_info sits at the base:
//   ar_ptr @0, prev @8, size @0x10, mprotect_size @0x18 (2.35+: pagesize @0x20).
// The first heap of an arena holds the arena itself right after heap_info, so
// ar_ptr == base + sizeof(heap_info) (0x20 up to 2.34, 0x30 from 2.35).
import type { MemoryReader } from '../memory/reader.js';
import { isAnonymous, type MapEntry } from '../proc/maps.js';
import type { HeapInfoRecord } from './kinds.js';

/** HEAP_MAX_SIZE = 2 * DEFAULT_MMAP_THRESHOLD_MAX = 2 * 32 MiB on 64-bit. */
export const defaultHeapMax = 64 * 1024 * 1024;
/** With glibc.malloc.hugetlb=2 on 2.35-2.41, heap_max = 4 * huge page size (2 MiB pages -> 8 MiB; 1 GiB pages -> 4 GiB). */
export const hugetlbHeapMaxes = [8 * 1024 * 1024, 4 * 1024 * 1024 * 1024];
const heapInfoSizes = [0x20, 0x30];
const page = 4096;

export interface RawHeapInfo {
  arPtr: number;
  prev: number;
  size: number;
  mprotectSize: number;
}

export function parseHeapInfo(buf: Buffer): RawHeapInfo | null {
  if (buf.length < 0x20) return null;
  const big = [0, 8, 16, 24].map((o) => buf.readBigUInt64LE(o));
  if (big.some((v) => v > BigInt(Number.MAX_SAFE_INTEGER))) return null;
  const [arPtr, prev, size, mprotectSize] = big.map(Number) as [number, number, number, number];
  return { arPtr, prev, size, mprotectSize };
}

/** Checks heap_info invariants for a heap at base; rwEnd is where the readable mapping run ends. */
export function plausibleHeapInfo(h: RawHeapInfo, base: number, heapMax: number, rwEnd: number): boolean {
  if (h.size % page !== 0 || h.mprotectSize % page !== 0) return false;
  if (h.size <= 0 || h.size > h.mprotectSize || h.mprotectSize > heapMax) return false;
  if (base + h.mprotectSize > rwEnd) return false;
  if (h.prev === 0) return heapInfoSizes.some((s) => h.arPtr === base + s);
  // A later heap: prev is another heap's base, ar_ptr is an arena in some first heap.
  if (h.prev % heapMax !== 0 || h.prev === base) return false;
  const arOff = h.arPtr % heapMax;
  return heapInfoSizes.includes(arOff) && h.arPtr - arOff !== base;
}

export function readHeapInfoAt(reader: MemoryReader, base: number): RawHeapInfo | null {
  const buf = reader.readExact(base, 0x20);
  return buf ? parseHeapInfo(buf) : null;
}

/**
 * Finds heaps whose heap_info lies in a readable anonymous mapping [start, end).
 * Tries each heap_max in turn; a mapping can hold several heaps when the kernel
 * merged fully-grown neighbours into one VMA. rwEnd is where the run of adjacent
 * readable mappings from start ends (default end): a heap's rw part may continue
 * into the next mappings when madvise split it (malloc.c madvise_thp).
 */
export function findHeapsIn(
  reader: MemoryReader,
  start: number,
  end: number,
  heapMaxes: number[] = [defaultHeapMax, ...hugetlbHeapMaxes],
  rwEnd: number = end,
): HeapInfoRecord[] {
  for (const heapMax of heapMaxes) {
    const found: HeapInfoRecord[] = [];
    let base = Math.ceil(start / heapMax) * heapMax;
    for (; base < end; base += heapMax) {
      const info = readHeapInfoAt(reader, base);
      if (!info || !plausibleHeapInfo(info, base, heapMax, Math.max(end, rwEnd))) continue;
      found.push({ base, arena: info.arPtr, prev: info.prev, size: info.size, mprotectSize: info.mprotectSize, heapMax });
    }
    if (found.length) return found;
  }
  return [];
}

/**
 * For each mapping (in address order), where the run of adjacent readable anonymous
 * mappings it starts ends: a heap's rw part [base, base + mprotect_size) spans several
 * mappings when madvise changed the flags of part of it (malloc.c madvise_thp advises a
 * new heap's initial range, arena.c alloc_new_heap; grow_heap's mprotect then adds an
 * unadvised mapping after it).
 */
export function readableRunEnds(entries: Array<Pick<MapEntry, 'start' | 'end' | 'perms' | 'path'>>): number[] {
  const ends = entries.map((e) => e.end);
  const readable = (x: Pick<MapEntry, 'perms' | 'path'>) => isAnonymous(x) && x.perms.startsWith('rw');
  for (let i = entries.length - 2; i >= 0; i--) {
    const e = entries[i]!;
    const next = entries[i + 1]!;
    if (readable(e) && readable(next) && next.start === e.end) ends[i] = ends[i + 1]!;
  }
  return ends;
}
