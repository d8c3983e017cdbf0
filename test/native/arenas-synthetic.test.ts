// The walker against synthetic memory images of every glibc layout range:
// each number it reports must equal what the image builder planted.
import { describe, expect, it } from 'vitest';

import { chunkMark, markAt, withChunkListing } from '../helpers/chunkList.js';
import { buildHeapImage, type BuiltImage, type ExpectedArena } from '../helpers/heapImage.js';
import { busyProcess, noncontiguousMain, tcacheFoundBy, threeMainSegments, type LayoutEntry } from './scenarios.js';

import { addon } from './rawAddon.js';
import { knownLayouts, testAddon } from './testAddon.js';
const layouts: LayoutEntry[] = knownLayouts();

function walk(img: BuiltImage, layout: unknown, extra: Record<string, unknown> = {}) {
  const src = addon.MemorySource.fromImage(img.segments);
  return addon.walkArenas(src, layout, {
    mainArena: img.mainArena,
    mp: img.mp,
    withBins: true,
    chunkMap: true,
    withHistogram: true,
    withTcacheDetail: true,
    ...extra,
  });
}

/** The listing's states as the chunk map marks them. */
const markOfState: Record<string, number> = {
  'in-use': chunkMark.live,
  internal: chunkMark.other,
  fastbin: chunkMark.free,
  tcache: chunkMark.free,
  unsorted: chunkMark.free,
  'small-bin': chunkMark.free,
  'large-bin': chunkMark.free,
  top: chunkMark.free,
};

function expectArena(actual: any, exp: ExpectedArena) {
  expect(actual.address).toBe(exp.address);
  expect(actual.main).toBe(exp.main);
  expect(actual.systemMem).toBe(exp.systemMem);
  expect(actual.inUse).toEqual(exp.inUse);
  expect(actual.internal).toEqual(exp.internal);
  expect(actual.free.fastbins).toEqual(exp.fastbins);
  expect(actual.free.unsorted).toEqual(exp.unsorted);
  expect(actual.free.smallbins).toEqual(exp.smallbins);
  expect(actual.free.largebins).toEqual(exp.largebins);
  expect(actual.free.tcache).toEqual(exp.tcache);
  expect(actual.free.unlisted).toEqual({ chunks: 0, bytes: 0 });
  expect(actual.top).toEqual(exp.top);
  expect(actual.overhead).toBe(exp.overhead);
  expect(actual.heaps.map((h: any) => ({ start: h.start, size: h.size, firstChunk: h.firstChunk }))).toEqual(exp.heaps);
  expect(actual.accountedBytes).toBe(exp.systemMem);
  expect(actual.identityHolds).toBe(true);
  expect(actual.approximate).toBe(false);
  expect(actual.anomalies).toEqual([]);
  const bins = new Map<string, unknown>(
    actual.bins.map((b: any) => [`${b.kind}:${b.index}`, { chunks: b.chunks, bytes: b.bytes, rawSizeSum: b.rawSizeSum }]),
  );
  expect(bins).toEqual(exp.bins);
}

describe.each(layouts.map((l) => [l.name, l] as const))('glibc %s synthetic image', (_name, entry) => {
  it('reports exactly the planted arenas, bins, tcaches and chunks', async () => {
    const { spec, hints } = busyProcess(entry.layout);
    const img = buildHeapImage(spec);
    const { result: r, chunks: listed } = await withChunkListing((fd): Promise<any> => walk(img, entry.layout, { tcacheStructs: hints.map((id) => img.chunk.get(id)! + 0x10), listChunks: { fd } }));
    expect(r.anomalies).toEqual([]);
    expect(r.ringClosed).toBe(true);
    expect(r.approximate).toBe(false);
    expect(r.heapMaxSize).toBe(64 * 1024 * 1024);
    expect(r.arenas).toHaveLength(img.expected.length);
    img.expected.forEach((exp, k) => expectArena(r.arenas[k], exp));
    expect(r.mp.sbrkBase).toBe(img.read64(img.mp + entry.layout.mpSbrkBase));
    expect(r.mp.nMmapsMax).toBe(65536);

    // Every tcache, found by the route its place implies, with its lists.
    const found = r.arenas.flatMap((a: any) => a.tcaches);
    const expectedTcaches = (spec.tcaches ?? []).map((t, i) => ({
      address: img.chunk.get(t.structId)! + 0x10,
      foundBy: tcacheFoundBy[t.structId],
      chunks: img.tcaches[i]!.chunks,
      bytes: img.tcaches[i]!.bytes,
      mmapped: { chunks: 0, bytes: 0 },
      counts: img.tcaches[i]!.counts,
    }));
    const byAddress = (x: { address: number }, y: { address: number }) => x.address - y.address;
    expect([...found].sort(byAddress)).toEqual([...expectedTcaches].sort(byAddress));

    // The listing: one line per chunk in address order, states as planned;
    // the chunk map marks each chunk start the same way.
    for (let i = 1; i < listed.length; i++) expect(listed[i]!.start).toBeGreaterThan(listed[i - 1]!.start);
    for (const c of listed) expect(markAt(r.chunkMap, c.start)).toBe(markOfState[c.state]);
    img.expected.forEach((exp, k) => {
      const mine = listed.filter((c) => c.arena === exp.address);
      const sum = (...states: string[]) => mine.filter((c) => states.includes(c.state)).reduce((s, c) => s + c.size, 0);
      expect(sum('in-use')).toBe(exp.inUse.bytes);
      expect(sum('internal')).toBe(exp.internal.bytes);
      expect(sum('fastbin')).toBe(exp.fastbins.bytes);
      expect(sum('tcache')).toBe(exp.tcache.bytes);
      expect(sum('unsorted')).toBe(exp.unsorted.bytes);
      expect(sum('small-bin', 'large-bin')).toBe(exp.smallbins.bytes + exp.largebins.bytes);
      expect(mine.filter((c) => c.state === 'top')).toEqual([{ arena: exp.address, start: exp.top.address, size: exp.top.size, state: 'top' }]);
      // Histogram rows add up to the same totals (top excluded).
      const h = r.arenas[k].histogram;
      const inUse = h.reduce((s: number, row: any) => s + row.inUseBytes, 0);
      const free = h.reduce((s: number, row: any) => s + row.freeBytes, 0);
      expect(inUse).toBe(exp.inUse.bytes + exp.internal.bytes);
      expect(free).toBe(exp.fastbins.bytes + exp.tcache.bytes + exp.unsorted.bytes + exp.smallbins.bytes + exp.largebins.bytes);
    });
  });

  it('flags an arena whose lock is held as approximate, and only that one', async () => {
    const { spec, hints } = busyProcess(entry.layout);
    const img = buildHeapImage(spec);
    // malloc_state starts with its mutex (a lll lock: 0 free, 1 taken, 2 contended)
    const busy = img.expected[1]!.address;
    img.write64(busy, Math.floor(img.read64(busy) / 2 ** 32) * 2 ** 32 + 1); // flags, the int above it, kept
    const r = await walk(img, entry.layout, { tcacheStructs: hints.map((id) => img.chunk.get(id)! + 0x10) });
    expect(r.approximate).toBe(true);
    expect(r.arenas.map((a: any) => a.approximate)).toEqual(img.expected.map((e) => e.address === busy));
    // what it read is still exact here: the flag warns, it does not discard
    img.expected.forEach((exp, k) => expect(r.arenas[k].inUse).toEqual(exp.inUse));
    expect(r.anomalies).toEqual([]);
  });

  it('finds main_arena and mp_ in the libc data image', async () => {
    const img = buildHeapImage(busyProcess(entry.layout).spec);
    const src = addon.MemorySource.fromImage(img.segments);
    const libcData = img.segments[0]!;
    const end = libcData.address + libcData.data.length;
    const arenas = await addon.scanForMainArena(src, libcData.address, end, entry.layout, img.heapMax);
    expect(arenas.map((c: any) => c.address)).toEqual([img.mainArena]);
    expect(arenas[0].ringLength).toBe(3);
    expect(arenas[0].initialized).toBe(true);
    // scanForMallocPar is test-only: the test addon's, over its own source of the same image.
    const pars = await testAddon.scanForMallocPar(testAddon.MemorySource.fromImage(img.segments), libcData.address, end, entry.layout);
    expect(pars[0]?.address).toBe(img.mp);
  });

  it('reads heap_info of a non-main heap', () => {
    const img = buildHeapImage(busyProcess(entry.layout).spec);
    const src = testAddon.MemorySource.fromImage(img.segments); // readHeapInfo is test-only
    const [older, newer] = img.expected[2]!.heaps;
    const info = testAddon.readHeapInfo(src, newer!.start, entry.layout);
    expect(info).toEqual({
      arPtr: img.expected[2]!.address,
      prev: older!.start,
      size: newer!.size,
      mprotectSize: newer!.size,
      pagesize: entry.layout.heapInfoHasPagesize ? 0x1000 : null,
    });
    expect(testAddon.readHeapInfo(src, 0x1000, entry.layout)).toBeNull();
  });

  it('walks a non-contiguous main arena across its segments', async () => {
    const spec = noncontiguousMain(entry.layout);
    const img = buildHeapImage(spec);
    const r = await walk(img, entry.layout);
    expect(r.anomalies).toEqual([]);
    expectArena(r.arenas[0], img.expected[0]!);
  });
});

describe('non-contiguous main arena with segments linked nowhere', () => {
  const entry = layouts.find((l) => l.name === '2.35-2.41')!;

  it('finds a middle segment next to its neighbours', async () => {
    const img = buildHeapImage(threeMainSegments(entry.layout, false));
    const r = await walk(img, entry.layout);
    expect(r.anomalies).toEqual([]);
    const exp = img.expected[0]!;
    expectArena(r.arenas[0], { ...exp, heaps: [...exp.heaps].sort((x, y) => x.start - y.start) });
  });

  it('finds an isolated segment from a bin pointing into it', async () => {
    const img = buildHeapImage(threeMainSegments(entry.layout, true));
    const r = await walk(img, entry.layout);
    expect(r.anomalies).toEqual([]);
    const exp = img.expected[0]!;
    expectArena(r.arenas[0], { ...exp, heaps: [...exp.heaps].sort((x, y) => x.start - y.start) });
  });

  it('reports the bytes of a segment nothing leads to', async () => {
    const img = buildHeapImage(threeMainSegments(entry.layout, true));
    // Cut the only links into the middle segment: its free chunks leave the bins.
    const exp = img.expected[0]!;
    const middle = exp.heaps[1]!;
    const L = entry.layout;
    for (let i = 1; i < 128; i++) {
      const slot = exp.address + L.offBins + 16 * (i - 1);
      for (const link of [slot, slot + 8]) {
        const p = img.read64(link);
        if (p >= middle.start && p < middle.start + middle.size) {
          img.write64(slot, slot - 0x10);
          img.write64(slot + 8, slot - 0x10);
        }
      }
    }
    const r = await walk(img, entry.layout);
    const main = r.arenas[0];
    expect(main.anomalies.map((a: any) => a.kind)).toContain('main-segments-missing');
    expect(main.anomalies.find((a: any) => a.kind === 'main-segments-missing').detail).toBe(
      `${middle.size} bytes of system_mem lie in main-arena segments that were not found`,
    );
    expect(main.identityHolds).toBe(false);
    expect(main.systemMem - main.accountedBytes).toBe(middle.size);
  });
});

describe('layout table', () => {
  // The reference's section 0 table and first-chunk table, restated.
  const facts: Record<string, [number, number, number, number, number, number]> = {
    // name: stateSize, heapInfoSize, mpSize, tcacheChunkSize, safeLinking, first chunk offset
    '2.17-2.22': [0x888, 0x20, 0x58, 0, 0, 0x8b0],
    '2.23': [0x890, 0x20, 0x58, 0, 0, 0x8b0],
    '2.24-2.25': [0x890, 0x20, 0x50, 0, 0, 0x8b0],
    '2.26': [0x890, 0x20, 0x70, 0x250, 0, 0x8b0],
    '2.27-2.28': [0x898, 0x20, 0x70, 0x250, 0, 0x8c0],
    '2.29': [0x898, 0x20, 0x70, 0x250, 0, 0x8c0],
    '2.30-2.31': [0x898, 0x20, 0x70, 0x290, 0, 0x8c0],
    '2.32-2.34': [0x898, 0x20, 0x70, 0x290, 1, 0x8c0],
    '2.35-2.41': [0x898, 0x30, 0x88, 0x290, 1, 0x8d0],
    '2.42': [0x898, 0x30, 0x88, 0x300, 1, 0x8d0],
    '2.43': [0x840, 0x30, 0x90, 0x300, 1, 0x870],
    '2.44': [0x840, 0x30, 0x88, 0x300, 1, 0x870],
  };

  it('covers every release range once', () => {
    expect(layouts.map((l) => l.name)).toEqual(Object.keys(facts));
  });

  it.each(Object.entries(facts))('%s matches the reference sizes', (name, f) => {
    const l = layouts.find((x) => x.name === name)!.layout;
    expect([l.stateSize, l.heapInfoSize, l.mpSize, l.tcacheChunkSize, l.safeLinking]).toEqual(f.slice(0, 5));
    // The first chunk of an arena's own heap, as the image builder places it.
    const firstChunk = Math.ceil((l.heapInfoSize + l.stateSize + 0x10) / 16) * 16 - 0x10;
    expect(firstChunk).toBe(f[5]);
    // The unsorted bin's fake chunk overlays top (bin_at(1) == &av->top).
    expect(l.offBins - 0x10).toBe(l.offTop);
  });

  it('rejects a layout with a missing or impossible field', () => {
    const src = addon.MemorySource.fromImage([]);
    const good = layouts[0]!.layout;
    const { offTop: _omit, ...missing } = good;
    expect(() => addon.walkArenas(src, missing, { mainArena: 0x1000, mp: 0x2000 })).toThrow(/offTop/);
    expect(() => addon.walkArenas(src, { ...good, offNext: 0x5000 }, { mainArena: 0x1000, mp: 0x2000 })).toThrow(
      /invalid malloc layout/,
    );
    expect(() => addon.walkArenas(src, { ...good, offFlags: '4' }, { mainArena: 0x1000, mp: 0x2000 })).toThrow(
      /offFlags/,
    );
  });
});
