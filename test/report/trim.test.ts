// The walk's malloc_trim(0) estimate against glibc itself: a target builds
// known heap shapes, reports its own chunk table, and then calls
// malloc_trim(0); the RSS drop (exact, from smaps_rollup) and the pages that
// actually left RAM (pagemap before/after) must match what the walk predicted
// (its residency join), and the pages that left must be the ones an
// independent statement of the rules (test/helpers/residencyOracle.ts) names
// on the target's own table.
import { afterAll, describe, expect, it } from 'vitest';
import { residencyRows, type ArenaResidency } from '../../src/analysis/residency.js';
import { sampleProcess } from '../../src/engine/sample.js';
import { readResidency } from '../../src/proc/pagemap.js';
import { trimRanges } from '../helpers/residencyOracle.js';
import { anonymousBytes, buildTarget, parseSelfReport, spawnTarget, stopAll, type SelfReport, type Target } from './helpers.js';

const page = 4096;
// No tcache: every free chunk is then visible to the target's own walk.
const noTcache = { GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' };

afterAll(stopAll);

async function startAndDump(args: string[]): Promise<{ t: Target; self: SelfReport }> {
  const t = spawnTarget(buildTarget('trim_target'), args, noTcache);
  expect(await t.nextLine()).toBe('ready');
  t.send('dump');
  const self = parseSelfReport(await t.linesUntil('end'));
  return { t, self };
}

async function trim(t: Target): Promise<void> {
  t.send('trim');
  expect(await t.nextLine()).toMatch(/^trimmed [01]$/);
}

function total(rows: ArenaResidency[], pick: (r: ArenaResidency) => number): number {
  return rows.reduce((s, r) => s + pick(r), 0);
}

/** The walk's residency rows for the target (the walk must succeed and join residency). */
async function engineRows(pid: number): Promise<ArenaResidency[]> {
  const s = await sampleProcess(pid, { withResidency: true });
  expect(s.mallocError).toBeNull();
  const rows = residencyRows(s.malloc!);
  expect(rows).not.toBeNull();
  return rows!;
}

describe('malloc_trim(0) estimate', () => {
  it('matches the RSS drop and the exact pages released, main arena and thread arenas', async () => {
    const { t, self } = await startAndDump(['--main-alt', '40', '--thread-alt', '40', '--thread-alt', '24', '--main-top', '100000']);
    const ranges = self.arenas.flatMap((a) => a.ranges);
    const rows = await engineRows(t.pid);
    const before = readResidency(t.pid, ranges);
    const anonBefore = anonymousBytes(t.pid);
    const predicted = trimRanges(self.table, self.arenas);

    await trim(t);
    const anonAfter = anonymousBytes(t.pid);
    const after = readResidency(t.pid, ranges);

    const estimate = total(rows, (r) => r.reclaimable.total);
    const freeChunks = total(rows, (r) => r.freeChunks.count);
    // 19 + 19 + 11 freed 60000-byte chunks hold 13-14 whole pages each past their header.
    expect(estimate).toBeGreaterThan(49 * 13 * page);
    expect(rows.find((r) => r.main)!.reclaimable.top).toBeGreaterThan(0);
    expect(Math.abs(anonBefore - anonAfter - estimate)).toBeLessThanOrEqual(freeChunks * page);

    // Page by page: what was resident inside a predicted range is gone, and
    // nothing resident outside the predicted ranges went away.
    const inPredicted = (addr: number): boolean => predicted.some((r) => addr >= r.from && addr < r.to);
    let released = 0;
    let releasedOutside = 0;
    for (const range of before.ranges) {
      for (let a = range.start; a < range.end; a += page) {
        if (!before.isPresent(a)) continue;
        const gone = !after.isPresent(a);
        if (inPredicted(a)) {
          expect(gone).toBe(true);
          released += page;
        } else if (gone) releasedOutside += page;
      }
    }
    expect(released).toBe(estimate);
    expect(releasedOutside).toBe(0);
    await t.stop();
  });

  it('simulates malloc_consolidate: fastbin chunks between free chunks merge before trimming', async () => {
    const { t, self } = await startAndDump(['--thread-fast', '600']);
    const ranges = self.arenas.flatMap((a) => a.ranges);
    const rows = await engineRows(t.pid);
    const anonBefore = anonymousBytes(t.pid);
    await trim(t);
    const drop = anonBefore - anonymousBytes(t.pid);

    const merged = total(rows, (r) => r.reclaimable.total);
    const conservative = total(rows, (r) => r.reclaimableWithoutConsolidation.total);
    // 600 chunks of 0x80 = 75 KiB of fastbin memory between A and C: about 18 more pages once merged.
    expect(merged - conservative).toBeGreaterThanOrEqual(16 * page);
    expect(Math.abs(drop - merged)).toBeLessThanOrEqual(2 * page);
    expect(Math.abs(drop - conservative)).toBeGreaterThan(2 * page);
    await t.stop();
  });

  it('classifies every resident arena page exactly once', async () => {
    const { t, self } = await startAndDump(['--main-alt', '20', '--thread-alt', '20', '--idle', '2']);
    const rows = await engineRows(t.pid);
    const residency = readResidency(t.pid, self.arenas.flatMap((a) => a.ranges));
    expect(rows).toHaveLength(self.arenas.length);
    for (const r of rows) {
      expect(r.inUseResident + r.freeResident + r.overheadResident).toBe(r.resident);
      // The target's own arena range (heap start to its end, as it reports it), read from pagemap here:
      // main is main; a thread arena's malloc_state lies inside its heap.
      const own = self.arenas.find((a) => (r.main ? a.main : !a.main && r.address >= a.ranges[0]!.start && r.address < a.ranges[0]!.end))!;
      const range = own.ranges[0]!;
      expect(r.resident).toBe(residency.presentBytes(range.start, range.end));
      expect(r.untouchedReserve).toBe(r.reserved - r.resident);
    }
    // The alternating pattern leaves about half of its 60000-byte chunks free and resident.
    const thread = rows.find((r) => !r.main && r.freeChunks.count >= 9)!;
    expect(thread.freeResident).toBeGreaterThanOrEqual(9 * 13 * page);
    expect(thread.inUseResident).toBeGreaterThanOrEqual(10 * 14 * page);
    await t.stop();
  });
});
