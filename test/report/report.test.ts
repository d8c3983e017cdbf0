// buildReport on real targets: the breakdown adds up exactly to the RSS,
// arena numbers come through from the walk's residency join, and the arena
// advice changes when the same target runs under MALLOC_ARENA_MAX=2.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { breakdownNames } from '../../src/analysis/rssBreakdown.js';
import { buildReport, reportJson } from '../../src/commands/report.js';
import { sampleProcess } from '../../src/engine/sample.js';
import { parseCgroupMounts } from '../../src/proc/cgroup.js';
import { main } from '../../src/cli/main.js';
import { buildTarget, parseSelfReport, smapsRssSum, spawnTarget, stopAll, type SelfReport, type Target } from './helpers.js';

const noTcache = { GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' };
const threadArgs = (threads: number, chunks: number): string[] => Array.from({ length: threads }, () => ['--thread-alt', String(chunks)]).flat();
const cleanups: Array<() => void> = [];

afterAll(async () => {
  await stopAll();
  for (const c of cleanups.reverse()) c();
});

async function start(args: string[], env: Record<string, string> = {}): Promise<{ t: Target; self: SelfReport }> {
  const t = spawnTarget(buildTarget('trim_target'), args, { ...noTcache, ...env });
  expect(await t.nextLine()).toBe('ready');
  t.send('dump');
  return { t, self: parseSelfReport(await t.linesUntil('end')) };
}

/** Runs the CLI in-process and returns what it printed. */
async function runCli(args: string[]): Promise<string> {
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  try {
    expect(await main(['node', 'arenascope', ...args])).toBe(0);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

const sum = (lines: Array<{ bytes: number }>): number => lines.reduce((s, l) => s + l.bytes, 0);
const line = (lines: Array<{ name: string; bytes: number }>, name: string): number => lines.find((l) => l.name === name)?.bytes ?? 0;

describe('buildReport', () => {
  it('without a residency join: breakdown sums exactly to RSS, arenas still counted, arena data marked unavailable', async () => {
    const { t, self } = await start(['--main-alt', '20', ...threadArgs(3, 20)]);
    // A snapshot walked without residency: the report cannot split arena pages.
    const noResidency = () => sampleProcess(t.pid);
    // A first look faults libc's file pages the discovery reads into the
    // target's page tables (process_vm_readv goes through the target's mm);
    // after it the idle target's RSS holds still, and our own smaps read must agree.
    await buildReport(t.pid, { snapshot: await noResidency() });
    const rssBefore = smapsRssSum(t.pid);
    const report = await buildReport(t.pid, { snapshot: await noResidency() });
    expect(sum(report.breakdown)).toBe(report.rss);
    expect(report.rss).toBe(rssBefore);
    expect(smapsRssSum(t.pid)).toBe(rssBefore);
    expect(report.arenas!.count).toBe(self.arenas.length);
    expect(report.arenas!.inUse).toBeNull();
    expect(report.arenaNote).toMatch(/arena data unavailable/);
    expect(line(report.breakdown, breakdownNames.mallocHeaps)).toBeGreaterThan(20 * 60000);
    expect(report.allocator.allocator).toBe('glibc');
    expect(report.env).toEqual(noTcache);
    expect(report.jvm).toBeNull();
    const json = reportJson(report);
    expect(JSON.parse(JSON.stringify(json)).breakdown.reduce((s: number, l: { bytes: number }) => s + l.bytes, 0)).toBe(json.rss);
    await t.stop();
  });

  it('with the residency join: arena lines, exact sum, and the malloc_trim estimate the target then confirms', async () => {
    const { t } = await start(['--main-alt', '40', ...threadArgs(2, 40)]);
    const report = await buildReport(t.pid);
    expect(sum(report.breakdown)).toBe(report.rss);
    const a = report.arenas!;
    expect(a.count).toBe(3);
    expect(a.inUse! + a.freeResident!).toBeLessThanOrEqual(a.resident);
    expect(line(report.breakdown, breakdownNames.arenaInUse)).toBe(a.inUse);
    expect(line(report.breakdown, breakdownNames.arenaFree)).toBe(a.freeResident);
    // Only pagemap-vs-smaps drift may land in "unattributed"; the target is idle, so none.
    expect(line(report.breakdown, breakdownNames.unattributed)).toBe(0);
    const rssBefore = smapsRssSum(t.pid);
    t.send('trim');
    expect(await t.nextLine()).toMatch(/^trimmed/);
    const drop = rssBefore - smapsRssSum(t.pid);
    expect(Math.abs(drop - a.reclaimable!)).toBeLessThanOrEqual(4096 * (a.perArena!.reduce((s, r) => s + r.freeChunks, 0) + 1));
    await t.stop();
  });

  it('advises MALLOC_ARENA_MAX for many arenas, and stops once the same target runs under MALLOC_ARENA_MAX=2', async () => {
    const args = ['--main-alt', '80', ...threadArgs(8, 80)];
    const free = await start(args);
    const before = await buildReport(free.t.pid);
    const rules = before.advice.map((x) => x.rule);
    expect(before.arenas!.count).toBe(9);
    expect(rules).toContain('too-many-arenas');
    expect(rules).toContain('free-memory-resident');
    expect(rules).not.toContain('arenas-capped');
    const tooMany = before.advice.find((x) => x.rule === 'too-many-arenas')!;
    expect(tooMany.evidence.arenas).toBe(9);
    expect(tooMany.evidence.threads).toBe(9);
    expect(tooMany.message).toMatch(/^9 arenas for 9 threads hold .* resident, .* of it free: MALLOC_ARENA_MAX=2 would cap/);
    expect(tooMany.message).toMatch(/malloc_trim\(0\) would return about/);
    await free.t.stop();

    const capped = await start(args, { MALLOC_ARENA_MAX: '2' });
    const after = await buildReport(capped.t.pid);
    const afterRules = after.advice.map((x) => x.rule);
    expect(after.arenas!.count).toBe(2);
    expect(after.env.MALLOC_ARENA_MAX).toBe('2');
    expect(afterRules).not.toContain('too-many-arenas');
    expect(afterRules).toContain('arenas-capped');
    expect(after.advice.find((x) => x.rule === 'arenas-capped')!.evidence).toMatchObject({ arenaMax: 2, arenas: 2, source: 'MALLOC_ARENA_MAX' });
    await capped.t.stop();
  });

  it('reports a preloaded jemalloc as jemalloc, with no arena section', async () => {
    const t = spawnTarget(buildTarget('hold'), [], { LD_PRELOAD: 'libjemalloc.so.2' });
    expect(await t.nextLine()).toBe('ready');
    const report = await buildReport(t.pid);
    expect(report.allocator.allocator).toBe('jemalloc');
    expect(report.arenas).toBeNull();
    expect(report.arenaNote).toMatch(/jemalloc/);
    expect(report.env.LD_PRELOAD).toBe('libjemalloc.so.2');
    expect(sum(report.breakdown)).toBe(report.rss);
    await t.stop();
  });

  it('warns near the cgroup limit, with the real cgroup numbers', async () => {
    const mounts = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
    const v1 = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes('memory') && m.root === '/');
    const v2 = mounts.find((m) => m.fsType === 'cgroup2' && m.root === '/');
    const base = v1?.mountPoint ?? v2!.mountPoint;
    const dir = join(base, `arenascope-report-near-${process.pid}`);
    mkdirSync(dir);
    cleanups.push(() => {
      try {
        rmdirSync(dir);
      } catch {
        // best effort
      }
    });
    const limitFile = v1 ? 'memory.limit_in_bytes' : 'memory.max';
    const bin = buildTarget('trim_target');
    const t = spawnTarget('/bin/sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec ${bin} --main-alt 80`], noTcache);
    expect(await t.nextLine()).toBe('ready');
    const first = await buildReport(t.pid);
    expect(first.cgroup!.limit).toBeNull();
    expect(first.advice.map((a) => a.rule)).not.toContain('near-cgroup-limit');

    // A limit 10% above what is used now: RSS and usage sit at about 90% of it.
    const used = Math.max(first.rss, first.cgroup!.usage ?? 0);
    const limit = Math.ceil((used * 1.1) / 4096) * 4096;
    writeFileSync(join(dir, limitFile), String(limit));
    const near = await buildReport(t.pid);
    expect(near.cgroup!.limit).toBe(limit);
    const advice = near.advice.find((a) => a.rule === 'near-cgroup-limit')!;
    expect(advice.evidence.cgroupLimit).toBe(limit);
    expect(advice.evidence.share as number).toBeGreaterThanOrEqual(0.8);

    writeFileSync(join(dir, limitFile), String(limit * 4));
    const far = await buildReport(t.pid);
    expect(far.advice.map((a) => a.rule)).not.toContain('near-cgroup-limit');
    await t.stop();
  });

  it('runs as the CLI: report --json prints the same shape, text shows the evidence', async () => {
    const { t } = await start(['--main-alt', '10']);
    const json = JSON.parse(await runCli(['report', String(t.pid), '--json']));
    expect(json.pid).toBe(t.pid);
    expect(json.breakdown.reduce((s: number, l: { bytes: number }) => s + l.bytes, 0)).toBe(json.rss);
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['pid', 'rss', 'breakdown', 'arenas', 'env', 'params', 'cgroup', 'allocator', 'jvm', 'advice']));
    const text = await runCli(['report', String(t.pid)]);
    expect(text).toMatch(/RSS explained/);
    expect(text).toMatch(/glibc arenas\n {2}\d+ arenas for \d+ threads/);
    expect(text).toMatch(/GLIBC_TUNABLES=glibc.malloc.tcache_count=0/);
    await t.stop();
  });
});
