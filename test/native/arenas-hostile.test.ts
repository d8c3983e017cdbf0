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
