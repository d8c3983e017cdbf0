// The light alternative to readRegionMap for scans of a given range or region:
// /proc/PID/maps (not smaps, no thread or mmapped-chunk passes) plus the
// heap_info of the glibc heaps that overlap the scanned ranges, which is all
// that is needed to name the mapping around an address and the arena that
// owns it. `strings --region` runs on this path, where start-up time counts.
import type { MemoryReader } from '../memory/reader.js';
import { isAnonymous, type MapEntry } from '../proc/maps.js';
import { findHeapsIn } from '../regions/heapInfo.js';
import type { HeapInfoRecord } from '../regions/kinds.js';

type Range = { start: number; end: number };

export function mappingContaining(maps: MapEntry[], address: number): MapEntry | undefined {
  return maps.find((e) => address >= e.start && address < e.end);
}

/**
 * The arena owning each address of `ranges`: heap_info is read only in the
 * anonymous rw mappings that overlap them. null outside glibc non-main heaps.
 */
export function arenaOwnersIn(reader: MemoryReader, maps: MapEntry[], ranges: Range[]): (address: number) => number | null {
  const overlaps = (e: MapEntry) => ranges.some((r) => r.start < e.end && e.start < r.end);
  const heaps: HeapInfoRecord[] = maps.filter((e) => isAnonymous(e) && e.perms.startsWith('rw') && overlaps(e)).flatMap((e) => findHeapsIn(reader, e.start, e.end));
  return (address) => heaps.find((h) => address >= h.base && address < h.base + h.heapMax)?.arena ?? null;
}
