// The circumstances malloc works under in a process: threads against arenas,
// the malloc environment it started with, the live mp_ values (from the
// engine) or the values that environment implies, its memory cgroup, its
// allocator, how many CPUs it may use and how long it has been running.
import type { AllocatorInfo, MallocParams, ProcessSnapshot } from '../model/snapshot.js';
import { readCgroupMemory, type CgroupMemory } from '../proc/cgroup.js';
import { readFileSync } from 'node:fs';
import { procRoot, tryReadProcText } from '../proc/procfs.js';
import { parseStat, readEnviron } from '../proc/status.js';
import { withTunablesRejoined } from '../glibc/tunables.js';

/** The variables that change glibc malloc (malloc/arena.c ptmalloc_init, elf/dl-tunables.list glibc.malloc.*) and the preload that can replace it. */
export const mallocEnvNames = [
  'MALLOC_ARENA_MAX',
  'MALLOC_ARENA_TEST',
  'MALLOC_MMAP_THRESHOLD_',
  'MALLOC_TRIM_THRESHOLD_',
  'MALLOC_TOP_PAD_',
  'MALLOC_MMAP_MAX_',
  'MALLOC_CHECK_',
  'MALLOC_PERTURB_',
  'GLIBC_TUNABLES',
  'LD_PRELOAD',
] as const;

/** glibc defaults on x86-64 (malloc.c DEFAULT_MMAP_THRESHOLD_MIN and DEFAULT_TRIM_THRESHOLD, 128 KiB; DEFAULT_TOP_PAD is 128 KiB via malloc-machine.h). */
export const glibcDefaults = {
  mmapThreshold: 128 * 1024,
  trimThreshold: 128 * 1024,
  topPad: 128 * 1024,
  arenaTest: 8,
  arenaMax: 0,
  mmapMax: 65536,
  /** DEFAULT_MMAP_THRESHOLD_MAX on 64-bit: the dynamic threshold never rises above it. */
  mmapThresholdMax: 32 * 1024 * 1024,
  /** HEAP_MAX_SIZE: what each thread-arena heap reserves. */
  heapMax: 64 * 1024 * 1024,
} as const;

export function mallocEnvironment(environ: Record<string, string> | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!environ) return out;
  for (const name of mallocEnvNames) if (environ[name] !== undefined) out[name] = environ[name]!;
  return out;
}

/** "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=0" -> {"glibc.malloc.arena_max": "2", ...}. */
export function parseTunables(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (value ?? '').split(':')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** Settings the environment asks for; null where it does not set one. */
export interface ConfiguredMalloc {
  arenaMax: number | null;
  arenaTest: number | null;
  mmapThreshold: number | null;
  trimThreshold: number | null;
  topPad: number | null;
  mmapMax: number | null;
  tcacheCount: number | null;
  /** Setting any of trim/top_pad/mmap threshold/mmap_max turns the dynamic mmap threshold off (§3). */
  freezesDynamicThreshold: boolean;
  /** Where each value came from, e.g. {arenaMax: "MALLOC_ARENA_MAX"}. */
  sources: Record<string, string>;
}

function toInt(v: string | undefined): number | null {
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) return null;
  return Number(v);
}

/**
 * What the environment configures. A GLIBC_TUNABLES entry is shown in
 * preference to its MALLOC_* alias; glibc itself applies both in
 * environment order, so a process setting both is worth a second look.
 */
export function configuredMalloc(environ: Record<string, string> | null): ConfiguredMalloc {
  const env = environ ?? {};
  const tun = parseTunables(env.GLIBC_TUNABLES);
  const sources: Record<string, string> = {};
  const pick = (key: string, tunable: string, alias: string | null): number | null => {
    const t = toInt(tun[`glibc.malloc.${tunable}`]);
    if (t !== null) {
      sources[key] = `GLIBC_TUNABLES glibc.malloc.${tunable}`;
      return t;
    }
    const a = alias ? toInt(env[alias]) : null;
    if (a !== null) sources[key] = alias!;
    return a;
  };
  const c = {
    arenaMax: pick('arenaMax', 'arena_max', 'MALLOC_ARENA_MAX'),
    arenaTest: pick('arenaTest', 'arena_test', 'MALLOC_ARENA_TEST'),
    mmapThreshold: pick('mmapThreshold', 'mmap_threshold', 'MALLOC_MMAP_THRESHOLD_'),
    trimThreshold: pick('trimThreshold', 'trim_threshold', 'MALLOC_TRIM_THRESHOLD_'),
    topPad: pick('topPad', 'top_pad', 'MALLOC_TOP_PAD_'),
    mmapMax: pick('mmapMax', 'mmap_max', 'MALLOC_MMAP_MAX_'),
    tcacheCount: pick('tcacheCount', 'tcache_count', null),
  };
  return {
    ...c,
    freezesDynamicThreshold: c.mmapThreshold !== null || c.trimThreshold !== null || c.topPad !== null || c.mmapMax !== null,
    sources,
  };
}

/** The mp_ values in effect: live from the engine, else what the environment and glibc defaults imply. */
export interface EffectiveParams {
  source: 'live' | 'environment';
  mmapThreshold: number;
  trimThreshold: number;
  topPad: number;
  arenaMax: number;
  arenaTest: number;
  /** Raised by glibc after freeing a large mmapped chunk; null when unknown (no live values). */
  dynamicMmapThreshold: boolean | null;
  noDynThreshold: boolean | null;
  mmappedChunks: number | null;
  mmappedBytes: number | null;
  tcacheCount: number | null;
}

export function effectiveParams(live: MallocParams | null, configured: ConfiguredMalloc): EffectiveParams {
  if (live) {
    return {
      source: 'live',
      mmapThreshold: live.mmapThreshold,
      trimThreshold: live.trimThreshold,
      topPad: live.topPad,
      arenaMax: live.arenaMax,
      arenaTest: live.arenaTest,
      // The engine's flag, or the §3 rule: above the default while nothing froze it.
      dynamicMmapThreshold: live.dynamicMmapThreshold || (!live.noDynThreshold && live.mmapThreshold > glibcDefaults.mmapThreshold),
      noDynThreshold: live.noDynThreshold,
      mmappedChunks: live.mmappedChunks,
      mmappedBytes: live.mmappedBytes,
      tcacheCount: live.tcacheCount,
    };
  }
  return {
    source: 'environment',
    mmapThreshold: configured.mmapThreshold ?? glibcDefaults.mmapThreshold,
    trimThreshold: configured.trimThreshold ?? glibcDefaults.trimThreshold,
    topPad: configured.topPad ?? glibcDefaults.topPad,
    arenaMax: configured.arenaMax ?? glibcDefaults.arenaMax,
    arenaTest: configured.arenaTest ?? glibcDefaults.arenaTest,
    dynamicMmapThreshold: configured.freezesDynamicThreshold ? false : null,
    noDynThreshold: configured.freezesDynamicThreshold ? true : null,
    mmappedChunks: null,
    mmappedBytes: null,
    tcacheCount: configured.tcacheCount,
  };
}

/** Number of CPUs in a "0-3,8,10-11" list (Cpus_allowed_list): what glibc 2.35+ counts for the arena limit. */
export function countCpuList(list: string): number {
  let n = 0;
  for (const part of list.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isFinite(a)) continue;
    n += b !== undefined && Number.isFinite(b) ? b - a + 1 : 1;
  }
  return n;
}

/** glibc's arena limit when arena_max is unset: 8 per core on 64-bit, once more than arena_test arenas exist (§7). */
export function defaultArenaLimit(cpus: number): number {
  return 8 * Math.max(1, cpus);
}

function uptimeSeconds(pid: number): number | null {
  const stat = tryReadProcText(pid, 'stat');
  let up: string | null = null;
  try {
    up = readFileSync(`${procRoot}/uptime`, 'utf8');
  } catch {
    up = null;
  }
  if (!stat || !up) return null;
  // starttime is in clock ticks since boot; USER_HZ is 100 on Linux x86-64.
  const started = parseStat(stat).startTime / 100;
  const now = Number(up.split(' ')[0]);
  return Number.isFinite(now) ? Math.max(0, Math.round(now - started)) : null;
}

export interface ArenaCensus {
  /** Arenas including main. */
  count: number;
  /** Where the count came from: the engine's ring walk, or heap_info of mapped heaps (+ main). */
  source: 'engine' | 'heaps';
  reserved: number;
  resident: number;
}

/** Arena count, reservation and residency from the region map alone (heap_info of each thread heap). */
export function arenaCensusFromRegions(snapshot: ProcessSnapshot, glibc: boolean): ArenaCensus | null {
  const heaps = snapshot.regions.flatMap((r) => r.heaps);
  const mainHeap = snapshot.regions.filter((r) => r.kind === 'main-heap');
  if (!glibc && !heaps.length) return null;
  const arenas = new Set(heaps.map((h) => h.arena));
  const resident = snapshot.regions.filter((r) => r.kind === 'main-heap' || r.kind === 'arena-heap').reduce((s, r) => s + r.rss, 0);
  const reserved = heaps.reduce((s, h) => s + h.heapMax, 0) + mainHeap.reduce((s, r) => s + r.size, 0);
  return { count: arenas.size + (glibc ? 1 : 0), source: 'heaps', reserved, resident };
}

export interface ReportContext {
  threads: number;
  cpus: number | null;
  uptimeSeconds: number | null;
  env: Record<string, string>;
  configured: ConfiguredMalloc;
  params: EffectiveParams | null;
  cgroup: CgroupMemory | null;
  allocator: AllocatorInfo;
  census: ArenaCensus | null;
}

export function isGlibcMalloc(a: AllocatorInfo): boolean {
  return a.allocator === 'glibc' || a.allocator === 'glibc-debug' || (a.allocator === 'static' && /glibc/.test(a.evidence));
}

export function buildContext(pid: number, snapshot: ProcessSnapshot, allocator: AllocatorInfo): ReportContext {
  const environ = withTunablesRejoined(readEnviron(pid));
  const configured = configuredMalloc(environ);
  const glibc = isGlibcMalloc(allocator);
  const cpuList = snapshot.status.raw.Cpus_allowed_list;
  let census = glibc ? arenaCensusFromRegions(snapshot, glibc) : null;
  if (snapshot.malloc) {
    const t = snapshot.malloc.totals;
    census = { count: snapshot.malloc.arenas.length, source: 'engine', reserved: t.reserved, resident: t.resident };
  }
  return {
    threads: snapshot.status.threads || snapshot.threads.length,
    cpus: cpuList ? countCpuList(cpuList) : null,
    uptimeSeconds: uptimeSeconds(pid),
    env: mallocEnvironment(environ),
    configured,
    params: glibc ? effectiveParams(snapshot.malloc?.params ?? null, configured) : null,
    cgroup: readCgroupMemory(pid),
    allocator,
    census,
  };
}
