// Where each arena's heaps can be resident (heap ranges to mprotect_size,
// and [heap] for the main arena), from the engine's snapshot and the region
// map: what the RSS breakdown splits page by page into arena lines. The same
// ranges the walk joined residency over (native/ptmalloc/arena_walker.cc).
import type { ArenaSnapshot, MallocSnapshot } from '../model/snapshot.js';
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

/**
 * Bytes of an arena's heaps mapped by transparent huge pages: smaps AnonHugePages of
 * the mappings that hold them (glibc 2.43+ can advise arena heaps MADV_HUGEPAGE,
 * malloc.c madvise_thp; THP "always" backs them without advice). A thread arena's
 * heaps are its arena-heap mappings (several per heap when madvise split it); the
 * main arena's are [heap] and the mappings holding its other segments (as any mapping
 * holding the start of one of the walk's heaps). A mapping the kernel merged from heaps
 * of several arenas is shared by heap count.
 */
export function arenaAnonHugePages(a: ArenaSnapshot, regions: Region[]): number {
  let bytes = 0;
  for (const r of regions) {
    if (r.anonHugePages === 0) continue;
    const holdsHeap = a.heaps.some((h) => h.start >= r.start && h.start < r.end);
    if (r.kind === 'arena-heap' && r.heaps.length > 1) {
      bytes += (r.anonHugePages * r.heaps.filter((h) => h.arena === a.address).length) / r.heaps.length;
    } else if (r.kind === 'arena-heap' ? r.arena === a.address : (a.main && r.kind === 'main-heap') || holdsHeap) {
      bytes += r.anonHugePages;
    }
  }
  return Math.round(bytes);
}
