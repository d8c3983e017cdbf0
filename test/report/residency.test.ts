// The walk's residency rules (native/ptmalloc/residency.h) on small hand-laid
// heaps, one rule per case (the real-process checks are in trim.test.ts).
// Addresses are chosen so each glibc rule (0x30-byte header, page rounding,
// consolidation through fastbin chunks only, systrim only on a contiguous
// main arena) decides the outcome; the expected numbers are worked out by hand.
import { describe, expect, it } from 'vitest';
import { testAddon } from '../native/testAddon.js';
import type { SpanChunkClass } from '../native/nativeTest.js';

const P = 4096;
const base = 0x7f0000000000;

type Part = [size: number, cls: SpanChunkClass];

/** Chunks laid end to end from base+off. */
function lay(off: number, parts: Part[]): Array<{ start: number; end: number; cls: SpanChunkClass }> {
  let at = base + off;
  return parts.map(([size, cls]) => {
    const c = { start: at, end: at + size, cls };
    at += size;
    return c;
  });
}

interface Heap {
  pages: number;
  chunks: Array<{ start: number; end: number; cls: SpanChunkClass }>;
  absent?: number[];
  consolidateFastbins?: boolean;
  mainTopTrims?: boolean;
  thpPagesize?: number;
  pad?: number;
}

function residency(h: Heap) {
  return testAddon.spanResidency({
    rangeStart: base,
    rangeEnd: base + h.pages * P,
    absent: h.absent ?? [],
    swapped: [],
    chunks: h.chunks,
    thpPagesize: h.thpPagesize ?? 0,
    pad: h.pad ?? 0,
    consolidateFastbins: h.consolidateFastbins ?? true,
    mainTopTrims: h.mainTopTrims ?? false,
  });
}

describe('mtrim', () => {
  it('releases whole pages from 0x30 past the chunk start to the chunk end', () => {
    // [0x10, 0x5010): pages 1..4 lie past 0x40 and before 0x5010.
    expect(residency({ pages: 8, chunks: lay(0x10, [[0x5000, 'bin'], [0x100, 'in-use'], [0x1ef0, 'top']]) }).reclaimable).toEqual({ bins: 4 * P, top: 0, total: 4 * P, chunks: 1 });
    // Starting 0x30 before a page: that page's first byte is past the header.
    expect(residency({ pages: 4, chunks: lay(P - 0x30, [[P + 0x30, 'bin'], [0x1000, 'in-use']]) }).reclaimable.bins).toBe(P);
    // One byte of header room short: the page is not free of the header.
    expect(residency({ pages: 4, chunks: lay(P - 0x20, [[P + 0x20, 'bin'], [0x1000, 'in-use']]) }).reclaimable.bins).toBe(0);
    // The size must exceed pagesize - 1 + 0x30 (0x1020 does not).
    expect(residency({ pages: 4, chunks: lay(P - 0x30, [[0x102f - 0xf, 'bin'], [0x1000, 'in-use']]) }).reclaimable.bins).toBe(0);
  });

  it('counts only resident pages', () => {
    const chunks = lay(0x10, [[0x8000, 'bin'], [0x100, 'in-use'], [0x1000, 'top']]);
    expect(residency({ pages: 12, chunks }).reclaimable.total).toBe(7 * P);
    const some = residency({ pages: 12, chunks, absent: [2, 3, 5] });
    expect(some.reclaimable.total).toBe(4 * P);
    expect(some.reclaimable.chunks).toBe(1);
  });
});

describe('malloc_consolidate before trimming', () => {
  const big = 0x3000;
  it('merges bin and fastbin neighbours through the fastbin chunk, not through tcache', () => {
    const merged = lay(0x10, [[big, 'bin'], [0x80, 'fast'], [big, 'bin'], [0x100, 'in-use'], [0x1000, 'top']]);
    // One chunk [0x10, 0x6090): pages 1..5.
    expect(residency({ pages: 16, chunks: merged }).reclaimable).toEqual({ bins: 5 * P, top: 0, total: 5 * P, chunks: 1 });
    // Without consolidation: [0x10, 0x3010) gives pages 1-2, [0x3090, 0x6090) pages 4-5.
    const plain = residency({ pages: 16, chunks: merged, consolidateFastbins: false });
    expect(plain.reclaimable).toEqual({ bins: 4 * P, top: 0, total: 4 * P, chunks: 2 });
    expect(residency({ pages: 16, chunks: merged }).reclaimableWithoutConsolidation).toEqual(plain.reclaimable);
    const blocked = lay(0x10, [[big, 'bin'], [0x80, 'tcache'], [big, 'bin'], [0x100, 'in-use'], [0x1000, 'top']]);
    expect(residency({ pages: 16, chunks: blocked }).reclaimable.chunks).toBe(2);
    // A free chunk on no list neither merges nor is trimmed.
    const unlisted = lay(0x10, [[big, 'bin'], [0x80, 'fast'], [big, 'unlisted'], [0x100, 'in-use'], [0x1000, 'top']]);
    expect(residency({ pages: 16, chunks: unlisted }).reclaimable).toEqual({ bins: 2 * P, top: 0, total: 2 * P, chunks: 1 });
  });

  it('never merges two bin chunks without a fastbin chunk between them', () => {
    // As one chunk [0x10, 0x2010) would release page 1; as two, no whole page lies past either header.
    expect(residency({ pages: 8, chunks: lay(0x10, [[0x1000, 'bin'], [0x1000, 'bin'], [0x1000, 'top']]) }).reclaimable.total).toBe(0);
    const viaFast = lay(0x10, [[0x1000, 'bin'], [0x20, 'fast'], [0x1000, 'bin'], [0x1000, 'top']]);
    expect(residency({ pages: 8, chunks: viaFast }).reclaimable).toEqual({ bins: P, top: 0, total: P, chunks: 1 });
  });
});

describe('systrim', () => {
  // The main arena's top ends at the break, page-aligned: [0x4000, 0x10000).
  const parts: Part[] = [[0x290, 'internal'], [0x100, 'in-use'], [0x80, 'fast'], [0x80, 'fast'], [0x3b70, 'in-use'], [0xc000, 'top']];
  it('cuts the top of a contiguous main arena: all but MINSIZE + 1 and the pad, in whole pages', () => {
    // top_area = 0xc000 - 0x20 - 1 = 0xbfdf: 0xb000 released, pages 5..15.
    expect(residency({ pages: 16, chunks: lay(0, parts), mainTopTrims: true }).reclaimable).toEqual({ bins: 0, top: 11 * P, total: 11 * P, chunks: 0 });
    // A pad of 0x4000 keeps four more pages.
    expect(residency({ pages: 16, chunks: lay(0, parts), mainTopTrims: true, pad: 0x4000 }).reclaimable.top).toBe(7 * P);
    // THP-sized units: 0xbfdf holds no whole 0x10000 unit.
    expect(residency({ pages: 16, chunks: lay(0, parts), mainTopTrims: true, thpPagesize: 0x10000 }).reclaimable.top).toBe(0);
  });

  it('leaves a top that is not the main arena break alone', () => {
    expect(residency({ pages: 16, chunks: lay(0, parts), mainTopTrims: false }).reclaimable.total).toBe(0);
  });

  it('grows top by the fastbin chunks merged into it', () => {
    // The two fastbin chunks just below top merge into it: top_area grows by 0x100.
    const next: Part[] = [[0x290, 'internal'], [0x3d70, 'in-use'], [0x80, 'fast'], [0x80, 'fast'], [0xbf00, 'top']];
    // Alone: top 0xbf00, top_area 0xbedf: 0xb000. Merged: 0xc000 -> 0xbfdf: 0xb000, the same whole pages.
    expect(residency({ pages: 16, chunks: lay(0, next), mainTopTrims: true }).reclaimable.top).toBe(11 * P);
    const more: Part[] = [[0x290, 'internal'], [0x2d70, 'in-use'], [0x800, 'fast'], [0x800, 'fast'], [0xc000, 'top']];
    // 0x1000 of fastbin chunks merged: top_area 0xcfdf: 0xc000 released (12 pages) instead of 11.
    expect(residency({ pages: 16, chunks: lay(0, more), mainTopTrims: true }).reclaimable.top).toBe(12 * P);
    expect(residency({ pages: 16, chunks: lay(0, more), mainTopTrims: true }).reclaimableWithoutConsolidation.top).toBe(11 * P);
  });
});

describe('page classes', () => {
  it('gives every resident page one class: in use if any in-use chunk touches it, free if wholly free, else overhead', () => {
    // page 0: heap header, the tcache struct (internal) and a tcache chunk: overhead.
    // pages 1-3: a bin chunk; page 4: its last 0x10 bytes, an in-use chunk, top; pages 5-7: top, page 6 not resident.
    const r = residency({
      pages: 8,
      absent: [6],
      chunks: [
        { start: base + 0x8d0, end: base + 0xb60, cls: 'internal' },
        { start: base + 0xb60, end: base + 0x1000, cls: 'tcache' },
        { start: base + 0x1000, end: base + 0x4010, cls: 'bin' },
        { start: base + 0x4010, end: base + 0x4110, cls: 'in-use' },
        { start: base + 0x4110, end: base + 0x8000, cls: 'top' },
      ],
    });
    expect(r.resident).toBe(7 * P);
    expect(r.overhead).toBe(P); // page 0
    expect(r.inUse).toBe(P); // page 4
    expect(r.free).toBe(5 * P); // pages 1, 2, 3, 5, 7
    expect(r.top).toBe(2 * P); // pages 5 and 7 lie wholly in top
    expect(r.freeChunks).toEqual({ count: 2, bytes: 0x4a0 + 0x3010, residentBytes: 0x4a0 + 0x3010 });
    expect(r.smallFreeChunks).toEqual({ count: 1, bytes: 0x4a0 });
  });

  it('counts pages no chunk covers (heap_info, malloc_state, past the heap size) as overhead where resident', () => {
    const r = residency({ pages: 6, absent: [5], chunks: lay(0x1000, [[0x2000, 'in-use'], [0x1000, 'top']]) });
    // page 0 before the first chunk and page 4 after top: overhead; page 5 absent.
    expect(r).toMatchObject({ resident: 5 * P, inUse: 2 * P, free: P, overhead: 2 * P });
  });
});
