// An independent statement of malloc_trim(0)'s rules (glibc malloc.c mtrim,
// malloc_consolidate and systrim), over a target's own chunk table, for the
// tests to hold the walk's estimate (native/ptmalloc/residency.cc) to: which
// address ranges a trim would release.
//  1. Up to 2.42 mtrim first runs malloc_consolidate: a fastbin chunk merges
//     with a free chunk before and after it (bin or fastbin), and into top
//     when top follows it; two bin chunks never merge without one between.
//  2. Each binned chunk has the whole pages from align_up(chunk + 0x30) to
//     align_down(chunk end) released, when its size exceeds pagesize - 1 + 0x30.
//  3. Main arena only, and only while top ends at the break: systrim releases
//     align_down(chunksize(top) - MINSIZE - 1 - pad, pagesize) from top's end.
import type { ArenaLayout } from '../../src/analysis/residency.js';
import { ChunkState, chunkArena, chunkCount, chunkSize, chunkStart, chunkState } from './chunkTable.js';

const pageSize = 4096;
const mallocChunkStruct = 0x30;
const minChunk = 0x20;

export interface TrimRange {
  arena: number;
  /** Page-aligned. */
  from: number;
  to: number;
  via: 'bin' | 'top';
}

function trimmablePages(start: number, end: number): { from: number; to: number } | null {
  if (end - start <= pageSize - 1 + mallocChunkStruct) return null;
  const from = Math.ceil((start + mallocChunkStruct) / pageSize) * pageSize;
  const to = Math.floor(end / pageSize) * pageSize;
  return to - from >= pageSize ? { from, to } : null;
}

function systrimRange(topStart: number, topEnd: number): { from: number; to: number } | null {
  const area = topEnd - topStart - minChunk - 1;
  if (area <= 0) return null;
  const extra = Math.floor(area / pageSize) * pageSize;
  return extra > 0 ? { from: topEnd - extra, to: topEnd } : null;
}

/** The ranges malloc_trim(0) would release (resident or not), with malloc_consolidate's merges. */
export function trimRanges(table: Buffer, arenas: ArenaLayout[], consolidateFastbins = true): TrimRange[] {
  const byIndex = new Map(arenas.map((a) => [a.index, a]));
  const out: TrimRange[] = [];
  type Segment = { arena: number; start: number; end: number; last: number; isTop: boolean };
  const finish = (seg: Segment | null): void => {
    if (!seg) return;
    const arena = byIndex.get(seg.arena);
    if (!arena) return;
    const r = seg.isTop ? (arena.main && arena.topEndsAtBreak ? systrimRange(seg.start, seg.end) : null) : trimmablePages(seg.start, seg.end);
    if (r) out.push({ arena: seg.arena, ...r, via: seg.isTop ? 'top' : 'bin' });
  };
  let seg: Segment | null = null;
  for (let i = 0; i < chunkCount(table); i++) {
    const state = chunkState(table, i);
    const takesPart = state === ChunkState.freeInBin || state === ChunkState.top || (consolidateFastbins && state === ChunkState.fastbin);
    if (!takesPart) {
      finish(seg);
      seg = null;
      continue;
    }
    const start = chunkStart(table, i);
    const end = start + chunkSize(table, i);
    const arena = chunkArena(table, i);
    const merges = consolidateFastbins && seg !== null && !seg.isTop && seg.arena === arena && seg.end === start && (seg.last === ChunkState.fastbin || state === ChunkState.fastbin);
    if (merges) {
      seg!.end = end;
      seg!.last = state;
      if (state === ChunkState.top) seg!.isTop = true;
    } else {
      finish(seg);
      seg = { arena, start, end, last: state, isTop: state === ChunkState.top };
    }
  }
  finish(seg);
  return out;
}
