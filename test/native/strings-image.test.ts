// scanStrings over image-backed sources: every expectation is either planted
// by construction or computed by the naive reference scanner in
// strings-helpers.ts, never copied from a previous run.
import { describe, expect, it } from 'vitest';

import {
  addon,
  countsOf,
  imageSource,
  packChunkMap,
  referenceRuns,
  resultCounts,
  rng,
  scan,
  type RefRun,
} from './strings-helpers.js';
import { chunkMark } from '../helpers/chunkList.js';

const BASE = 0x7f1200000000; // 1 MiB aligned, like a real mapping
const MiB = 1 << 20;

// Bytes that are never printable ASCII, never a tab, and (being >= 0x80 or
// zero) never form a printable UTF-16LE unit with a zero high byte either.
function binary(len: number, seed: number): Buffer {
  const next = rng(seed);
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = next() < 0.3 ? 0 : 0x80 | Math.floor(next() * 128);
  return b;
}

function count(r: Awaited<ReturnType<typeof scan>>, text: string, encoding = 'ascii'): number {
  return r.strings.find((s) => s.text === text && s.encoding === encoding)?.count ?? 0;
}

describe('scanStrings on images', () => {
  it('counts planted strings exactly and ignores runs below the minimum length', async () => {
    const buf = binary(4 * MiB, 1);
    const slots = Array.from({ length: Math.floor(buf.length / 64) }, (_, i) => i);
    const next = rng(2);
    for (let i = slots.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [slots[i], slots[j]] = [slots[j]!, slots[i]!];
    }
    const planted: [string, number][] = [
      ['alpha-string', 1000],
      ['beta:123456', 37],
      ['gamma', 50], // 5 characters: below the default minimum of 6
    ];
    let s = 0;
    for (const [text, n] of planted) {
      for (let k = 0; k < n; k++) buf.write(text, slots[s++]! * 64 + 3, 'latin1');
    }
    const r = await scan(imageSource([{ address: BASE, data: buf }]), [{ start: BASE, end: BASE + buf.length }], {
      top: 10,
    });
    expect(r.bytesScanned).toBe(buf.length);
    expect(r.holeBytes).toBe(0);
    expect(r.stringsFound).toBe(1037);
    expect(r.distinct).toBe(2);
    expect(r.approximate).toBe(false);
    expect(r.strings).toEqual([
      { text: 'alpha-string', count: 1000, countError: 0, bytes: 12000, encoding: 'ascii', truncated: false },
      { text: 'beta:123456', count: 37, countError: 0, bytes: 37 * 11, encoding: 'ascii', truncated: false },
    ]);
    expect(r.stringBytes).toBe(12000 + 37 * 11);
  });

  it('reports a string straddling the 1 MiB block boundary once, whole', async () => {
    const buf = binary(3 * MiB, 3);
    const text = 'straddling-the-block-boundary';
    const at = MiB - 10;
    buf.write(text, at, 'latin1');
    const r = await scan(imageSource([{ address: BASE, data: buf }]), [{ start: BASE, end: BASE + buf.length }], {
      samples: 10,
    });
    expect(r.stringsFound).toBe(1);
    expect(r.strings[0]).toMatchObject({ text, count: 1, bytes: text.length });
    expect(r.samples).toEqual([
      { address: BASE + at, text, length: text.length, encoding: 'ascii', chunk: null, arenaIndex: -1 },
    ]);
  });

  it('keeps the first 4096 characters of a run longer than several blocks and counts its full length', async () => {
    const buf = binary(4 * MiB, 4);
    const runStart = 1000;
    const runLength = 3 * MiB + 123;
    buf.fill('A', runStart, runStart + runLength);
    buf.write('after-the-long-run', runStart + runLength + 1, 'latin1');
    const src = imageSource([{ address: BASE, data: buf }]);
    for (const blockSize of [4096, 65536, MiB]) {
      const r = await scan(src, [{ start: BASE, end: BASE + buf.length }], { samples: 10, blockSize });
      expect(r.stringsFound).toBe(2);
      const long = r.strings.find((s) => s.text.startsWith('A'))!;
      expect(long).toEqual({
        text: 'A'.repeat(4096),
        count: 1,
        countError: 0,
        bytes: runLength,
        encoding: 'ascii',
        truncated: true,
      });
      expect(r.samples[0]).toMatchObject({ address: BASE + runStart, length: runLength });
      expect(count(r, 'after-the-long-run')).toBe(1);
    }
  });

  it('ends a run at the end of its range and starts one at the start of a range', async () => {
    const buf = binary(64 * 1024, 5);
    buf.write('tail-of-the-range', buf.length - 17, 'latin1'); // no terminator: memory ends here
    buf.write('head-of-the-range', 0, 'latin1');
    buf.write('cut-here|not-scanned', 30000, 'latin1');
    buf.write('xxxxstarts-mid-string', 40000, 'latin1');
    const src = imageSource([{ address: BASE, data: buf }]);
    const r = await scan(src, [
      { start: BASE, end: BASE + 30008 },
      { start: BASE + 40004, end: BASE + buf.length },
    ]);
    expect(count(r, 'tail-of-the-range')).toBe(1);
    expect(count(r, 'head-of-the-range')).toBe(1);
    expect(count(r, 'cut-here')).toBe(1);
    expect(count(r, 'starts-mid-string')).toBe(1);
    expect(r.stringsFound).toBe(4);
    expect(r.bytesTotal).toBe(30008 + buf.length - 40004);
  });

  it('breaks runs at holes between segments and counts the hole bytes', async () => {
    const left = binary(64 * 1024, 6);
    const right = binary(32 * 1024, 7);
    left.write('left-part', left.length - 9, 'latin1');
    right.write('right-part', 0, 'latin1');
    // UTF-16: "wide-left" then a lone 'Z' whose high byte would be in the
    // hole; the zero fill of the hole must not complete it into a unit.
    const wideLeft = Buffer.from('wide-left', 'utf16le');
    const leftOdd = Buffer.concat([binary(4096, 8), wideLeft, Buffer.from('Z')]);
    const gap = 8192;
    const segs = [
      { address: BASE, data: left },
      { address: BASE + left.length + gap, data: right },
      { address: BASE + 0x100000, data: leftOdd },
    ];
    const r = await scan(
      imageSource(segs),
      [
        { start: BASE, end: BASE + left.length + gap + right.length },
        { start: BASE + 0x100000, end: BASE + 0x100000 + leftOdd.length + 4096 },
      ],
      { encoding: 'both' },
    );
    expect(count(r, 'left-part')).toBe(1);
    expect(count(r, 'right-part')).toBe(1);
    expect(count(r, 'wide-left', 'utf16le')).toBe(1);
    expect(r.stringsFound).toBe(3);
    expect(r.holeBytes).toBe(gap + 4096);
    expect(r.bytesScanned).toBe(left.length + right.length + leftOdd.length);
  });

  it('finds UTF-16LE strings at even addresses only when asked', async () => {
    const buf = binary(256 * 1024, 9);
    const wide = Buffer.from('wide-string-one', 'utf16le');
    for (let i = 0; i < 20; i++) wide.copy(buf, 1000 + i * 4000); // even offsets
    for (let i = 0; i < 5; i++) Buffer.from('odd-wide', 'utf16le').copy(buf, 100001 + i * 1000); // odd offsets
    for (let i = 0; i < 7; i++) buf.write('narrow-text', 200000 + i * 100, 'latin1');
    const src = imageSource([{ address: BASE, data: buf }]);
    const range = [{ start: BASE, end: BASE + buf.length }];

    const ascii = await scan(src, range, { encoding: 'ascii' });
    expect(ascii.stringsFound).toBe(7);
    expect(count(ascii, 'narrow-text')).toBe(7);

    const wideOnly = await scan(src, range, { encoding: 'utf16le' });
    expect(wideOnly.strings).toEqual([
      { text: 'wide-string-one', count: 20, countError: 0, bytes: 20 * 30, encoding: 'utf16le', truncated: false },
    ]);

    const both = await scan(src, range, { encoding: 'both' });
    expect(both.stringsFound).toBe(27);
    expect(both.stringBytes).toBe(20 * 30 + 7 * 11);
  });

  it('applies the minimum length at the boundary, in characters', async () => {
    const buf = binary(64 * 1024, 10);
    const put = (text: string, n: number, at: number) => {
      for (let i = 0; i < n; i++) buf.write(text, at + i * 32, 'latin1');
    };
    put('abcde', 3, 0);
    put('abcdef', 4, 1000);
    put('abcdefg', 5, 2000);
    for (let i = 0; i < 2; i++) Buffer.from('uvwxyz', 'utf16le').copy(buf, 4000 + i * 64);
    const src = imageSource([{ address: BASE, data: buf }]);
    const range = [{ start: BASE, end: BASE + buf.length }];
    const six = await scan(src, range, { minLength: 6, encoding: 'both' });
    expect(six.stringsFound).toBe(4 + 5 + 2);
    expect(count(six, 'abcde')).toBe(0);
    expect(count(six, 'uvwxyz', 'utf16le')).toBe(2);
    const seven = await scan(src, range, { minLength: 7, encoding: 'both' });
    expect(seven.stringsFound).toBe(5);
    expect(count(seven, 'abcdefg')).toBe(5);
    const five = await scan(src, range, { minLength: 5 });
    expect(five.stringsFound).toBe(3 + 4 + 5);
  });

  it('matches the naive reference scanner on random data, for any block size', async () => {
    for (const seed of [11, 12, 13]) {
      const next = rng(seed);
      // Segments of random content with gaps between them; content mixes
      // text-like stretches (mostly printable), UTF-16 stretches and binary.
      const segs: { address: number; data: Buffer }[] = [];
      let addr = BASE;
      for (let s = 0; s < 4; s++) {
        const len = 20000 + Math.floor(next() * 150000);
        const data = Buffer.alloc(len);
        let i = 0;
        while (i < len) {
          const kind = next();
          const n = Math.min(len - i, 1 + Math.floor(next() * (kind < 0.05 ? 9000 : 300)));
          for (let k = 0; k < n; k++, i++) {
            if (kind < 0.45) data[i] = next() < 0.97 ? 0x20 + Math.floor(next() * 95) : Math.floor(next() * 256);
            else if (kind < 0.6) data[i] = i % 2 === 0 ? 0x41 + Math.floor(next() * 4) : next() < 0.97 ? 0 : 0x41;
            else if (kind < 0.7) data[i] = 0x61 + Math.floor(next() * 3); // few distinct short strings repeat
            else data[i] = Math.floor(next() * 256);
          }
        }
        segs.push({ address: addr, data });
        addr += len + (s % 2 === 0 ? 1 + Math.floor(next() * 5000) : 0) + 4096;
      }
      const src = imageSource(segs);
      // Ranges: one covering everything, plus a split of the second segment.
      const last = segs[segs.length - 1]!;
      const mid = segs[1]!.address + Math.floor(segs[1]!.data.length / 2) + 1;
      const ranges = [
        { start: BASE + 3, end: mid },
        { start: mid + 17, end: last.address + last.data.length - 5 },
      ];
      // Lengths around the 64-unit group and 32-unit UTF-16 group edges too.
      for (const minLength of [1 + Math.floor(next() * 10), 31, 33, 64, 65, 100]) {
        await compareWithReference(src, segs, ranges, minLength, minLength < 20 ? [4096, 8192, 65536, MiB] : [4096, MiB]);
      }
    }
  });

  async function compareWithReference(
    src: unknown,
    segs: { address: number; data: Buffer }[],
    ranges: { start: number; end: number }[],
    minLength: number,
    blockSizes: number[],
  ) {
    const expected: RefRun[] = [];
    let hole = 0;
    let readable = 0;
    for (const r of ranges) {
      let cursor = r.start;
      for (const s of segs) {
        const from = Math.max(r.start, s.address);
        const to = Math.min(r.end, s.address + s.data.length);
        if (from >= to) continue;
        hole += Math.max(0, from - cursor);
        readable += to - from;
        const piece = s.data.subarray(from - s.address, to - s.address);
        expected.push(...referenceRuns(from, piece, minLength, 'ascii'), ...referenceRuns(from, piece, minLength, 'utf16le'));
        cursor = to;
      }
      hole += Math.max(0, r.end - cursor);
    }
    expect(expected.length).toBeGreaterThan(0);
    const want = countsOf(expected);
    for (const blockSize of blockSizes) {
      const r = await scan(src, ranges, { minLength, encoding: 'both', top: 100000, blockSize, samples: 0 });
      expect(r.holeBytes).toBe(hole);
      expect(r.bytesScanned).toBe(readable);
      expect(r.stringsFound, `minLength ${minLength} blockSize ${blockSize}`).toBe(expected.length);
      expect(r.approximate).toBe(false);
      expect(r.distinct).toBe(want.size);
      expect(resultCounts(r)).toEqual(want);
    }
  }

  it('reports progress up to the total', async () => {
    const buf = binary(9 * MiB, 14);
    const seen: [number, number][] = [];
    const r = await scan(imageSource([{ address: BASE, data: buf }]), [{ start: BASE, end: BASE + buf.length }], {}, (d, t) =>
      seen.push([d, t]),
    );
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).toBeGreaterThanOrEqual(seen[i - 1]![0]);
    expect(seen[seen.length - 1]).toEqual([buf.length, buf.length]);
    expect(r.bytesTotal).toBe(buf.length);
  });

  it('rejects bad arguments with EINVAL', () => {
    const src = imageSource([{ address: BASE, data: Buffer.alloc(16) }]);
    const range = [{ start: BASE, end: BASE + 16 }];
    const bad: Record<string, unknown>[] = [
      { encoding: 'utf8' },
      { minLength: 0 },
      { minLength: 1.5 },
      { blockSize: 5000 },
      { chunkFilter: 'live' },
      { chunkMap: { spans: [{ start: BASE, end: BASE + 1024, arena: 0, firstWord: 1, words: 1 }], bits: Buffer.alloc(8) } },
      { chunkMap: { spans: [{ start: BASE, end: BASE + 16, arena: 0 }], bits: Buffer.alloc(8) } },
      { grep: '(' },
      { grep: '(a)\\1' },
      { grep: 42 },
    ];
    for (const options of bad) {
      expect(() => addon.scanStrings(src, range, options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'EINVAL' }),
      );
    }
    expect(() => addon.scanStrings(src, [{ start: BASE + 16, end: BASE }], {})).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(() => addon.scanStrings({}, range, {})).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});

describe('scanStrings with a chunk map', () => {
  // A synthetic heap: chunk headers (prev_size, size|PREV_INUSE) and text the
  // way glibc lays it out; the map (as the walker writes it) says where each
  // chunk starts and what it is. Two spans, one per arena.
  const H = BASE + 0x1000;
  const layout = [
    { off: 0x100, size: 0x30, mark: chunkMark.live, arena: 0, text: [[0x10, 'live-one-string']] },
    { off: 0x130, size: 0x40, mark: chunkMark.free, arena: 0, text: [[0x20, 'freed-text-remnant']] },
    // 24 usable bytes: the text runs into the next chunk's prev_size field.
    { off: 0x170, size: 0x20, mark: chunkMark.live, arena: 0, text: [[0x10, 'tail-twenty2-chars-xyz']] },
    { off: 0x190, size: 0x50, mark: chunkMark.free, arena: 0, text: [[0x20, 'tcache-remnant-text']] },
    { off: 0x1e0, size: 0x100, mark: chunkMark.live, arena: 1, text: [[0x10, 'live-two-string'], [0x40, 'live-two-string']] },
    { off: 0x2e0, size: 0x290, mark: chunkMark.other, arena: 1, text: [[0x10, 'internal-text-here']] },
    { off: 0x570, size: 0x1000, mark: chunkMark.free, arena: 1, text: [[0x30, 'top-chunk-garbage']] },
  ] as const;
  const heap = binary(0x2000, 20);
  for (const c of layout) {
    heap.fill(0, c.off, c.off + 16);
    heap.writeBigUInt64LE(BigInt(c.size | 1), c.off + 8);
  }
  for (const c of layout) for (const [o, t] of c.text) heap.write(t, c.off + o, 'latin1');
  heap.write('outside-any-chunk', 0x20, 'latin1');
  const spans = [
    { start: H + 0x100, end: H + 0x1e0, arena: 0 },
    { start: H + 0x1e0, end: H + 0x1570, arena: 1 },
  ];
  const map = packChunkMap(spans, layout.map((c) => ({ start: H + c.off, mark: c.mark })));
  const src = imageSource([{ address: H, data: heap }]);
  const range = [{ start: H, end: H + heap.length }];

  it('attributes every string to its chunk and sums string bytes per chunk size', async () => {
    const r = await scan(src, range, { chunkMap: map, samples: 100, top: 100 });
    expect(r.stringsFound).toBe(9);
    const bySize = Object.fromEntries(r.bySizeClass.map((e) => [e.chunkSize, e.stringBytes]));
    expect(bySize).toEqual({
      0x20: 22,
      0x30: 15,
      0x40: 18,
      0x50: 19,
      0x100: 30,
      0x290: 18,
      0x1000: 17,
    });
    expect(r.unattributedBytes).toBe('outside-any-chunk'.length);
    expect(r.bySizeClass.reduce((a, e) => a + e.stringBytes, 0) + r.unattributedBytes!).toBe(r.stringBytes);
    expect(r.byArena).toEqual([
      { arenaIndex: 0, stringBytes: 15 + 18 + 22 + 19, strings: 4 },
      { arenaIndex: 1, stringBytes: 30 + 18 + 17, strings: 4 },
    ]);
    const tail = r.samples.find((s) => s.text === 'tail-twenty2-chars-xyz')!;
    expect(tail).toMatchObject({ chunk: { start: H + 0x170, size: 0x20, state: 'live' }, arenaIndex: 0, address: H + 0x180 });
    expect(r.samples.find((s) => s.text === 'internal-text-here')).toMatchObject({ chunk: { start: H + 0x2e0, size: 0x290, state: 'internal' }, arenaIndex: 1 });
    expect(r.samples.find((s) => s.text === 'outside-any-chunk')).toMatchObject({ chunk: null, arenaIndex: -1 });
  });

  it('scans only in-use chunks with live, including the 8 bytes borrowed from the next header', async () => {
    const r = await scan(src, range, { chunkMap: map, chunkFilter: 'live', top: 100 });
    expect(r.strings.map((s) => [s.text, s.count]).sort()).toEqual([
      ['live-one-string', 1],
      ['live-two-string', 2],
      ['tail-twenty2-chars-xyz', 1],
    ]);
    expect(r.bytesTotal).toBe(0x28 + 0x18 + 0xf8);
    expect(r.unattributedBytes).toBe(0);
  });

  it('scans only free chunks (bins, fastbins, tcache, top) with free', async () => {
    const r = await scan(src, range, { chunkMap: map, chunkFilter: 'free', top: 100 });
    expect(r.strings.map((s) => s.text).sort()).toEqual(['freed-text-remnant', 'tcache-remnant-text', 'top-chunk-garbage']);
    expect(r.bySizeClass.map((e) => e.chunkSize)).toEqual([0x40, 0x50, 0x1000]);
  });

  it('intersects the filter with the requested ranges', async () => {
    // Start inside the second in-use string of the 0x100 chunk.
    const r = await scan(src, [{ start: H + 0x1e0 + 0x40 + 5, end: H + heap.length }], {
      chunkMap: map,
      chunkFilter: 'live',
    });
    expect(r.strings.map((s) => s.text)).toEqual(['two-string']);
  });

  it('reads spans whose words lie apart, each from its firstWord (the walker reserves every span its whole length)', async () => {
    // The same marks with two unused words before each span.
    const first0 = 2;
    const first1 = first0 + map.spans[0]!.words + 2;
    const apart = Buffer.alloc((first1 + map.spans[1]!.words) * 8, 0);
    map.bits.copy(apart, first0 * 8, 0, map.spans[0]!.words * 8);
    map.bits.copy(apart, first1 * 8, map.spans[0]!.words * 8);
    // Marks in the unused words would be chunks nowhere: they must not be read.
    apart.fill(0xff, 0, first0 * 8);
    apart.fill(0xff, (first0 + map.spans[0]!.words) * 8, first1 * 8);
    const laidApart = {
      spans: [
        { ...map.spans[0]!, firstWord: first0 },
        { ...map.spans[1]!, firstWord: first1 },
      ],
      bits: apart,
    };
    for (const filter of ['all', 'live', 'free'] as const) {
      const packed = await scan(src, range, { chunkMap: map, chunkFilter: filter, samples: 100, top: 100 });
      const spread = await scan(src, range, { chunkMap: laidApart, chunkFilter: filter, samples: 100, top: 100 });
      expect(spread.stringsFound, filter).toBeGreaterThan(0);
      expect(spread, filter).toEqual(packed);
    }
  });

  it('rejects malformed maps', () => {
    const overlapping = { spans: [spans[1]!, spans[0]!], bits: map.bits };
    const short = { spans, bits: map.bits.subarray(0, map.bits.length - 8) };
    const ragged = { spans, bits: Buffer.concat([map.bits, Buffer.alloc(3)]) };
    const misaligned = { spans: [{ start: H + 8, end: H + 0x100, arena: 0, words: 1 }], bits: Buffer.alloc(8) };
    const tooManyWords = { spans: [{ start: H, end: H + 0x100, arena: 0, words: 2 }], bits: Buffer.alloc(16) };
    // The walker names each span's first word; words of two spans must not overlap.
    const sharedWords = {
      spans: [
        { start: H, end: H + 0x400, arena: 0, firstWord: 0, words: 2 },
        { start: H + 0x1000, end: H + 0x1400, arena: 0, firstWord: 1, words: 1 },
      ],
      bits: Buffer.alloc(32),
    };
    for (const chunkMap of [overlapping, short, ragged, misaligned, tooManyWords, sharedWords]) {
      expect(() => addon.scanStrings(src, range, { chunkMap }), JSON.stringify(chunkMap.spans)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    }
  });
});

describe('scanStrings grep', () => {
  const buf = binary(128 * 1024, 30);
  const planted: [string, number][] = [
    ['error: disk full', 5],
    ['warning: low memory', 3],
    ['info: started ok', 7],
    ['ERROR: CAPS LOCK', 2],
  ];
  let at = 0;
  for (const [t, n] of planted) for (let i = 0; i < n; i++, at += 200) buf.write(t, at, 'latin1');
  const src = imageSource([{ address: BASE, data: buf }]);
  const range = [{ start: BASE, end: BASE + buf.length }];

  async function grep(pattern: string, grepIgnoreCase = false) {
    const r = await scan(src, range, { grep: pattern, grepIgnoreCase, samples: 100, top: 100 });
    expect(r.stringsFound + r.grepRejected).toBe(17);
    for (const s of r.samples) expect(r.strings.some((e) => e.text === s.text)).toBe(true);
    expect(r.samples.length).toBe(r.stringsFound);
    return Object.fromEntries(r.strings.map((s) => [s.text, s.count]));
  }

  it('counts and samples only matching strings', async () => {
    expect(await grep('error')).toEqual({ 'error: disk full': 5 });
    expect(await grep('error', true)).toEqual({ 'error: disk full': 5, 'ERROR: CAPS LOCK': 2 });
    expect(await grep('^(error|warning):')).toEqual({ 'error: disk full': 5, 'warning: low memory': 3 });
    expect(await grep('mem.ry$')).toEqual({ 'warning: low memory': 3 });
    expect(await grep('^error: [A-Z]', true)).toEqual({ 'error: disk full': 5, 'ERROR: CAPS LOCK': 2 });
    expect(await grep('\\bok$')).toEqual({ 'info: started ok': 7 });
    expect(await grep('^[A-Z :]+$')).toEqual({ 'ERROR: CAPS LOCK': 2 });
    expect(await grep('nothing matches this')).toEqual({});
  });

  it('treats an alternation of literals like the regex it is', async () => {
    // the literal fast path must agree with std::regex on the same pattern (a
    // wrapping group sends it through the regex)
    const cases: [string, boolean][] = [
      ['disk|low memory', false],
      ['DISK|started', true],
      ['CAPS|nothing|info: ', false],
      ['nothing|', false], // an empty alternative matches everything
    ];
    for (const [pattern, icase] of cases) {
      const fast = await grep(pattern, icase);
      expect(fast).toEqual(await grep(`(?:${pattern})`, icase));
      expect(Object.keys(fast).length).toBeGreaterThan(0);
    }
    expect(await grep('disk|low memory')).toEqual({ 'error: disk full': 5, 'warning: low memory': 3 });
    expect(await grep('nothing|')).toEqual(Object.fromEntries(planted));
  });

  it('runs the regex only on strings that hold its required literal, with the same verdicts', async () => {
    // [pattern, icase, how many of the 4 distinct strings hold the literal
    // that every match must contain, so reach std::regex]
    const cases: [string, boolean, number][] = [
      ['disk fu?ll', false, 1], // literal "disk f"
      ['lo+w mem', false, 1], // "lo" (the o repeats), then "w mem", the longer
      ['^info: st[a-z]+ed', false, 1], // "info: st"
      ['e?rror: [a-z]+ (full|lock)', true, 2], // "rror: ", any case
      ['(warn|err)(ing|or): x*[a-z]{2,}', false, 4], // groups are skipped: ": ", which all four hold
      ['o{2}|memor', false, 3], // "o" (from o{2}) or "memor": CAPS LOCK has neither
      ['k{0}full', false, 1], // k may be absent: "full"
      ['\\bCAPS\\b', false, 1],
      ['\\.|\\(', false, 0], // escaped punctuation is literal: no string holds "." or "("
    ];
    for (const [pattern, icase, regexRuns] of cases) {
      const js = new RegExp(pattern, icase ? 'i' : '');
      const want = Object.fromEntries(planted.filter(([text]) => js.test(text)));
      const r = await scan(src, range, { grep: pattern, grepIgnoreCase: icase, top: 100 });
      expect(Object.fromEntries(r.strings.map((s) => [s.text, s.count])), pattern).toEqual(want);
      expect(r.grepEvaluations, pattern).toBe(planted.length);
      expect(r.grepRegexRuns, pattern).toBe(regexRuns);
    }
  });

  it('judges with a DFA when the pattern is in the syntax it models, std::regex otherwise', async () => {
    const cases: [string, string, string[]][] = [
      ['disk|low memory', 'literal', ['error: disk full', 'warning: low memory']],
      ['^(error|warning): [a-z]+', 'dfa', ['error: disk full', 'warning: low memory']],
      ['[A-Z]{4} L.CK$', 'dfa', ['ERROR: CAPS LOCK']],
      ['\\bok$|\\Bsk\\b', 'dfa', ['error: disk full', 'info: started ok']],
      ['ERROR(?=:)', 'std::regex', ['ERROR: CAPS LOCK']], // lookahead is not modelled
      ['ERROR\\x3a', 'std::regex', ['ERROR: CAPS LOCK']], // nor \x escapes
    ];
    for (const [pattern, engine, matching] of cases) {
      const r = await scan(src, range, { grep: pattern, top: 100 });
      expect(r.grepEngine, pattern).toBe(engine);
      expect(r.strings.map((s) => s.text).sort(), pattern).toEqual(matching);
    }
  });

  it('runs the regex on every string when some alternative has no required literal', async () => {
    for (const pattern of ['\\d+|disk', '[dD]', '(disk)', 'x\\x41', 'a*b?']) {
      const r = await scan(src, range, { grep: pattern });
      expect(r.grepRegexRuns, pattern).toBe(4);
    }
  });

  it('evaluates the pattern once per distinct string, not per occurrence', async () => {
    const r = await scan(src, range, { grep: 'e.r' });
    expect(r.grepEvaluations).toBe(4);
  });
});
