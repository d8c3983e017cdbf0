// Context on real processes: the malloc environment a target started with,
// what it configures (and that setting a threshold freezes the dynamic mmap
// threshold), threads and CPUs; live mp_ must agree when the engine reads it.
import { afterAll, describe, expect, it } from 'vitest';
import { buildContext, configuredMalloc, countCpuList, effectiveParams, glibcDefaults, parseTunables } from '../../src/analysis/context.js';
import { sampleProcess } from '../../src/engine/sample.js';
import { detectAllocatorForPid } from '../../src/glibc/allocator.js';
import { readMaps } from '../../src/proc/maps.js';
import { buildTarget, spawnTarget, stopAll } from './helpers.js';

afterAll(stopAll);

describe('buildContext', () => {
  it('reads the environment the target started with and what it configures', async () => {
    const env = {
      MALLOC_TOP_PAD_: '65536',
      MALLOC_MMAP_THRESHOLD_: '262144',
      GLIBC_TUNABLES: 'glibc.malloc.arena_max=3:glibc.malloc.tcache_count=0',
      UNRELATED: 'x',
    };
    const t = spawnTarget(buildTarget('trim_target'), ['--thread-alt', '4', '--thread-alt', '4'], env);
    expect(await t.nextLine()).toBe('ready');
    const snapshot = await sampleProcess(t.pid);
    const ctx = buildContext(t.pid, snapshot, detectAllocatorForPid(t.pid, readMaps(t.pid)));
    expect(ctx.env).toEqual({ MALLOC_TOP_PAD_: '65536', MALLOC_MMAP_THRESHOLD_: '262144', GLIBC_TUNABLES: env.GLIBC_TUNABLES });
    expect(ctx.configured).toMatchObject({ arenaMax: 3, topPad: 65536, mmapThreshold: 262144, tcacheCount: 0, freezesDynamicThreshold: true });
    expect(ctx.configured.sources).toMatchObject({ arenaMax: 'GLIBC_TUNABLES glibc.malloc.arena_max', topPad: 'MALLOC_TOP_PAD_' });
    expect(ctx.threads).toBe(3);
    expect(ctx.census!.count).toBe(3); // main + two thread arenas, under the cap of 3
    expect(ctx.cpus).toBe(countCpuList(snapshot.status.raw.Cpus_allowed_list!));
    expect(ctx.uptimeSeconds!).toBeLessThan(60);
    const p = ctx.params!;
    expect(p).toMatchObject({ mmapThreshold: 262144, topPad: 65536, arenaMax: 3, trimThreshold: glibcDefaults.trimThreshold, dynamicMmapThreshold: false });
    // Whichever source, the values glibc itself holds must be the ones the environment set.
    if (p.source === 'live') expect(p.noDynThreshold).toBe(true);
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
