// The walker against corrupted images: every bad pointer or size must end in
// a counted anomaly and a finished walk, never a crash, a hang or a throw.
import { describe, expect, it } from 'vitest';

import { buildHeapImage, type BuiltImage } from '../helpers/heapImage.js';
import { busyProcess, type LayoutEntry } from './scenarios.js';

import { addon } from './rawAddon.js';
import { knownLayouts } from './testAddon.js';
const layouts: LayoutEntry[] = knownLayouts();
const modern = layouts.find((l) => l.name === '2.35-2.41')!;
const classic = layouts.find((l) => l.name === '2.27-2.28')!;

function image(entry: LayoutEntry): BuiltImage {
  return buildHeapImage(busyProcess(entry.layout).spec);
}

async function walk(img: BuiltImage, entry: LayoutEntry, extra: Record<string, unknown> = {}) {
  const src = addon.MemorySource.fromImage(img.segments);
  return addon.walkArenas(src, entry.layout, { mainArena: img.mainArena, mp: img.mp, withBins: true, ...extra });
}

function kinds(r: any): string[] {
  return [...r.anomalies, ...r.arenas.flatMap((a: any) => a.anomalies)].map((a: any) => a.kind);
}

/** The value glibc would store for `pointer` in the in-chunk field at `field`. */
function mangled(entry: LayoutEntry, field: number, pointer: number): number {
  if (!entry.layout.safeLinking) return pointer;
  return Number((BigInt(field) >> 12n) ^ BigInt(pointer));
}

/** Chunks of one kind and size in an arena, in address order. */
function chunksOf(img: BuiltImage, entry: LayoutEntry, arena: number, kind: string, size: number): number[] {
  const spec = busyProcess(entry.layout).spec;
  const out: number[] = [];
  spec.arenas[arena]!.heaps.forEach((heap, j) => {
    let at = img.expected[arena]!.heaps[j]!.firstChunk;
    for (const c of heap.chunks) {
      if (c.kind === kind && c.size === size) out.push(at);
      at += c.size;
    }
  });
  return out;
}

describe.each([
  ['safe-linking', modern],
  ['plain links', classic],
])('hostile images (%s)', (_label, entry) => {
  const L = entry.layout;

  it('stops a fastbin that loops', async () => {
    const img = image(entry);
    const [first, second] = chunksOf(img, entry, 0, 'fast', 0x20);
    img.write64(second! + 0x10, mangled(entry, second! + 0x10, first!));
    const r = await walk(img, entry);
    expect(kinds(r)).toContain('fastbin-cycle');
    expect(r.arenas[0].free.fastbins.chunks).toBe(img.expected[0]!.fastbins.chunks);
  });

  it('stops a bin whose fd loops back inside the list', async () => {
    const img = image(entry);
    const [first, , third] = chunksOf(img, entry, 1, 'free', 0x100);
    img.write64(third! + 0x10, first!);
    const r = await walk(img, entry);
    expect(kinds(r).some((k) => k === 'bin-cycle' || k === 'bin-link-broken')).toBe(true);
  });

  it('ends a heap walk at a size running past the heap end', async () => {
    const img = image(entry);
    const victim = chunksOf(img, entry, 1, 'inuse', 0x50)[0]!;
    img.write64(victim + 8, 0x10_0000 | 1);
    const r = await walk(img, entry);
    expect(r.arenas[1].anomalies.map((a: any) => a.kind)).toContain('chunk-size-invalid');
    expect(r.arenas[1].identityHolds).toBe(false);
    expect(r.arenas[0].identityHolds).toBe(true);
    expect(r.arenas[2].identityHolds).toBe(true);
  });

  it('rejects misaligned list pointers', async () => {
    const img = image(entry);
    const a1 = img.expected[1]!.address;
    const head = a1 + L.offFastbins + 8 * 1; // fastbin for 0x30 chunks
    img.write64(head, img.read64(head) + 8);
    const tc = img.chunk.get('a1.tc')! + 0x10;
    img.write64(tc + L.tcacheEntriesOffset, img.read64(tc + L.tcacheEntriesOffset) + 4);
    const r = await walk(img, entry);
    expect(kinds(r)).toContain('fastbin-misaligned');
    expect(kinds(r)).toContain('tcache-list-broken');
  });

  it('rejects a fastbin chunk whose size is far beyond any fastbin', async () => {
    // (0x8_0000_0010 >> 4) is 0x8000_0001: as a 32-bit int, minus 2 overflows.
    // The sanitized run fails here if the index is computed in 32 bits.
    const img = image(entry);
    const [first] = chunksOf(img, entry, 0, 'fast', 0x20);
    img.write64(first! + 8, 0x8_0000_0010);
    const r = await walk(img, entry);
    expect(r.arenas[0].anomalies.map((a: any) => a.kind)).toContain('fastbin-size-mismatch');
  });

  it('rejects a bin pointer outside every heap', async () => {
    const img = image(entry);
    const unsortedFd = img.expected[1]!.address + L.offBins;
    img.write64(unsortedFd, 0x1234_5670);
    const r = await walk(img, entry);
    expect(r.arenas[1].anomalies.map((a: any) => a.kind)).toContain('bin-outside-heap');
  });

  it('stops an arena ring that never returns to main_arena', async () => {
    const img = image(entry);
    img.write64(img.expected[2]!.address + L.offNext, img.expected[1]!.address);
    const r = await walk(img, entry);
    expect(r.ringClosed).toBe(false);
    expect(kinds(r)).toContain('ring-cycle');
    expect(r.arenas).toHaveLength(3);

    const img2 = image(entry);
    img2.write64(img2.expected[2]!.address + L.offNext, 0x7e00_0000_0000 + L.heapInfoSize);
    const r2 = await walk(img2, entry);
    expect(kinds(r2)).toContain('arena-unreadable');

    const r3 = await walk(image(entry), entry, { maxArenas: 2 });
    expect(kinds(r3)).toContain('ring-unclosed');
    expect(r3.arenas).toHaveLength(2);
  });

  it('survives absurd sizes in top, heap_info and system_mem', async () => {
    const img = image(entry);
    const top1 = img.expected[1]!.top.address;
    img.write64(top1 + 8, 0x7fff_ffff_fff1);
    const newer = img.expected[2]!.heaps[1]!.start;
    img.write64(newer + 0x10, 0xffff_ffff_f000);
    img.write64(img.expected[0]!.address + L.offSystemMem, 0x7fff_ffff_ffff);
    const r = await walk(img, entry);
    expect(kinds(r)).toContain('top-end-mismatch');
    expect(kinds(r)).toContain('heap-size-invalid');
    expect(r.arenas.every((a: any) => a.identityHolds === false)).toBe(true);
  });

  it('keeps an absurd main-arena top from sizing the walk', async () => {
    const img = image(entry);
    img.write64(img.expected[0]!.top.address + 8, 0x7fff_ffff_fff1);
    const r = await walk(img, entry, { withChunks: true });
    expect(kinds(r)).toContain('main-not-contiguous');
    expect(r.arenas[0].heaps[0].size).toBe(img.expected[0]!.systemMem);
    expect(r.arenas[0].identityHolds).toBe(false);
    expect(r.arenas[1].identityHolds).toBe(true);
  });

  it('stops a heap_info.prev chain that loops', async () => {
    const img = image(entry);
    const newer = img.expected[2]!.heaps[1]!.start;
    img.write64(newer + 8, newer);
    const r = await walk(img, entry);
    expect(r.arenas[2].anomalies.map((a: any) => a.kind)).toContain('heap-chain-cycle');
  });

  it('rejects a tcache whose counts exceed tcache_count', async () => {
    const img = image(entry);
    const tc = img.chunk.get('a1.tc')! + 0x10;
    img.write64(tc, 0x7fff_ffff_ffff); // every counter of bins 0-2 at its maximum
    const r = await walk(img, entry);
    const found = r.arenas.flatMap((a: any) => a.tcaches).map((t: any) => t.address);
    expect(found).not.toContain(tc);
    // Its members now look like ordinary in-use chunks.
    expect(r.arenas[1].inUse.chunks).toBeGreaterThan(img.expected[1]!.inUse.chunks);
  });

  it('keeps a tcache the scan found whose list breaks past a good head, and names the break', async () => {
    // a1.tc2 is at no known place (as every 2.43+ tcache): only the scan of in-use chunks of
    // its size finds it. Its one entry's next now points on, outside every heap.
    const img = image(entry);
    const tc = img.chunk.get('a1.tc2')! + 0x10;
    const head = img.chunk.get('a1.t4')! + 0x10;
    img.write64(head, mangled(entry, head, 0xdead0010));
    const r = await walk(img, entry);
    expect(r.arenas.flatMap((a: any) => a.tcaches).map((t: any) => t.address)).toContain(tc);
    expect(r.anomalies.filter((a: any) => a.kind === 'tcache-list-broken').map((a: any) => a.address)).toContain(tc);
    // Its entry is still counted as cached, not in use.
    expect(r.arenas[1].free.tcache).toEqual(img.expected[1]!.tcache);
  });

  it('bounds chunks per heap', async () => {
    const r = await walk(image(entry), entry, { maxChunksPerHeap: 5 });
    expect(kinds(r)).toContain('chunk-limit');
  });

  it('finishes on hundreds of randomly corrupted images', async () => {
    // mulberry32: a small deterministic PRNG so a failure reproduces.
    let seed = 0x5eed1234;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pristine = image(entry);
    const targets: { start: number; len: number }[] = [
      ...pristine.expected.map((e) => ({ start: e.address, len: L.stateSize })),
      ...pristine.expected.flatMap((e) => e.heaps.map((h) => ({ start: h.start, len: Math.min(h.size, 0x3000) }))),
    ];
    const pointers = pristine.expected.flatMap((e) => [e.address, e.top.address, ...e.heaps.map((h) => h.firstChunk)]);
    for (let iter = 0; iter < 150; iter++) {
      const img = image(entry);
      const edits = 1 + Math.floor(rand() * 6);
      for (let k = 0; k < edits; k++) {
        const t = targets[Math.floor(rand() * targets.length)]!;
        const at = t.start + Math.floor((rand() * t.len) / 8) * 8;
        const choice = rand();
        const value =
          choice < 0.2 ? 0
          : choice < 0.4 ? Math.floor(rand() * 0x1000)
          : choice < 0.7 ? pointers[Math.floor(rand() * pointers.length)]! + Math.floor(rand() * 0x400) * 8
          : Math.floor(rand() * 2 ** 52);
        img.write64(at, value);
      }
      const r = await walk(img, entry, { withChunks: true, withHistogram: true, withTcacheDetail: true });
      expect(r.arenas.length).toBeGreaterThan(0);
      for (const a of r.arenas) {
        expect(a.anomalies.length).toBeLessThanOrEqual(256);
        expect(Number.isFinite(a.accountedBytes)).toBe(true);
      }
    }
  });
});

describe('tcache entries and hints outside every heap', () => {
  // glibc 2.43 __libc_free puts any chunk below tcache_max_bytes in a tcache bin, mmapped
  // ones included (2.42 still checked !chunk_is_mmapped), and sizes an mmapped chunk 16
  // bytes short of its mapping (mmap_size() = prev_size + chunksize + CHUNK_HDR_SZ).
  const v243 = layouts.find((l) => l.name === '2.43')!;
  const v242 = layouts.find((l) => l.name === '2.42')!;
  const mapAt = 0x7f80_0000_0000;
  const mapLength = 0x31000;

  /** Index of a 2.42+ large tcache bin: TCACHE_SMALL_BINS + clz(MAX_TCACHE_SMALL_SIZE) - clz(size). */
  const largeTcacheIndex = (size: number) => 64 + Math.clz32(0x410) - Math.clz32(size);

  /**
   * a1's tcache with one more entry: a chunk alone in its own mapping at mapAt whose size
   * field is `sizeField`, at the head of its large bin, its links as tcache_put leaves them.
   */
  function withMmappedEntry(entry: LayoutEntry, sizeField: number) {
    const L = entry.layout;
    const img = image(entry);
    const tc = img.chunk.get('a1.tc')! + 0x10;
    const user = mapAt + 0x10;
    // The process-wide tcache_key every entry of the struct carries (tcache_put).
    const heads = Array.from({ length: L.tcacheBins }, (_, i) => img.read64(tc + L.tcacheEntriesOffset + 8 * i));
    const keyAt = heads.find((h) => h !== 0)! + 8;
    const keySegment = img.segments.find((g) => keyAt >= g.address && keyAt + 8 <= g.address + g.data.length)!;
    const key = keySegment.data.readBigUInt64LE(keyAt - keySegment.address); // above 2^53: read as a bigint
    const map = Buffer.alloc(mapLength);
    map.writeBigUInt64LE(BigInt(sizeField), 8);
    map.writeBigUInt64LE(BigInt(mangled(entry, user, 0)), 0x10); // next: NULL, safe-linked
    map.writeBigUInt64LE(key, 0x18);
    img.segments.push({ address: mapAt, data: map });
    const bin = largeTcacheIndex(sizeField & ~7);
    const slots = tc + 2 * bin - (2 * bin) % 8;
    const shift = BigInt(((2 * bin) % 8) * 8);
    const word = BigInt(img.read64(slots));
    const count = busyProcess(L).spec.tcacheCount!;
    img.write64(slots, Number((word & ~(0xffffn << shift)) | (BigInt(count - 1) << shift))); // num_slots: one used
    img.write64(tc + L.tcacheEntriesOffset + 8 * bin, user);
    return { img, tc, expected: img.expected };
  }

  it('2.43: an mmapped chunk of its bin is an entry in no arena, not an anomaly', async () => {
    const size = mapLength - 0x10; // mapping length - CHUNK_HDR_SZ
    const { img, tc, expected } = withMmappedEntry(v243, size | 2);
    const r = await walk(img, v243);
    expect(kinds(r)).toEqual([]);
    const t = r.arenas.flatMap((a: any) => a.tcaches).find((x: any) => x.address === tc);
    const before = img.tcaches.find((x) => x.address === tc)!;
    expect(t).toMatchObject({ chunks: before.chunks + 1, bytes: before.bytes + size, mmapped: { chunks: 1, bytes: size } });
    // The arenas' own accounts do not change: the chunk lies in none of their heaps.
    r.arenas.forEach((a: any, i: number) => {
      expect(a.free.tcache).toEqual(expected[i]!.tcache);
      expect(a.identityHolds).toBe(true);
    });
  });

  it('2.43: outside every heap and not an mmapped chunk of its bin is a broken list, as before', async () => {
    // the size up to 2.42 (= mapping length) is not 2.43's; PREV_INUSE is not an mmapped chunk's
    for (const sizeField of [mapLength | 2, (mapLength - 0x10) | 3]) {
      const { img } = withMmappedEntry(v243, sizeField);
      const r = await walk(img, v243);
      expect(r.anomalies.map((a: any) => [a.kind, a.detail])).toContainEqual(['tcache-list-broken', expect.stringMatching(/outside every heap and not an mmapped chunk/)]);
    }
    // in no mapping at all
    const { img, tc } = withMmappedEntry(v243, (mapLength - 0x10) | 2);
    img.write64(tc + v243.layout.tcacheEntriesOffset + 8 * largeTcacheIndex(mapLength - 0x10), 0xdead0010);
    const r = await walk(img, v243);
    expect(r.anomalies.map((a: any) => [a.kind, a.detail])).toContainEqual(['tcache-list-broken', expect.stringMatching(/outside every heap and unreadable/)]);
  });

  it('2.42: a tcache never holds an mmapped chunk', async () => {
    const { img } = withMmappedEntry(v242, mapLength | 2);
    const r = await walk(img, v242);
    expect(r.anomalies.map((a: any) => [a.kind, a.detail])).toContainEqual(['tcache-list-broken', expect.stringMatching(/outside every heap$/)]);
  });

  it('a tcache pointer outside every heap is no tcache yet: NULL, or 2.43+ __tcache_dummy in libc', async () => {
    for (const entry of [v242, v243]) {
      const img = image(entry);
      const hints = [0, 0x7ff0_001a_5bc0, img.chunk.get('a2.hint')! + 0x10];
      const r = await walk(img, entry, { tcacheStructs: hints });
      expect(kinds(r)).toEqual([]);
      expect(r.arenas.flatMap((a: any) => a.tcaches).map((t: any) => t.address)).toContain(hints[2]);
    }
  });

  it('a chunk of the tcache size at a known place whose counters and heads mostly disagree is not a tcache', async () => {
    // 2.43+ makes the tcache at the first small free, so the first chunk of a heap may be a
    // user's zeroed 0x300 chunk: every num_slots 0 (each bin full) and no heads.
    const img = image(v243);
    const tc = img.chunk.get('a1.tc')! + 0x10;
    const structLen = v243.layout.tcacheEntriesOffset + 8 * v243.layout.tcacheBins;
    for (let at = 0; at < structLen; at += 8) img.write64(tc + at, 0);
    const r = await walk(img, v243);
    expect(r.arenas.flatMap((a: any) => a.tcaches).map((t: any) => t.address)).not.toContain(tc);
    expect(r.anomalies.filter((a: any) => a.kind === 'tcache-list-broken' && a.address === tc)).toEqual([]);
  });
});
