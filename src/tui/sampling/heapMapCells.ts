// The heap map of one arena from the engine's chunk table: the arena's heaps
// laid end to end and cut into equal cells; each cell shows the state holding
// most of its bytes. Bytes no chunk covers are the PROT_NONE rest of a heap's
// reservation (heap_info.mprotect_size ends the readable part, glibc
// malloc/arena.c grow_heap), which cannot be resident.
import type { HeapSnapshot } from '../../model/snapshot.js';
import type { CellState } from '../components/cells.js';
import type { HeapMapData } from '../components/HeapMap.js';

/** One chunk table record: u64 start, u64 size, u32 arena index, u8 state, 3 bytes padding (src/native/native.d.ts). */
const recordSize = 24;

/** Chunk states of the walker (native/ptmalloc/walk_types.h ChunkState) as heap map cells. */
const cellOfState: Record<number, Exclude<CellState, 'unmapped'>> = {
  0: 'used', // in use
  1: 'free', // free in a bin
  2: 'free', // fastbin
  3: 'free', // tcache
  4: 'top',
  5: 'used', // glibc-internal (tcache_perthread_struct)
  6: 'free', // free but in no list
};

const page = 4096;

export function heapMapFromChunkTable(table: Buffer, arenaIndex: number, heaps: Pick<HeapSnapshot, 'start' | 'reserved'>[], cellCount: number): HeapMapData {
  const spans = [...heaps].filter((h) => h.reserved > 0).sort((a, b) => a.start - b.start);
  const total = spans.reduce((s, h) => s + h.reserved, 0);
  if (total === 0 || cellCount <= 0) return { cells: [] };
  const cellBytes = Math.max(page, Math.ceil(total / cellCount / page) * page);
  const cells = Math.ceil(total / cellBytes);
  // Bytes per cell for used, free, top; the rest of the cell is not covered.
  const bytes = { used: new Float64Array(cells), free: new Float64Array(cells), top: new Float64Array(cells) };
  const offsets: number[] = [];
  spans.reduce((off, h) => (offsets.push(off), off + h.reserved), 0);

  const records = Math.floor(table.length / recordSize);
  for (let i = 0; i < records; i++) {
    const at = i * recordSize;
    if (table.readUInt32LE(at + 16) !== arenaIndex) continue;
    const cell = cellOfState[table.readUInt8(at + 20)];
    if (!cell) continue;
    const start = Number(table.readBigUInt64LE(at));
    const size = Number(table.readBigUInt64LE(at + 8));
    const h = spans.findIndex((s) => start >= s.start && start < s.start + s.reserved);
    if (h < 0) continue;
    const span = spans[h]!;
    let from = offsets[h]! + (start - span.start);
    const to = offsets[h]! + Math.min(start + size, span.start + span.reserved) - span.start;
    while (from < to) {
      const c = Math.floor(from / cellBytes);
      const cellEnd = Math.min(to, (c + 1) * cellBytes);
      bytes[cell][c]! += cellEnd - from;
      from = cellEnd;
    }
  }

  const out: CellState[] = [];
  for (let c = 0; c < cells; c++) {
    const size = Math.min(cellBytes, total - c * cellBytes);
    const used = bytes.used[c]!;
    const free = bytes.free[c]!;
    const top = bytes.top[c]!;
    const uncovered = Math.max(0, size - used - free - top);
    const best = Math.max(used, free, top, uncovered);
    out.push(best === used && used > 0 ? 'used' : best === free && free > 0 ? 'free' : best === top && top > 0 ? 'top' : 'unmapped');
  }
  return { cells: out };
}
