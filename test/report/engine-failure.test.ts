// When the arena engine cannot walk a glibc target (here main_arena's own
// unsorted-bin header is damaged, so no layout passes the invariants), the
// report still explains the RSS from smaps and says why arena detail is
// missing, instead of failing: the note names the engine's error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../helpers/targets.js';
import { runCli } from '../support/nativeTarget.js';
import { smapsRssSum } from './helpers.js';

let target: RunningTarget;

beforeAll(async () => {
  target = await startTarget('corrupt', ['--mode', 'unsorted-header', '--arena', 'main']);
});

afterAll(async () => {
  await target?.stop();
});

describe('report on a target the arena engine cannot walk', () => {
  it('the engine really fails on it (arenas exits 7)', async () => {
    const r = await runCli(['arenas', String(target.pid)]);
    expect(r.code).toBe(7);
  });

  it('exits 0, explains the RSS, and says arena detail is unavailable and why', async () => {
    const r = await runCli(['report', String(target.pid), '--json', '--no-attach']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.arenaNote).toMatch(/^arena data unavailable \(.*could not locate main_arena.*\)/);
    expect(j.arenas.inUse).toBeNull();
    expect(j.arenas.reclaimable).toBeNull();
    // The breakdown still adds up to the target's RSS (smaps read independently, moments apart).
    const sum = j.breakdown.reduce((s: number, l: { bytes: number }) => s + l.bytes, 0);
    expect(sum).toBe(j.rss);
    expect(Math.abs(j.rss - smapsRssSum(target.pid))).toBeLessThan(64 * 4096);
    const text = await runCli(['report', String(target.pid), '--no-attach']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/arena data unavailable \(.*could not locate main_arena/);
  });
});
