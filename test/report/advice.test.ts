// Advice rules on numbers measured from real targets (the walk's residency
// join, their real environment, threads and cgroup), then moved across each
// rule's threshold to show the rule follows the evidence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advise, suggestedArenaMax, type AdviceInput } from '../../src/analysis/advice.js';
import { buildContext } from '../../src/analysis/context.js';
import { residencyRows } from '../../src/analysis/residency.js';
import { adviceInput, buildReport } from '../../src/commands/report.js';
import { sampleProcess } from '../../src/engine/sample.js';
import { detectAllocatorForPid } from '../../src/glibc/allocator.js';
import { readMaps } from '../../src/proc/maps.js';
import { buildTarget, spawnTarget, stopAll } from './helpers.js';

const MiB = 1024 * 1024;
const rules = (a: AdviceInput): string[] => advise(a).map((x) => x.rule);

/** Measures a target the way the report does. */
async function measure(args: string[], env: Record<string, string> = {}): Promise<{ input: AdviceInput; mmapFreed: number | null; live: boolean }> {
  const t = spawnTarget(buildTarget('trim_target'), args, { GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0', ...env });
  expect(await t.nextLine()).toBe('ready');
  t.send('dump');
  const lines = await t.linesUntil('end');
  const snapshot = await sampleProcess(t.pid, { withResidency: true });
  // The arena engine walked the target, read its mp_ and joined residency: the rules below need all three.
  expect(snapshot.mallocError).toBeNull();
  const rows = residencyRows(snapshot.malloc!);
  expect(rows).not.toBeNull();
  const ctx = buildContext(t.pid, snapshot, detectAllocatorForPid(t.pid, readMaps(t.pid)));
  const report = await buildReport(t.pid, { snapshot });
  const input = adviceInput(ctx, report.rss, rows, report.arenas);
  const freed = lines.find((l) => l.startsWith('mmapfreed '));
  await t.stop();
  return { input, mmapFreed: freed ? Number(freed.split(' ')[1]) : null, live: ctx.params?.source === 'live' };
}

let busy: AdviceInput;
let mmapFreed: number;
/** Whether the arena engine read the target's live mp_. */
let liveParams: boolean;
let fragmented: AdviceInput;

beforeAll(async () => {
  const a = await measure(['--main-alt', '80', '--raise-threshold', '400000', ...Array.from({ length: 8 }, () => ['--thread-alt', '80']).flat()]);
  busy = a.input;
  mmapFreed = a.mmapFreed!;
  liveParams = a.live;
  fragmented = (await measure(['--thread-frag', '150000'])).input;
});
afterAll(stopAll);

describe('advice on a 9-thread target with alternating free chunks', () => {
  it('measured what the rules need: glibc, 9 threads and arenas, the live mp_, free resident memory, the raised threshold', () => {
    expect(busy.glibc).toBe(true);
    expect(liveParams).toBe(true);
    expect(busy.threads).toBe(9);
    expect(busy.arenas!.count).toBe(9);
    expect(busy.arenas!.freeResident!).toBeGreaterThan(0.3 * busy.arenas!.resident);
    expect(busy.arenas!.reclaimable!).toBeGreaterThan(8 * MiB);
    expect(mmapFreed).toBe(0x62000); // 400000 bytes, page-rounded with its header (malloc.c sysmalloc_mmap: ALIGN_UP(nb + SIZE_SZ, pagesize))
  });

  it('too-many-arenas follows the free share, the resident size and the CPU count', () => {
    const fired = advise(busy).find((x) => x.rule === 'too-many-arenas')!;
    expect(fired.evidence.suggestedArenaMax).toBe(suggestedArenaMax(busy.cpus));
    expect(fired.evidence.arenaFreeResident).toBe(busy.arenas!.freeResident);
    const a = busy.arenas!;
    expect(rules({ ...busy, arenas: { ...a, freeResident: Math.floor(0.1 * a.resident) } })).not.toContain('too-many-arenas');
    expect(rules({ ...busy, arenas: { ...a, resident: 16 * MiB, freeResident: 8 * MiB } })).not.toContain('too-many-arenas');
    const many = advise({ ...busy, cpus: 16 }).find((x) => x.rule === 'too-many-arenas')!;
    expect(many.message).toMatch(/MALLOC_ARENA_MAX=4 would cap malloc at 4 arenas, main \+ 3 thread arenas reserving 192 MiB/);
    // Already capped at or below the suggestion: nothing to add.
    expect(rules({ ...busy, configuredArenaMax: 2, arenaMaxSource: 'MALLOC_ARENA_MAX' })).not.toContain('too-many-arenas');
  });

  it('free-memory-resident reports the trim estimate and needs it to matter against RSS', () => {
    const fired = advise(busy).find((x) => x.rule === 'free-memory-resident')!;
    expect(fired.evidence.reclaimable).toBe(busy.arenas!.reclaimable);
    expect(fired.message).toMatch(/malloc_trim\(0\) would return about/);
    expect(rules({ ...busy, rss: busy.arenas!.reclaimable! * 40 })).not.toContain('free-memory-resident');
    expect(rules({ ...busy, arenas: { ...busy.arenas!, reclaimable: null } })).not.toContain('free-memory-resident');
  });

  it('raised-mmap-threshold fires only on a dynamically raised threshold, with its value', () => {
    // From the real target: its live mp_ (read by the engine) shows glibc's raise to the freed chunk's size.
    expect(liveParams).toBe(true);
    expect(busy.params!.mmapThreshold).toBe(mmapFreed);
    expect(busy.params!.dynamicMmapThreshold).toBe(true);
    expect(rules(busy)).toContain('raised-mmap-threshold');
    // Without live parameters (only the environment) nothing can be claimed.
    expect(rules({ ...busy, params: { ...busy.params!, dynamicMmapThreshold: null } })).not.toContain('raised-mmap-threshold');
    const raised = { ...busy, params: { mmapThreshold: mmapFreed, trimThreshold: 2 * mmapFreed, dynamicMmapThreshold: true, arenaMax: 0 } };
    const fired = advise(raised).find((x) => x.rule === 'raised-mmap-threshold')!;
    expect(fired.evidence).toMatchObject({ mmapThreshold: 0x62000, defaultMmapThreshold: 0x20000, trimThreshold: 0xc4000 });
    expect(fired.message).toMatch(/to 392 KiB/);
    expect(rules({ ...raised, params: { ...raised.params, dynamicMmapThreshold: false } })).not.toContain('raised-mmap-threshold');
  });

  it('arenas-capped needs the cap reached; near-cgroup-limit needs 80%', () => {
    expect(rules({ ...busy, configuredArenaMax: 9, arenaMaxSource: 'MALLOC_ARENA_MAX' })).toContain('arenas-capped');
    expect(rules({ ...busy, configuredArenaMax: 12, arenaMaxSource: 'MALLOC_ARENA_MAX' })).not.toContain('arenas-capped');
    expect(rules({ ...busy, cgroup: { limit: Math.ceil(busy.rss / 0.85), usage: null } })).toContain('near-cgroup-limit');
    expect(rules({ ...busy, cgroup: { limit: Math.ceil(busy.rss / 0.75), usage: null } })).not.toContain('near-cgroup-limit');
    expect(rules({ ...busy, cgroup: { limit: busy.rss * 10, usage: busy.rss * 9 } })).toContain('near-cgroup-limit');
    expect(rules({ ...busy, cgroup: { limit: null, usage: busy.rss } })).not.toContain('near-cgroup-limit');
  });

  it('alternative-allocator needs a long-lived process', () => {
    expect(busy.uptimeSeconds!).toBeLessThan(3600);
    expect(rules(busy)).not.toContain('alternative-allocator');
    expect(rules({ ...busy, uptimeSeconds: 7200 })).toContain('alternative-allocator');
    expect(rules({ ...busy, uptimeSeconds: 7200, threads: 4 })).not.toContain('alternative-allocator');
  });

  it('gives no arena advice for a non-glibc allocator', () => {
    const other = { ...busy, allocator: 'jemalloc' as const, glibc: false };
    expect(rules(other).filter((r) => r !== 'near-cgroup-limit')).toEqual([]);
  });
});

describe('advice on a fragmented target', () => {
  it('fragmentation: free memory on resident pages that malloc_trim cannot return', () => {
    const a = fragmented.arenas!;
    // 75000 free 0x100 chunks between live ones: about 18 MiB free, none of it trimmable.
    expect(a.smallFreeChunks!).toBeGreaterThanOrEqual(75000);
    expect(a.reclaimableBins!).toBeLessThan(MiB);
    const fired = advise(fragmented).find((x) => x.rule === 'fragmentation')!;
    expect(fired.evidence.freeNotTrimmable).toBe(a.freeChunkResidentBytes! - a.reclaimableBins!);
    expect(fired.evidence.freeNotTrimmable as number).toBeGreaterThan(16 * MiB);
    expect(fired.message).toMatch(/free chunks .* are too small to ever hold a whole page/);
    // The alternating big chunks are trimmable: no fragmentation there.
    expect(rules(busy)).not.toContain('fragmentation');
    expect(rules(fragmented)).not.toContain('free-memory-resident');
  });
});
