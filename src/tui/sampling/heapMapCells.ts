// The heap map of one arena from the walk's own cells (ArenaSnapshot.heapMap,
// native/ptmalloc/heap_cells.h): the arena's heaps laid end to end and cut
// into equal cells; each cell shows the state holding most of its bytes.
// Bytes no chunk covers are the PROT_NONE rest of a heap's reservation
// (heap_info.mprotect_size ends the readable part, glibc malloc/arena.c
// grow_heap), which cannot be resident.
import type { HeapMapCells } from '../../model/snapshot.js';
import type { CellState } from '../components/cells.js';
import type { HeapMapData } from '../components/HeapMap.js';

export function heapMapFromCells(map: HeapMapCells, totalBytes: number): HeapMapData {
  const cells = Math.floor(map.bytes.length / 3);
  const out: CellState[] = [];
  for (let c = 0; c < cells; c++) {
    const size = Math.min(map.cellBytes, totalBytes - c * map.cellBytes);
    const used = map.bytes[c * 3]!;
    const free = map.bytes[c * 3 + 1]!;
    const top = map.bytes[c * 3 + 2]!;
    const uncovered = Math.max(0, size - used - free - top);
    const best = Math.max(used, free, top, uncovered);
    out.push(best === used && used > 0 ? 'used' : best === free && free > 0 ? 'free' : best === top && top > 0 ? 'top' : 'unmapped');
  }
  return { cells: out };
}
