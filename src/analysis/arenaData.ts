// Where the report's chunk-level arena data comes from: the arena engine's
// packed chunk table (sampleProcessWithChunks) plus the arena layouts (heap
// ranges, reservation, top) derived from its MallocSnapshot. Without a chunk
// table the report says arena detail is unavailable; tests can pass their
// own ChunkTableSource.
import type { MallocSnapshot, ProcessSnapshot } from '../model/snapshot.js';
import type { Region } from '../regions/kinds.js';
import { alignDown, alignUp, normalizeRanges } from '../proc/pagemap.js';
import { defaultTrimRules, type ArenaLayout, type TrimRules } from './residency.js';

export interface ArenaChunkData {
  /** Packed chunk table (see chunkTable.ts), sorted by start. */
  table: Buffer;
  layouts: ArenaLayout[];
  rules: TrimRules;
  /** What produced it, shown as evidence (e.g. "arena engine", "target self-report"). */
  source: string;
}

export type ChunkTableSource = (pid: number, snapshot: ProcessSnapshot) => Promise<ArenaChunkData | null>;

/** Chunk data from the engine's snapshot and chunk table, or null when either is missing. */
export function engineChunkData(snapshot: ProcessSnapshot, table: Buffer | null): ArenaChunkData | null {
  if (!snapshot.malloc || !table) return null;
  return {
    table,
    layouts: layoutsFromSnapshot(snapshot.malloc, snapshot.regions),
    rules: trimRulesFor(snapshot.malloc.glibcVersion),
    source: `arena engine (main_arena located by ${snapshot.malloc.locatedBy})`,
  };
}

/** Heap ranges, reservation and "top ends at the break" per arena, from the engine's snapshot and the region map. */
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

/** malloc_trim's rules for a glibc version: fastbins (and their consolidation) exist up to 2.42 (reference §1, master). */
export function trimRulesFor(glibcVersion: string | null): TrimRules {
  const m = /^(\d+)\.(\d+)/.exec(glibcVersion ?? '');
  const hasFastbins = !m || Number(m[1]) < 2 || (Number(m[1]) === 2 && Number(m[2]) <= 42);
  return { ...defaultTrimRules, consolidateFastbins: hasFastbins };
}
