// The trim and page-classification rules on small hand-laid heaps, one rule
// per case (the real-process checks are in trim.test.ts). Addresses are
// chosen so each glibc rule (0x30-byte header, page rounding, consolidation
// through fastbin chunks only, systrim only on a contiguous main arena)
// decides the outcome.
import { describe, expect, it } from 'vitest';
import { ChunkState, encodeChunkTable, validateChunkTable, type ChunkRecord } from '../../src/analysis/chunkTable.js';
import { analyzeResidency, defaultTrimRules, systrimRange, trimmablePages, trimRanges, type ArenaLayout } from '../../src/analysis/residency.js';
import { ResidencyMap } from '../../src/proc/pagemap.js';

const P = 4096;
const base = 0x7f0000000000;

/** Residency of [base, base + pages*P) with the given pages absent. */
function residency(pages: number, absent: number[] = []): ResidencyMap {
  const e = Buffer.alloc(pages * 8);
  for (let i = 0; i < pages; i++) if (!absent.includes(i)) e.writeUInt32LE(0x80000000, i * 8 + 4);
  return ResidencyMap.fromEntries(base, e);
}

function arena(main: boolean, pages: number, topEndsAtBreak = main): ArenaLayout {
  return { index: 0, address: base, main, ranges: [{ start: base, end: base + pages * P }], reserved: pages * P, topEndsAtBreak };
}

/** Chunks laid end to end from base+off: [size, state] pairs. */
function lay(off: number, parts: Array<[number, number]>): ChunkRecord[] {
  const out: ChunkRecord[] = [];
  let at = base + off;
  for (const [size, state] of parts) {
    out.push({ start: at, size, arenaIndex: 0, state: state as ChunkRecord['state'] });
    at += size;
  }
  return out;
}

const { inUse, freeInBin: bin, fastbin: fast, tcache, top, internal, freeUnlisted } = ChunkState;

describe('mtrim page rule', () => {
  it('releases whole pages from 0x30 past the chunk start to the chunk end', () => {
    expect(trimmablePages(base, base + 0x5000, defaultTrimRules)).toEqual({ from: base + P, to: base + 0x5000 });
    expect(trimmablePages(base + P - 0x30, base + 2 * P, defaultTrimRules)).toEqual({ from: base + P, to: base + 2 * P });
    // One byte of header room short: the page is not free of the header.
    expect(trimmablePages(base + P - 0x2f, base + 2 * P + 1, defaultTrimRules)).toBeNull();
    // Size must exceed pagesize - 1 + 0x30.
    expect(trimmablePages(base + P - 0x30, base + P - 0x30 + 0x102f, defaultTrimRules)).toBeNull();
  });

  it('systrim keeps MINSIZE + 1 and the pad, rounding down to pages (or THP pages)', () => {
    expect(systrimRange(base, base + 0x21000, defaultTrimRules)).toEqual({ from: base + P, to: base + 0x21000 });
    expect(systrimRange(base, base + 0x21000, { ...defaultTrimRules, pad: 0x10000 })).toEqual({ from: base + 0x11000, to: base + 0x21000 });
    expect(systrimRange(base, base + 0x1020, defaultTrimRules)).toBeNull();
    expect(systrimRange(base, base + 0x400000, { ...defaultTrimRules, thpPagesize: 0x200000 })).toEqual({ from: base + 0x200000, to: base + 0x400000 });
  });
});

describe('trim estimate', () => {
  const big = 0x3000;
  it('merges bin and fastbin neighbours through the fastbin chunk, not through tcache', () => {
    const merged = lay(0x10, [[big, bin], [0x80, fast], [big, bin], [0x100, inUse], [0x1000, top]]);
    const t = encodeChunkTable(merged);
    const consolidated = trimRanges(t, [arena(false, 16)], defaultTrimRules);
    expect(consolidated).toEqual([{ arena: 0, from: base + P, to: base + 0x6000, via: 'bin' }]);
    const plain = trimRanges(t, [arena(false, 16)], { ...defaultTrimRules, consolidateFastbins: false });
    expect(plain.map((r) => [r.from - base, r.to - base])).toEqual([[0x1000, 0x3000], [0x4000, 0x6000]]);

    const blocked = encodeChunkTable(lay(0x10, [[big, bin], [0x80, tcache], [big, bin], [0x100, inUse], [0x1000, top]]));
    expect(trimRanges(blocked, [arena(false, 16)], defaultTrimRules).length).toBe(2);
    const unlisted = encodeChunkTable(lay(0x10, [[big, bin], [0x80, fast], [big, freeUnlisted], [0x100, inUse], [0x1000, top]]));
    expect(trimRanges(unlisted, [arena(false, 16)], defaultTrimRules)).toEqual([{ arena: 0, from: base + P, to: base + 0x3000, via: 'bin' }]);
  });

  it('never merges two bin chunks without a fastbin chunk between them', () => {
    const t = encodeChunkTable(lay(0x10, [[0x1000, bin], [0x1000, bin], [0x1000, top]]));
    // As one chunk [0x10, 0x2010) would release page 1; as two, no whole page lies past either header.
    expect(trimRanges(t, [arena(false, 8)], defaultTrimRules)).toEqual([]);
    const viaFast = encodeChunkTable(lay(0x10, [[0x1000, bin], [0x20, fast], [0x1000, bin], [0x1000, top]]));
    expect(trimRanges(viaFast, [arena(false, 8)], defaultTrimRules)).toEqual([{ arena: 0, from: base + P, to: base + 2 * P, via: 'bin' }]);
  });

  it('shrinks only a contiguous main arena top, grown by fastbin chunks merged into it', () => {
    const parts: Array<[number, number]> = [[0x290, internal], [0x100, inUse], [0x80, fast], [0x80, fast], [0x8000, top]];
    const t = encodeChunkTable(lay(0, parts));
    const topStart = base + 0x290 + 0x100; // the fastbin chunks join top
    const topEnd = base + 0x290 + 0x100 + 0x100 + 0x8000;
    expect(trimRanges(t, [arena(true, 16)], defaultTrimRules)).toEqual([{ arena: 0, ...systrimRange(topStart, topEnd, defaultTrimRules)!, via: 'top' }]);
    expect(trimRanges(t, [arena(true, 16, false)], defaultTrimRules)).toEqual([]);
    expect(trimRanges(t, [arena(false, 16)], defaultTrimRules)).toEqual([]);
  });

  it('counts only resident pages', () => {
    const t = encodeChunkTable(lay(0x10, [[0x8000, bin], [0x100, inUse], [0x1000, top]]));
    const all = analyzeResidency(t, residency(12), [arena(false, 12)])[0]!;
    const some = analyzeResidency(t, residency(12, [2, 3, 5]), [arena(false, 12)])[0]!;
    expect(all.reclaimable.total).toBe(7 * P);
    expect(some.reclaimable.total).toBe(4 * P);
    expect(some.reclaimable.chunks).toBe(1);
  });
});

describe('page classification', () => {
  it('gives every resident page one class: in use if any in-use chunk touches it, free if wholly free, else overhead', () => {
    // page 0: heap header, the tcache struct (internal) and a tcache chunk: overhead.
    // pages 1-3: a bin chunk; page 4: its last 0x10 bytes, an in-use chunk, top; pages 5-7: top, page 6 not resident.
    const t = encodeChunkTable([
      { start: base + 0x8d0, size: 0x290, arenaIndex: 0, state: internal },
      { start: base + 0xb60, size: 0x4a0, arenaIndex: 0, state: tcache }, // ends at 0x1000
      { start: base + 0x1000, size: 0x3010, arenaIndex: 0, state: bin },
      { start: base + 0x4010, size: 0x100, arenaIndex: 0, state: inUse },
      { start: base + 0x4110, size: 0x3ef0, arenaIndex: 0, state: top }, // to 0x8000
    ]);
    validateChunkTable(t);
    const r = analyzeResidency(t, residency(8, [6]), [arena(false, 8)])[0]!;
    expect(r.resident).toBe(7 * P);
    expect(r.overheadResident).toBe(P); // page 0
    expect(r.inUseResident).toBe(P); // page 4
    expect(r.freeResident).toBe(5 * P); // pages 1, 2, 3, 5, 7
    expect(r.topResident).toBe(2 * P); // pages 5 and 7 lie wholly in top
    expect(r.untouchedReserve).toBe(P);
    expect(r.freeChunks).toEqual({ count: 2, bytes: 0x4a0 + 0x3010, residentBytes: 0x4a0 + 0x3010 });
    expect(r.smallFreeChunks).toEqual({ count: 1, bytes: 0x4a0 });
    expect(r.chunksOutsideRanges).toBe(0);
  });

  it('rejects a malformed table', () => {
    expect(() => validateChunkTable(Buffer.alloc(25))).toThrow(/multiple of 24/);
    const unsorted = Buffer.concat([encodeChunkTable(lay(0x1000, [[0x20, inUse]])), encodeChunkTable(lay(0, [[0x20, inUse]]))]);
    expect(() => validateChunkTable(unsorted)).toThrow(/not sorted/);
  });
});
