// Context on real processes: the malloc environment a target started with,
// what it configures (and that setting a threshold freezes the dynamic mmap
// threshold), threads, CPUs and age; the live mp_ the engine reads must agree.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildContext, configuredMalloc, countCpuList, effectiveParams, glibcDefaults, parseTunables } from '../../src/analysis/context.js';
import { sampleProcess } from '../../src/engine/sample.js';
import { detectAllocatorForPid } from '../../src/glibc/allocator.js';
import { readMaps } from '../../src/proc/maps.js';
import { buildTarget, spawnTarget, stopAll } from './helpers.js';

afterAll(stopAll);

/** The target's age in whole seconds now, from /proc/PID/stat's starttime, /proc/uptime and the kernel's USER_HZ. */
function ageSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]); // field 22
  const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Math.round(uptime - startTicks / hz);
}

describe('buildContext', () => {
  it('reads the environment the target started with, what it configures, the live mp_, threads, arenas, CPUs and its age', async () => {
    const env = {
      MALLOC_TOP_PAD_: '65536',
      MALLOC_MMAP_THRESHOLD_: '262144',
      GLIBC_TUNABLES: 'glibc.malloc.arena_max=3:glibc.malloc.tcache_count=0',
      UNRELATED: 'x',
    };
    const t = spawnTarget(buildTarget('trim_target'), ['--thread-alt', '4', '--thread-alt', '4'], env);
    expect(await t.nextLine()).toBe('ready');
    const snapshot = await sampleProcess(t.pid);
    // The engine walked the arenas (a failed walk would leave no live mp_ and no arena census).
    expect(snapshot.mallocError).toBeNull();
    const ageBefore = ageSeconds(t.pid);
    const ctx = buildContext(t.pid, snapshot, detectAllocatorForPid(t.pid, readMaps(t.pid)));
    const ageAfter = ageSeconds(t.pid);
    expect(ctx.env).toEqual({ MALLOC_TOP_PAD_: '65536', MALLOC_MMAP_THRESHOLD_: '262144', GLIBC_TUNABLES: env.GLIBC_TUNABLES });
    expect(ctx.configured).toMatchObject({ arenaMax: 3, topPad: 65536, mmapThreshold: 262144, tcacheCount: 0, freezesDynamicThreshold: true });
    expect(ctx.configured.sources).toMatchObject({ arenaMax: 'GLIBC_TUNABLES glibc.malloc.arena_max', topPad: 'MALLOC_TOP_PAD_' });
    expect(ctx.threads).toBe(3);
    expect(ctx.census!.count).toBe(3); // main + two thread arenas, under the cap of 3
    expect(ctx.cpus).toBe(countCpuList(snapshot.status.raw.Cpus_allowed_list!));
    // The target's age, bracketed by our own reading of the same kernel clocks before and after.
    expect(ctx.uptimeSeconds).not.toBeNull();
    expect(ctx.uptimeSeconds!).toBeGreaterThanOrEqual(ageBefore);
    expect(ctx.uptimeSeconds!).toBeLessThanOrEqual(ageAfter);
    const p = ctx.params!;
    expect(p).toMatchObject({ mmapThreshold: 262144, topPad: 65536, arenaMax: 3, trimThreshold: glibcDefaults.trimThreshold, dynamicMmapThreshold: false });
    // Read from the target's live mp_: glibc itself holds what the environment set,
    // and setting the threshold turned the dynamic threshold off (mp_.no_dyn_threshold).
    expect(p.source).toBe('live');
    expect(p.noDynThreshold).toBe(true);
    await t.stop();
  });
});

describe('environment parsing', () => {
  it('parses GLIBC_TUNABLES and prefers it over the MALLOC_* alias', () => {
    expect(parseTunables('glibc.malloc.arena_max=2:glibc.malloc.mxfast=0')).toEqual({ 'glibc.malloc.arena_max': '2', 'glibc.malloc.mxfast': '0' });
    const c = configuredMalloc({ MALLOC_ARENA_MAX: '8', GLIBC_TUNABLES: 'glibc.malloc.arena_max=2', MALLOC_TRIM_THRESHOLD_: 'junk' });
    expect(c.arenaMax).toBe(2);
    expect(c.trimThreshold).toBeNull();
    expect(c.freezesDynamicThreshold).toBe(false);
    expect(effectiveParams(null, c)).toMatchObject({ source: 'environment', arenaMax: 2, mmapThreshold: glibcDefaults.mmapThreshold, dynamicMmapThreshold: null });
  });

  it('counts CPU lists', () => {
    expect(countCpuList('0-3,8,10-11\n')).toBe(7);
    expect(countCpuList('0')).toBe(1);
  });
});
