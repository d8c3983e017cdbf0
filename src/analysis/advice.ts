// Advice with numbers: each rule looks at measured evidence and says
// something only when the evidence is there. Every rule returns the numbers it
// used, so a reader (or a test) can check the claim. Thresholds are named
// constants below, each with the reason for its value.
import type { Allocator } from '../model/snapshot.js';
import { formatBytes } from '../util/format.js';
import { glibcDefaults } from './context.js';

export interface AdviceInput {
  allocator: Allocator;
  glibc: boolean;
  threads: number;
  /** CPUs the process may run on (affinity). */
  cpus: number | null;
  uptimeSeconds: number | null;
  rss: number;
  arenas: {
    count: number;
    reserved: number;
    resident: number;
    /** The rest are null without chunk-level data (the arena engine). */
    freeResident: number | null;
    reclaimable: number | null;
    reclaimableBins: number | null;
    freeChunkBytes: number | null;
    freeChunkResidentBytes: number | null;
    smallFreeChunks: number | null;
    smallFreeBytes: number | null;
  } | null;
  params: { mmapThreshold: number; trimThreshold: number; dynamicMmapThreshold: boolean | null; arenaMax: number } | null;
  /** MALLOC_ARENA_MAX / glibc.malloc.arena_max from the environment, and which one. */
  configuredArenaMax: number | null;
  arenaMaxSource: string | null;
  cgroup: { limit: number | null; usage: number | null } | null;
  /** heap_max of thread-arena heaps: 64 MiB, or 4 x huge page size under glibc.malloc.hugetlb on 2.35-2.41. */
  heapMax?: number;
  /** The threads' caches (tcache), as the arena walk found them; null without a walk or a tcache (before glibc 2.26). */
  tcache?: {
    /** tcache_perthread_structs: one per thread that has used malloc. */
    structs: number;
    chunks: number;
    bytes: number;
    /** mp_.tcache_count in effect: the most chunks a thread keeps per size; null when unknown. */
    count: number | null;
    /** Where a count other than the default came from (GLIBC_TUNABLES); null for the default. */
    countSource: string | null;
    /** glibc's default for the version (16 from 2.43, 7 before), and the one before it changed. */
    defaultCount: number | null;
    previousDefault: { count: number; changedIn: string } | null;
    glibcVersion: string | null;
  } | null;
}

export type EvidenceValue = number | string | boolean | null;

export interface Advice {
  rule: string;
  message: string;
  evidence: Record<string, EvidenceValue>;
}

/** Arena memory below this is not worth tuning for (one thread heap grows in 64 MiB reservations; 32 MiB resident is half of one). */
export const minArenaResidentForAdvice = 32 * 1024 * 1024;
/** "Mostly idle arenas": at least this share of arena-resident memory is free. */
export const freeShareForArenaAdvice = 0.2;
/** malloc_trim advice needs at least this much it could return... */
export const minReclaimableForAdvice = 8 * 1024 * 1024;
/** ...and that much must matter against RSS. */
export const reclaimableShareOfRss = 0.05;
/** Free but untrimmable memory worth calling fragmentation. */
export const minFragmentedForAdvice = 16 * 1024 * 1024;
export const fragmentedShareOfArenas = 0.1;
/** Many small free chunks. */
export const manySmallFreeChunks = 1000;
/** RSS or cgroup usage at this share of the cgroup limit is "near" it. */
export const cgroupNearShare = 0.8;
/** Long-lived: an hour of uptime. */
export const longLivedSeconds = 3600;
/** Multi-threaded enough for per-thread arenas to matter. */
export const manyThreads = 8;
/** Free share of arena memory that suggests a different allocator. */
export const freeShareForAllocatorAdvice = 0.3;

/**
 * tcache advice. Chunks in a thread's tcache are free memory only that thread's malloc
 * takes back: malloc_trim(0) never returns them (mtrim walks the bins, not the tcaches)
 * and mallinfo counts them as in use. A thread holds at most tcache_count chunks of each
 * of the 64 sizes from 32 to 1040 bytes (under the default tcache_max): about 235 KiB at
 * 7 per size, about 536 KiB at 16 (glibc 2.43's default). The rule speaks when the
 * caches hold at least 32 MiB (the floor below which arena memory is not worth tuning,
 * as for the arena count: about 60 threads with full caches at 16 per size, 140 at 7)...
 */
export const tcacheBytesForAdvice = 32 * 1024 * 1024;
/** ...or at least 8 MiB (the malloc_trim advice's floor) that is also a tenth of what the arenas keep resident. */
export const minTcacheBytesForAdvice = 8 * 1024 * 1024;
export const tcacheShareOfArenas = 0.1;

/**
 * tcache_count to suggest: the largest of glibc's defaults (the version's own, and the one
 * before it changed: 16 and 7 on 2.43+) that is below the count in effect, else half the count.
 */
export function suggestedTcacheCount(count: number, defaults: Array<number | null>): number {
  const below = defaults.filter((d): d is number => d !== null && d < count);
  return below.length ? Math.max(...below) : Math.floor(count / 2);
}

/** MALLOC_ARENA_MAX to suggest: 2 to 4, following the CPUs the process may use (4 contended cores rarely need more). */
export function suggestedArenaMax(cpus: number | null): number {
  return Math.min(4, Math.max(2, cpus ?? 2));
}

const pct = (part: number, whole: number): string => (whole > 0 ? `${Math.round((100 * part) / whole)}%` : '-');

function tooManyArenas(i: AdviceInput): Advice | null {
  const a = i.arenas;
  if (!i.glibc || !a) return null;
  const n = suggestedArenaMax(i.cpus);
  const heapMax = i.heapMax ?? glibcDefaults.heapMax;
  if (a.count <= n || a.resident < minArenaResidentForAdvice) return null;
  if (i.configuredArenaMax !== null && i.configuredArenaMax <= n) return null;
  if (a.freeResident !== null && a.freeResident < freeShareForArenaAdvice * a.resident) return null;
  const free = a.freeResident !== null ? `, ${formatBytes(a.freeResident)} of it free` : '';
  const trim = a.reclaimable !== null && a.reclaimable > 0 ? `; malloc_trim(0) would return about ${formatBytes(a.reclaimable)} now` : '';
  const unknown = a.freeResident === null ? ' (how much of it is free needs the arena engine)' : '';
  return {
    rule: 'too-many-arenas',
    message:
      `${a.count} arenas for ${i.threads} threads hold ${formatBytes(a.resident)} resident${free}${unknown}: ` +
      `MALLOC_ARENA_MAX=${n} would cap malloc at ${n} arenas, main + ${n - 1} thread arena${n - 1 === 1 ? '' : 's'} reserving ${formatBytes((n - 1) * heapMax)} to start` +
      trim,
    evidence: {
      arenas: a.count,
      threads: i.threads,
      cpus: i.cpus,
      arenaResident: a.resident,
      arenaReserved: a.reserved,
      arenaFreeResident: a.freeResident,
      reclaimable: a.reclaimable,
      suggestedArenaMax: n,
      cappedThreadArenaReservation: (n - 1) * heapMax,
    },
  };
}

function freeStuckResident(i: AdviceInput): Advice | null {
  const a = i.arenas;
  if (!i.glibc || !a || a.reclaimable === null) return null;
  if (a.reclaimable < minReclaimableForAdvice || a.reclaimable < reclaimableShareOfRss * i.rss) return null;
  return {
    rule: 'free-memory-resident',
    message:
      `${formatBytes(a.freeResident ?? a.reclaimable)} of freed memory stays resident in the arenas; ` +
      `malloc_trim(0) would return about ${formatBytes(a.reclaimable)} now (${pct(a.reclaimable, i.rss)} of RSS). ` +
      `glibc trims on free() only at the top of an arena, so a periodic malloc_trim(0) in the program (e.g. after load peaks) gives it back`,
    evidence: { reclaimable: a.reclaimable, reclaimableBins: a.reclaimableBins, freeResident: a.freeResident, rss: i.rss },
  };
}

function raisedMmapThreshold(i: AdviceInput): Advice | null {
  const p = i.params;
  if (!i.glibc || !p || p.dynamicMmapThreshold !== true) return null;
  return {
    rule: 'raised-mmap-threshold',
    message:
      `glibc raised the mmap threshold from ${formatBytes(glibcDefaults.mmapThreshold)} to ${formatBytes(p.mmapThreshold)} after a block that size was freed: ` +
      `blocks up to ${formatBytes(p.mmapThreshold)} now come from the arenas and stay there after free (trim threshold now ${formatBytes(p.trimThreshold)}). ` +
      `Setting MALLOC_MMAP_THRESHOLD_=${glibcDefaults.mmapThreshold} fixes it and keeps large blocks in their own mappings`,
    evidence: {
      mmapThreshold: p.mmapThreshold,
      defaultMmapThreshold: glibcDefaults.mmapThreshold,
      trimThreshold: p.trimThreshold,
      arenaFreeResident: i.arenas?.freeResident ?? null,
    },
  };
}

function fragmentation(i: AdviceInput): Advice | null {
  const a = i.arenas;
  if (!i.glibc || !a || a.freeChunkResidentBytes === null || a.reclaimableBins === null) return null;
  const stuck = Math.max(0, a.freeChunkResidentBytes - a.reclaimableBins);
  if (stuck < minFragmentedForAdvice || stuck < fragmentedShareOfArenas * a.resident) return null;
  const small = a.smallFreeChunks ?? 0;
  const smallText = small >= manySmallFreeChunks ? `; ${small} free chunks (${formatBytes(a.smallFreeBytes ?? 0)}) are too small to ever hold a whole page` : '';
  return {
    rule: 'fragmentation',
    message:
      `${formatBytes(stuck)} of free memory on resident pages cannot be returned even by malloc_trim(0): it sits in small free chunks and in pages shared with live data${smallText}. ` +
      `That is fragmentation; fewer arenas, pooling same-sized objects, or jemalloc/tcmalloc reduce it`,
    evidence: {
      freeChunkBytes: a.freeChunkBytes,
      freeChunkResidentBytes: a.freeChunkResidentBytes,
      reclaimableBins: a.reclaimableBins,
      freeNotTrimmable: stuck,
      smallFreeChunks: a.smallFreeChunks,
      smallFreeBytes: a.smallFreeBytes,
      arenaResident: a.resident,
    },
  };
}

function nearCgroupLimit(i: AdviceInput): Advice | null {
  const c = i.cgroup;
  if (!c || c.limit === null) return null;
  const usage = c.usage ?? 0;
  if (i.rss < cgroupNearShare * c.limit && usage < cgroupNearShare * c.limit) return null;
  const free = i.arenas?.reclaimable ? `; malloc_trim(0) would return about ${formatBytes(i.arenas.reclaimable)} of it now` : '';
  return {
    rule: 'near-cgroup-limit',
    message: `RSS ${formatBytes(i.rss)} and cgroup usage ${formatBytes(usage)} are at ${pct(Math.max(i.rss, usage), c.limit)} of the cgroup limit ${formatBytes(c.limit)}: the OOM killer acts at the limit${free}`,
    evidence: { rss: i.rss, cgroupUsage: c.usage, cgroupLimit: c.limit, share: Math.round((1000 * Math.max(i.rss, usage)) / c.limit) / 1000 },
  };
}

function arenasCapped(i: AdviceInput): Advice | null {
  const a = i.arenas;
  if (!i.glibc || !a) return null;
  const cap = i.configuredArenaMax ?? (i.params && i.params.arenaMax > 0 ? i.params.arenaMax : null);
  if (cap === null || a.count < cap) return null;
  return {
    rule: 'arenas-capped',
    message:
      `arenas are capped at ${cap} (${i.arenaMaxSource ?? 'mp_.arena_max'}) and all ${a.count} are in use by ${i.threads} threads: threads share arenas, ` +
      `so arena memory is already bounded; lowering the cap further trades memory for lock contention`,
    evidence: { arenaMax: cap, arenas: a.count, threads: i.threads, arenaResident: a.resident, source: i.arenaMaxSource },
  };
}

function alternativeAllocator(i: AdviceInput): Advice | null {
  const a = i.arenas;
  if (!i.glibc || !a || a.freeResident === null) return null;
  if (i.threads < manyThreads || a.count < 4 || i.uptimeSeconds === null || i.uptimeSeconds < longLivedSeconds) return null;
  if (a.freeResident < freeShareForAllocatorAdvice * a.resident || a.resident < minArenaResidentForAdvice) return null;
  return {
    rule: 'alternative-allocator',
    message:
      `a long-running (${Math.round(i.uptimeSeconds / 3600)} h) process with ${i.threads} threads keeps ${pct(a.freeResident, a.resident)} of its ${formatBytes(a.resident)} arena memory free but resident: ` +
      `jemalloc (LD_PRELOAD=libjemalloc.so.2) or tcmalloc (LD_PRELOAD=libtcmalloc_minimal.so.4) return freed memory to the system over time and suit long-lived multi-threaded allocation better`,
    evidence: { uptimeSeconds: i.uptimeSeconds, threads: i.threads, arenas: a.count, arenaResident: a.resident, arenaFreeResident: a.freeResident },
  };
}

function tcacheHeld(i: AdviceInput): Advice | null {
  const t = i.tcache;
  const a = i.arenas;
  if (!i.glibc || !t || !a || t.count === null || t.count === 0 || t.bytes === 0) return null;
  const share = a.resident > 0 ? t.bytes / a.resident : 0;
  if (t.bytes < tcacheBytesForAdvice && (t.bytes < minTcacheBytesForAdvice || share < tcacheShareOfArenas)) return null;
  const n = suggestedTcacheCount(t.count, [t.defaultCount, t.previousDefault?.count ?? null]);
  // Bins stay about as full as now, each holding at most n instead of count chunks.
  const atN = Math.round((t.bytes * n) / t.count);
  const version = t.glibcVersion ? `glibc ${t.glibcVersion}` : 'glibc';
  const whose =
    t.countSource !== null
      ? `tcache_count ${t.count}, set by ${t.countSource}`
      : `${version}'s default${t.previousDefault ? `; ${t.previousDefault.count} before ${t.previousDefault.changedIn}` : ''}`;
  const ofFree = a.freeResident !== null && a.freeResident > 0 ? ` and ${pct(t.bytes, a.freeResident)} of their free resident memory` : '';
  return {
    rule: 'tcache-held',
    message:
      `${t.structs} thread caches (tcache) hold ${formatBytes(t.bytes)} in ${t.chunks} free chunks, ${pct(t.bytes, a.resident)} of the ${formatBytes(a.resident)} the arenas keep resident${ofFree}: ` +
      `only each thread's own malloc reuses them, and malloc_trim(0) never returns them. ` +
      `A thread keeps up to ${t.count} chunks of each size (${whose}); ` +
      `GLIBC_TUNABLES=glibc.malloc.tcache_count=${n} would keep at most ${n} (about ${formatBytes(atN)} here at today's fill), 0 turns the cache off, at the cost of more trips to the arena for small allocations`,
    evidence: {
      tcaches: t.structs,
      tcacheChunks: t.chunks,
      tcacheBytes: t.bytes,
      arenaResident: a.resident,
      arenaFreeResident: a.freeResident,
      tcacheShareOfArenas: Math.round(1000 * share) / 1000,
      tcacheCount: t.count,
      tcacheCountSource: t.countSource,
      defaultTcacheCount: t.defaultCount,
      glibcVersion: t.glibcVersion,
      suggestedTcacheCount: n,
      tcacheBytesAtSuggested: atN,
    },
  };
}

const rules = [tooManyArenas, freeStuckResident, raisedMmapThreshold, fragmentation, nearCgroupLimit, arenasCapped, alternativeAllocator, tcacheHeld];

export function advise(input: AdviceInput): Advice[] {
  return rules.map((r) => r(input)).filter((a): a is Advice => a !== null);
}
