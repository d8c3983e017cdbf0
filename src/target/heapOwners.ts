// The light alternative to readRegionMap for scans of a given range or region:
// /proc/PID/maps (not smaps, no thread or mmapped-chunk passes) plus the
// heap_info of the glibc heaps that overlap the scanned ranges, which is all
// that is needed to name the mapping around an address and the arena that
// owns it. `strings --region` runs on this path, where start-up time counts.
import type { MemoryReader } from '../memory/reader.js';
import { isAnonymous, type MapEntry } from '../proc/maps.js';
import { findHeapsIn, readableRunEnds } from '../regions/heapInfo.js';
import type { HeapInfoRecord } from '../regions/kinds.js';

type Range = { start: number; end: number };

export function mappingContaining(maps: MapEntry[], address: number): MapEntry | undefined {
  return maps.find((e) => address >= e.start && address < e.end);
}

/**
 * The arena owning each address of `ranges`: heap_info is read only in the runs
 * of adjacent anonymous rw mappings that overlap them (a heap's rw part can be
 * several mappings, its heap_info in the first). null outside glibc non-main heaps.
 */
export function arenaOwnersIn(reader: MemoryReader, maps: MapEntry[], ranges: Range[]): (address: number) => number | null {
  const overlaps = (start: number, end: number) => ranges.some((r) => r.start < end && start < r.end);
  const runEnd = readableRunEnds(maps);
  const heaps: HeapInfoRecord[] = [];
  for (const [i, e] of maps.entries()) {
    if (!isAnonymous(e) || !e.perms.startsWith('rw')) continue;
    // A heap whose heap_info lies in e can reach to the end of e's run.
    if (overlaps(e.start, runEnd[i]!)) heaps.push(...findHeapsIn(reader, e.start, e.end, undefined, runEnd[i]));
  }
  return (address) => heaps.find((h) => address >= h.base && address < h.base + h.heapMax)?.arena ?? null;
}
