// A walk's own native memory does not grow with the number of chunks (issue
// 15, "the observer stays lighter than the observed"). Two real heaps of the
// same shape, about 1 million and about 4 million chunks, are walked exactly
// (no anomaly, the byte identity holds); the most the walk's buffers, maps and
// caches held (walkMemoryBytes) stays the same within a small margin. The
// chunk map (2 bits per 16-byte granule: heap / 64) is the one structure
// allowed to scale, with the heap's size, and by no more than its own size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMallocSnapshot, type MallocReadResult } from '../../src/engine/malloc.js';
import type { ArenaSnapshot } from '../../src/model/snapshot.js';
import { buildC, startNative, type RunningTarget } from '../support/nativeTarget.js';

const MiB = 1 << 20;

/**
 * The bounds are the contract, not the measurement. Measured on Debian 12
 * (glibc 2.36): about 8 MiB without the chunk map for both heaps (the 4M walk
 * even a little less), the chunk map exactly heap / 64 on top.
 * - Without the chunk map, the 4M walk may hold at most 1.5x what the 1M walk
 *   held: anything kept per chunk, even one byte for each of the 3 million
 *   extra chunks, breaks it (the margin covers tables sized by list lengths
 *   and allocator rounding, not per-chunk state).
 * - And at most 16 MiB at all: the walker's fixed working set (read windows,
 *   member-map pages, page states) with room to spare, far below the 224 MiB
 *   heap it reads.
 * - With the chunk map, the walk holds at most the map (heap / 64) more than
 *   without it, plus 256 KiB (its span list, a word of rounding per span).
 * - Between the two heaps, the walks with the chunk map differ by at most the
 *   bigger heap's map plus 1 MiB.
 */
const maxGrowth = 1.5;
const absoluteCap = 16 * MiB;
const mapSlack = 256 * 1024;
const betweenSlack = 1 * MiB;

interface Measured {
  heapBytes: number;
  chunks: number;
  plain: MallocReadResult;
  mapped: MallocReadResult;
}

const heapBytesOf = (r: MallocReadResult) => r.snapshot.arenas.reduce((t, a) => t + a.heaps.reduce((s, h) => s + h.size, 0), 0);
const chunksOf = (a: ArenaSnapshot) => a.inUse.chunks + a.internal.chunks + Object.values(a.free).reduce((t, f) => t + f.chunks, 0);

function expectExact(r: MallocReadResult): void {
  expect(r.snapshot.anomalies.total).toBe(0);
  for (const a of r.snapshot.arenas) {
    expect(a.anomalies.total).toBe(0);
    expect(a.identityHolds).toBe(true);
    expect(a.approximate).toBe(false);
  }
}

describe('walk memory against chunk count', () => {
  const targets: RunningTarget[] = [];
  const measured: Measured[] = [];

  beforeAll(async () => {
    // busy_heap.c "small": 0x20-0x50 chunks, 56 heap bytes per chunk on
    // average; THREADS 0 (the main arena alone), a quarter freed in shuffled
    // order so the free lists jump all over each heap.
    for (const mib of [56, 224]) {
      const t = await startNative(buildC('test/targets/reliability/busy_heap.c'), [String(mib), '0', 'shuffled', 'small']);
      targets.push(t);
      const plain = await readMallocSnapshot(t.pid);
      const mapped = await readMallocSnapshot(t.pid, { withChunkMap: true });
      measured.push({ heapBytes: heapBytesOf(plain), chunks: plain.snapshot.arenas.reduce((n, a) => n + chunksOf(a), 0), plain, mapped });
    }
  }, 180_000);
  afterAll(async () => {
    for (const t of targets) await t.stop();
  });

  it('the heaps hold about 1 and 4 million chunks, and both are walked exactly, with and without the chunk map', () => {
    const [small, big] = measured as [Measured, Measured];
    expect(small.chunks).toBeGreaterThan(1_000_000);
    expect(big.chunks).toBeGreaterThan(4_000_000);
    expect(big.chunks / small.chunks).toBeGreaterThan(3.9);
    for (const m of measured) {
      expectExact(m.plain);
      expectExact(m.mapped);
      // the chunk map changes what the walk keeps, not what it finds
      expect(m.mapped.snapshot.totals).toEqual(m.plain.snapshot.totals);
      expect(m.plain.snapshot.walkMemoryBytes).toBeGreaterThan(0);
    }
  });

  it('without the chunk map, the walk of 4x the chunks holds no more than 1.5x, and under 16 MiB', () => {
    const [small, big] = measured as [Measured, Measured];
    const a = small.plain.snapshot.walkMemoryBytes;
    const b = big.plain.snapshot.walkMemoryBytes;
    expect(b, `1M chunks: ${a} bytes, 4M chunks: ${b} bytes`).toBeLessThanOrEqual(maxGrowth * a);
    expect(a).toBeLessThan(absoluteCap);
    expect(b).toBeLessThan(absoluteCap);
  });

  it('with the chunk map, the walk holds at most the map (heap / 64) more, and the two heaps differ by at most the bigger map', () => {
    for (const m of measured) {
      const map = m.mapped.chunkMap;
      expect(map).not.toBeNull();
      // 2 bits per 16-byte granule of the heaps the map covers
      expect(map!.bits.length).toBeLessThanOrEqual(m.heapBytes / 64 + mapSlack);
      const extra = m.mapped.snapshot.walkMemoryBytes - m.plain.snapshot.walkMemoryBytes;
      expect(extra, `heap ${m.heapBytes} bytes`).toBeLessThanOrEqual(m.heapBytes / 64 + mapSlack);
    }
    const [small, big] = measured as [Measured, Measured];
    const difference = big.mapped.snapshot.walkMemoryBytes - small.mapped.snapshot.walkMemoryBytes;
    expect(difference).toBeLessThanOrEqual(big.heapBytes / 64 + betweenSlack);
  });
});
