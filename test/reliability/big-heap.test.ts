// A heap larger than the walker's block cache (128 MiB, native/ptmalloc/
// arena_walker.cc), whose free lists jump all over it: the walk still counts
// every free chunk exactly, and finishes (when each list node cost a 1 MiB
// block eviction and refetch, a 1 GiB heap took ten minutes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildC, runCli, startNative, type RunningTarget } from '../support/nativeTarget.js';

describe('a heap bigger than the walker cache, with shuffled free lists', () => {
  const mib = 512;
  let target: RunningTarget;
  beforeAll(async () => {
    // Everything in the main arena (no threads): 512 MiB of 0x40-0x80 chunks.
    target = await startNative(buildC('test/targets/reliability/busy_heap.c'), [String(mib), '0', 'shuffled']);
  }, 120_000);
  afterAll(async () => {
    await target?.stop();
  });

  it('counts every freed chunk on its list, with no anomaly', async () => {
    // busy_heap.c: count = bytes / 96 chunks, every fourth (count / 4) freed.
    const count = Math.floor((mib * 1024 * 1024) / 96);
    const freed = Math.floor(count / 4);
    const r = await runCli(['arenas', String(target.pid), '--json', '--bins']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.arenas).toHaveLength(1);
    const main = out.arenas[0];
    expect(main.anomalies).toEqual([]);
    expect(main.identityHolds).toBe(true);
    expect(main.free.tcache.chunks).toBe(35); // 7 for each of the 5 sizes
    // Where glibc put the rest (fastbins, or unsorted and small bins after a
    // consolidation) is its business; every one of them is on some list.
    const listed = ['fastbins', 'unsorted', 'smallbins', 'largebins', 'tcache'].reduce((n, k) => n + main.free[k].chunks, 0);
    expect(listed).toBe(freed);
    expect(main.free.unlisted.chunks).toBe(0);
    expect(main.inUse.chunks).toBeGreaterThanOrEqual(count - freed);
    expect(main.systemMem).toBeGreaterThan(mib * 1024 * 1024);
  }, 120_000);
});
