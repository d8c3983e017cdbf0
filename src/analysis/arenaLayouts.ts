// Where each arena's heaps can be resident (heap ranges to mprotect_size,
// and [heap] for the main arena), from the engine's snapshot and the region
// map: what the RSS breakdown splits page by page into arena lines. The same
// ranges the walk joined residency over (native/ptmalloc/arena_walker.cc).
import type { MallocSnapshot } from '../model/snapshot.js';
import type { Region } from '../regions/kinds.js';
import { alignDown, alignUp, normalizeRanges } from '../proc/pagemap.js';
import type { ArenaLayout } from './residency.js';

export function layoutsFromSnapshot(malloc: MallocSnapshot, regions: Region[]): ArenaLayout[] {
  return malloc.arenas.map((a, index) => {
    const ranges = a.heaps.map((h) => ({ start: alignDown(h.start), end: alignUp(h.start + Math.max(h.size, h.mprotectSize)) }));
    let topEndsAtBreak = false;
    if (a.main) {
      const topEnd = a.top.address + a.top.size;
      const brk = regions.find((r) => r.kind === 'main-heap' && a.top.address >= r.start && a.top.address < r.end);
      if (brk) {
        // The break is the page-rounded end of [heap]; glibc keeps top ending there while the arena is contiguous.
        topEndsAtBreak = alignUp(topEnd) === brk.end;
        ranges.push({ start: brk.start, end: brk.end });
      }
    }
    return {
      index,
      address: a.address,
      main: a.main,
      // The brk heap appears both as the engine's main heap and as [heap]: one range.
      ranges: normalizeRanges(ranges),
      reserved: a.heaps.reduce((s, h) => s + h.reserved, 0),
      topEndsAtBreak,
    };
  });
}
