// Residency per arena, from the engine's chunk table joined with pagemap, and
// what malloc_trim(0) would give back right now. Pure: everything comes in as
// arguments, so tests can feed real tables and real pagemap snapshots.
//
// Page classification (every resident page of an arena heap gets exactly one
// class, so the three add up to the arena's resident bytes):
//   in use    a page that any in-use chunk overlaps;
//   free      a page wholly covered by free chunks (bins, fastbins, tcache)
//             and/or the top chunk;
//   overhead  everything else: heap_info, malloc_state, the tcache struct and
//             other glibc-internal chunks, fenceposts, partial pages left over
//             between free chunks, and [size, mprotect_size) of a heap.
//
// malloc_trim(0) (reference §10; glibc malloc.c mtrim and systrim):
//  1. Up to 2.42 mtrim first runs malloc_consolidate: every fastbin chunk is
//     merged with a free previous chunk and a free next chunk (bin or fastbin),
//     and into top when the next chunk is top. Two adjacent chunks that are
//     both already in bins are never merged by it (glibc coalesces on free, so
//     such pairs do not occur in a consistent heap). Tcache chunks look in use
//     and block merging. A free chunk on no list (state freeUnlisted, an
//     anomaly) is neither trimmed nor merged: we do not guess past it. We simulate exactly that pairwise rule; the estimate
//     without consolidation is reported too, as the conservative bound.
//  2. For the unsorted bin and every bin with index >= bin_index(pagesize)
//     (99 for 4 KiB pages: chunks >= 0x1000), each chunk has the whole pages
//     from align_up(chunk + sizeof(struct malloc_chunk) = 0x30) to
//     align_down(chunk end) released with MADV_DONTNEED, when the chunk size
//     exceeds pagesize - 1 + 0x30. Smaller chunks sit in bins < 99 or cannot
//     contain such a page, so "every binned chunk, by that page rule" is the
//     same set. Only resident pages lower RSS, so only those are counted.
//  3. Main arena only: systrim(pad): top_area = chunksize(top) - MINSIZE - 1;
//     when top_area > pad it releases align_down(top_area - pad, thp_pagesize
//     or pagesize) bytes from the end of top via sbrk, and only when the
//     program break is still at the end of top (contiguous main arena).
//     Non-main tops are not shrunk by malloc_trim (heap_trim runs on free).
import type { AddressRange, ResidencyMap } from '../proc/pagemap.js';
import { alignDown, alignUp, normalizeRanges } from '../proc/pagemap.js';
import { ChunkState, chunkArena, chunkCount, chunkSize, chunkStart, chunkState } from './chunkTable.js';

/** sizeof(struct malloc_chunk) on 64-bit: prev_size, size, fd, bk, fd_nextsize, bk_nextsize. */
export const mallocChunkHeaderSize = 0x30;
/** MINSIZE on x86-64. */
export const minChunkSize = 0x20;

export interface ArenaLayout {
  /** The arenaIndex chunk-table records of this arena carry. */
  index: number;
  address: number;
  main: boolean;
  /** Where the arena's heaps can be resident: [base, base + mprotect_size) of each heap; the brk heap for main. */
  ranges: AddressRange[];
  /** Address space reserved for the arena's heaps. */
  reserved: number;
  /** Main arena: the top chunk ends at the program break, so systrim can shrink it. */
  topEndsAtBreak: boolean;
}

export interface TrimRules {
  pageSize: number;
  /** mp_.thp_pagesize (2.35+, glibc.malloc.hugetlb=1 with THP in madvise mode): systrim rounds to it; 0 otherwise. */
  thpPagesize: number;
  /** malloc_trim's argument. */
  pad: number;
  /** True up to glibc 2.42 (mtrim consolidates fastbins first); master has no fastbins. */
  consolidateFastbins: boolean;
}

export const defaultTrimRules: TrimRules = { pageSize: 4096, thpPagesize: 0, pad: 0, consolidateFastbins: true };

export interface Reclaimable {
  /** Resident bytes in bin chunks that mtrim would MADV_DONTNEED. */
  bins: number;
  /** Resident bytes systrim would cut off the main arena's top. */
  top: number;
  total: number;
  /** Free chunks (after consolidation) that would release at least one resident page. */
  chunks: number;
}

export interface ArenaResidency {
  index: number;
  address: number;
  main: boolean;
  reserved: number;
  resident: number;
  untouchedReserve: number;
  inUseResident: number;
  freeResident: number;
  overheadResident: number;
  /** Resident pages wholly inside the top chunk (part of freeResident). */
  topResident: number;
  swapped: number;
  topSize: number;
  /** Free chunks other than top (bins, fastbins, tcache, unlisted); residentBytes counts bytes lying on resident pages. */
  freeChunks: { count: number; bytes: number; residentBytes: number };
  /** Free chunks too small to contain a page beyond their 0x30-byte header: malloc_trim can never release them. */
  smallFreeChunks: { count: number; bytes: number };
  reclaimable: Reclaimable;
  /** The same estimate without fastbin consolidation (a lower bound for versions that consolidate). */
  reclaimableWithoutConsolidation: Reclaimable;
  /** Chunk records that lie outside the arena's ranges (ignored). */
  chunksOutsideRanges: number;
}

const flagInUse = 1;
const flagInternal = 2;

interface PageSpan {
  range: AddressRange;
  arena: number;
  flags: Uint8Array;
  /** Bytes of each page covered by free chunks or top. */
  freeCover: Uint32Array;
}

/** Free from the program's point of view: on a free list, cached, unlisted-free, or top. */
function isFreeState(s: number): boolean {
  return isFreeChunkState(s) || s === ChunkState.top;
}

/** A free chunk other than top. */
function isFreeChunkState(s: number): boolean {
  return s === ChunkState.freeInBin || s === ChunkState.fastbin || s === ChunkState.tcache || s === ChunkState.freeUnlisted;
}

function emptyReclaimable(): Reclaimable {
  return { bins: 0, top: 0, total: 0, chunks: 0 };
}

/** Resident bytes mtrim would release from one free chunk [start, end). */
export function trimmablePages(start: number, end: number, rules: TrimRules): { from: number; to: number } | null {
  const ps = rules.pageSize;
  if (end - start <= ps - 1 + mallocChunkHeaderSize) return null;
  const from = alignUp(start + mallocChunkHeaderSize, ps);
  const to = alignDown(end, ps);
  return to - from >= ps ? { from, to } : null;
}

/** The range systrim would cut from a main-arena top chunk [start, end), or null. */
export function systrimRange(topStart: number, topEnd: number, rules: TrimRules): { from: number; to: number } | null {
  const topArea = topEnd - topStart - minChunkSize - 1;
  if (topArea <= rules.pad) return null;
  const unit = rules.thpPagesize > 0 ? rules.thpPagesize : rules.pageSize;
  const extra = alignDown(topArea - rules.pad, unit);
  return extra > 0 ? { from: topEnd - extra, to: topEnd } : null;
}

interface Segment {
  arena: number;
  start: number;
  end: number;
  lastState: number;
  isTop: boolean;
}

export interface TrimRange {
  arena: number;
  /** Page-aligned. */
  from: number;
  to: number;
  /** 'bin': MADV_DONTNEED by mtrim; 'top': cut by systrim (main arena). */
  via: 'bin' | 'top';
}

/**
 * The address ranges malloc_trim(pad) would release (resident or not),
 * simulating malloc_consolidate's merges when rules.consolidateFastbins.
 */
export function trimRanges(table: Buffer, arenas: ArenaLayout[], rules: TrimRules): TrimRange[] {
  const byIndex = new Map(arenas.map((a) => [a.index, a]));
  const out: TrimRange[] = [];

  const finish = (seg: Segment | null): void => {
    if (!seg) return;
    const arena = byIndex.get(seg.arena);
    if (!arena) return;
    if (seg.isTop) {
      if (!arena.main || !arena.topEndsAtBreak) return;
      const r = systrimRange(seg.start, seg.end, rules);
      if (r) out.push({ arena: seg.arena, ...r, via: 'top' });
      return;
    }
    const r = trimmablePages(seg.start, seg.end, rules);
    if (r) out.push({ arena: seg.arena, ...r, via: 'bin' });
  };

  let seg: Segment | null = null;
  const n = chunkCount(table);
  for (let i = 0; i < n; i++) {
    const state = chunkState(table, i);
    const takesPart = state === ChunkState.freeInBin || state === ChunkState.top || (rules.consolidateFastbins && state === ChunkState.fastbin);
    if (!takesPart) {
      finish(seg);
      seg = null;
      continue;
    }
    const start = chunkStart(table, i);
    const end = start + chunkSize(table, i);
    const arena = chunkArena(table, i);
    // malloc_consolidate merges two neighbours only through a fastbin chunk
    // (its prev and next checks), and merges into top only from a fastbin chunk.
    const merges =
      rules.consolidateFastbins &&
      seg !== null &&
      !seg.isTop &&
      seg.arena === arena &&
      seg.end === start &&
      (seg.lastState === ChunkState.fastbin || state === ChunkState.fastbin);
    if (merges) {
      seg!.end = end;
      seg!.lastState = state;
      if (state === ChunkState.top) seg!.isTop = true;
    } else {
      finish(seg);
      seg = { arena, start, end, lastState: state, isTop: state === ChunkState.top };
    }
  }
  finish(seg);
  return out;
}

/** What malloc_trim(pad) would release now, per arena index: the resident pages of trimRanges. */
export function estimateTrim(table: Buffer, residency: ResidencyMap, arenas: ArenaLayout[], rules: TrimRules): Map<number, Reclaimable> {
  const out = new Map<number, Reclaimable>(arenas.map((a) => [a.index, emptyReclaimable()]));
  for (const r of trimRanges(table, arenas, rules)) {
    const acc = out.get(r.arena);
    if (!acc) continue;
    const bytes = residency.presentPages(r.from, r.to) * rules.pageSize;
    if (r.via === 'top') acc.top += bytes;
    else {
      acc.bins += bytes;
      if (bytes > 0) acc.chunks++;
    }
  }
  for (const acc of out.values()) acc.total = acc.bins + acc.top;
  return out;
}

function buildSpans(arenas: ArenaLayout[], ps: number): PageSpan[] {
  const spans: PageSpan[] = [];
  for (const a of arenas) {
    // Overlapping ranges of one arena would count their pages twice.
    for (const { start, end } of normalizeRanges(a.ranges, ps)) {
      const pages = (end - start) / ps;
      spans.push({ range: { start, end }, arena: a.index, flags: new Uint8Array(pages), freeCover: new Uint32Array(pages) });
    }
  }
  return spans.sort((x, y) => x.range.start - y.range.start);
}

/** Per-arena residency: in use / free / overhead pages, top, free chunks, and the malloc_trim(0) estimate. */
export function analyzeResidency(table: Buffer, residency: ResidencyMap, arenas: ArenaLayout[], rules: TrimRules = defaultTrimRules): ArenaResidency[] {
  const ps = rules.pageSize;
  const spans = buildSpans(arenas, ps);
  const result = new Map<number, ArenaResidency>();
  for (const a of arenas) {
    result.set(a.index, {
      index: a.index,
      address: a.address,
      main: a.main,
      reserved: a.reserved,
      resident: 0,
      untouchedReserve: 0,
      inUseResident: 0,
      freeResident: 0,
      overheadResident: 0,
      topResident: 0,
      swapped: 0,
      topSize: 0,
      freeChunks: { count: 0, bytes: 0, residentBytes: 0 },
      smallFreeChunks: { count: 0, bytes: 0 },
      reclaimable: emptyReclaimable(),
      reclaimableWithoutConsolidation: emptyReclaimable(),
      chunksOutsideRanges: 0,
    });
  }

  // One pass over the sorted table, with a cursor over the sorted spans.
  let s = 0;
  const n = chunkCount(table);
  for (let i = 0; i < n; i++) {
    const start = chunkStart(table, i);
    const size = chunkSize(table, i);
    const end = start + size;
    const state = chunkState(table, i);
    const acc = result.get(chunkArena(table, i));
    while (s < spans.length && spans[s]!.range.end <= start) s++;
    const span = spans[s];
    if (!acc || !span || start < span.range.start) {
      if (acc) acc.chunksOutsideRanges++;
      continue;
    }
    if (state === ChunkState.top) {
      acc.topSize = size;
      const from = alignUp(start, ps);
      const to = alignDown(end, ps);
      if (to > from) acc.topResident += residency.presentPages(from, to) * ps;
    }
    const freeChunk = isFreeChunkState(state);
    if (freeChunk) {
      acc.freeChunks.count++;
      acc.freeChunks.bytes += size;
      if (size <= ps - 1 + mallocChunkHeaderSize) {
        acc.smallFreeChunks.count++;
        acc.smallFreeChunks.bytes += size;
      }
    }
    const clipEnd = Math.min(end, span.range.end);
    const firstPage = Math.floor((start - span.range.start) / ps);
    const lastPage = Math.floor((clipEnd - 1 - span.range.start) / ps);
    for (let p = firstPage; p <= lastPage; p++) {
      const pageStart = span.range.start + p * ps;
      const overlap = Math.min(clipEnd, pageStart + ps) - Math.max(start, pageStart);
      if (state === ChunkState.inUse) span.flags[p]! |= flagInUse;
      else if (state === ChunkState.internal) span.flags[p]! |= flagInternal;
      else if (isFreeState(state)) span.freeCover[p]! += overlap;
      if (freeChunk && residency.isPresent(pageStart)) acc.freeChunks.residentBytes += overlap;
    }
  }

  for (const span of spans) {
    const acc = result.get(span.arena)!;
    const pages = span.flags.length;
    for (let p = 0; p < pages; p++) {
      const pageStart = span.range.start + p * ps;
      if (!residency.isPresent(pageStart)) continue;
      acc.resident += ps;
      if (span.flags[p]! & flagInUse) acc.inUseResident += ps;
      else if (span.freeCover[p]! >= ps) acc.freeResident += ps;
      else acc.overheadResident += ps;
    }
    acc.swapped += residency.swappedPages(span.range.start, span.range.end) * ps;
  }

  const trim = estimateTrim(table, residency, arenas, rules);
  const conservative = estimateTrim(table, residency, arenas, { ...rules, consolidateFastbins: false });
  for (const acc of result.values()) {
    acc.untouchedReserve = Math.max(0, acc.reserved - acc.resident);
    acc.reclaimable = trim.get(acc.index) ?? emptyReclaimable();
    acc.reclaimableWithoutConsolidation = conservative.get(acc.index) ?? emptyReclaimable();
  }
  return arenas.map((a) => result.get(a.index)!);
}

export interface ResidencyTotals {
  reserved: number;
  resident: number;
  inUse: number;
  freeResident: number;
  overhead: number;
  reclaimable: number;
  untouchedReserve: number;
  freeChunkBytes: number;
  freeChunkResidentBytes: number;
  smallFreeChunks: number;
  smallFreeBytes: number;
}

export function sumResidency(rows: ArenaResidency[]): ResidencyTotals {
  const t: ResidencyTotals = {
    reserved: 0,
    resident: 0,
    inUse: 0,
    freeResident: 0,
    overhead: 0,
    reclaimable: 0,
    untouchedReserve: 0,
    freeChunkBytes: 0,
    freeChunkResidentBytes: 0,
    smallFreeChunks: 0,
    smallFreeBytes: 0,
  };
  for (const r of rows) {
    t.reserved += r.reserved;
    t.resident += r.resident;
    t.inUse += r.inUseResident;
    t.freeResident += r.freeResident;
    t.overhead += r.overheadResident;
    t.reclaimable += r.reclaimable.total;
    t.untouchedReserve += r.untouchedReserve;
    t.freeChunkBytes += r.freeChunks.bytes;
    t.freeChunkResidentBytes += r.freeChunks.residentBytes;
    t.smallFreeChunks += r.smallFreeChunks.count;
    t.smallFreeBytes += r.smallFreeChunks.bytes;
  }
  return t;
}
