// `arenascope report <pid>`: explains the RSS, estimates what malloc_trim(0)
// would return, and advises with the numbers behind each claim.
// buildReport() is also what the TUI overview runs for its advice (src/tui/sampling/useAdvice.ts).
import { advise, type Advice, type AdviceInput } from '../analysis/advice.js';
import { arenaAnonHugePages, layoutsFromSnapshot } from '../analysis/arenaLayouts.js';
import { buildContext, defaultArenaLimit, isGlibcMalloc, type EffectiveParams, type ReportContext } from '../analysis/context.js';
import { compareNmtWithRss, findLibjvm, inspectJvm, type JavaHeap, type JvmFlags, type NmtSummary, type NmtVersusRss } from '../analysis/jvm.js';
import { residencyRows, sumResidency, type ArenaLayout, type ArenaResidency } from '../analysis/residency.js';
import { regionsToSplit, rssBreakdown, type BreakdownLine } from '../analysis/rssBreakdown.js';
import { tcacheSummary, type TcacheSummary } from '../analysis/tcache.js';
import { sampleProcess } from '../engine/sample.js';
import { detectAllocatorForPid } from '../glibc/allocator.js';
import type { AllocatorInfo, ProcessSnapshot, ReadSummary } from '../model/snapshot.js';
import { readsNote } from '../output/readsNote.js';
import type { FreezeReport } from '../session/freeze.js';
import { readMaps } from '../proc/maps.js';
import { readResidency, type ResidencyMap } from '../proc/pagemap.js';
import { readEnviron } from '../proc/status.js';
import { preflight } from '../target/preflight.js';
import { paint } from '../util/color.js';
import { formatBytes, hex, percent } from '../util/format.js';
import { renderTable } from '../util/table.js';

export interface ReportOptions {
  /** Run jcmd against a JVM with NMT on (attach API). Default true. */
  attach?: boolean;
  jcmdTimeoutMs?: number;
  /** A snapshot already taken (tests pass their own): its arenas carry residency when it was asked for. */
  snapshot?: ProcessSnapshot;
  /** Stop the target (ptrace) during the arena walk, for an exact snapshot. */
  freeze?: boolean;
  /** Read swapped-out pages (swapping them in); by default they are not read. */
  readSwapped?: boolean;
  /** Aborting it cancels the arena walk (ECANCELED): the TUI's advice when the Overview is left. */
  signal?: AbortSignal;
}

export interface ArenaReportRow {
  address: number;
  main: boolean;
  reserved: number;
  resident: number;
  inUse: number;
  freeResident: number;
  overhead: number;
  reclaimable: number;
  untouchedReserve: number;
  freeChunks: number;
  /** Resident bytes of the arena's heaps in transparent huge pages (smaps AnonHugePages). */
  anonHugePages: number;
}

export interface ArenaReport {
  count: number;
  threads: number;
  reserved: number;
  resident: number;
  /** Of resident, bytes in transparent huge pages (smaps AnonHugePages of the arena heaps). */
  anonHugePages: number;
  /** null without chunk-level data. */
  inUse: number | null;
  freeResident: number | null;
  reclaimable: number | null;
  /** Conservative estimate: without fastbin consolidation. */
  reclaimableWithoutConsolidation: number | null;
  /** Where the numbers come from. */
  source: string;
  perArena: ArenaReportRow[] | null;
}

export interface JvmReport {
  libjvm: string;
  javaHome: string;
  xmx: number | null;
  xms: number | null;
  flags: JvmFlags;
  javaHeap: (JavaHeap & { resident: number | null }) | null;
  nmt: NmtSummary | null;
  nmtNote: string | null;
  versusRss: NmtVersusRss | null;
  attached: string[];
}

export interface Report {
  pid: number;
  comm: string;
  takenAt: number;
  rss: number;
  breakdown: BreakdownLine[];
  arenas: ArenaReport | null;
  /** Why chunk-level arena numbers are missing, when they are. */
  arenaNote: string | null;
  /** The threads' caches (tcache) the arena walk found; null without a walk, or before glibc 2.26. */
  tcache: TcacheSummary | null;
  env: Record<string, string>;
  params: EffectiveParams | null;
  cgroup: { path: string; version: 1 | 2; limit: number | null; usage: number | null } | null;
  allocator: AllocatorInfo;
  cpus: number | null;
  uptimeSeconds: number | null;
  jvm: JvmReport | null;
  advice: Advice[];
  /** Pages the arena walk spared the target; null without a walk. */
  reads: ReadSummary | null;
  /** --freeze: how long the target was stopped for the arena walk; null when it was not. */
  freeze: FreezeReport | null;
}

function targetIds(snapshot: ProcessSnapshot): { uid: number; gid: number } {
  // Uid:/Gid: lines are "real effective saved fs"; the attach check uses the effective ids.
  const uid = Number((snapshot.status.raw.Uid ?? '0').split(/\s+/)[1] ?? 0);
  const gid = Number((snapshot.status.raw.Gid ?? '0').split(/\s+/)[1] ?? 0);
  return { uid, gid };
}

function arenaReport(ctx: ReportContext, rows: ArenaResidency[] | null, source: string | null, snapshot: ProcessSnapshot): ArenaReport | null {
  if (rows && source && snapshot.malloc) {
    const t = sumResidency(rows);
    const arenas = snapshot.malloc.arenas;
    const thp = rows.map((r) => arenaAnonHugePages(arenas[r.index]!, snapshot.regions));
    return {
      count: rows.length,
      threads: ctx.threads,
      reserved: t.reserved,
      resident: t.resident,
      anonHugePages: thp.reduce((s, x) => s + x, 0),
      inUse: t.inUse,
      freeResident: t.freeResident,
      reclaimable: t.reclaimable,
      reclaimableWithoutConsolidation: rows.reduce((s, r) => s + r.reclaimableWithoutConsolidation.total, 0),
      source,
      perArena: rows.map((r, i) => ({
        address: r.address,
        main: r.main,
        reserved: r.reserved,
        resident: r.resident,
        inUse: r.inUseResident,
        freeResident: r.freeResident,
        overhead: r.overheadResident,
        reclaimable: r.reclaimable.total,
        untouchedReserve: r.untouchedReserve,
        freeChunks: r.freeChunks.count,
        anonHugePages: thp[i]!,
      })),
    };
  }
  if (!ctx.census) return null;
  return {
    count: ctx.census.count,
    threads: ctx.threads,
    reserved: ctx.census.reserved,
    resident: ctx.census.resident,
    // The heap mappings the census counted as resident (no walk: the heaps are known by their mappings).
    anonHugePages: snapshot.regions.filter((r) => r.kind === 'main-heap' || r.kind === 'arena-heap').reduce((s, r) => s + r.anonHugePages, 0),
    inUse: null,
    freeResident: null,
    reclaimable: null,
    reclaimableWithoutConsolidation: null,
    source: ctx.census.source === 'engine' ? 'arena engine (ring walk)' : 'heap_info of each mapped thread heap, plus the main arena; resident from smaps',
    perArena: null,
  };
}

export function adviceInput(ctx: ReportContext, rss: number, rows: ArenaResidency[] | null, arenas: ArenaReport | null, heapMax?: number, tcache: TcacheSummary | null = null): AdviceInput {
  const t = rows ? sumResidency(rows) : null;
  return {
    allocator: ctx.allocator.allocator,
    glibc: isGlibcMalloc(ctx.allocator),
    threads: ctx.threads,
    cpus: ctx.cpus,
    uptimeSeconds: ctx.uptimeSeconds,
    rss,
    arenas: arenas
      ? {
          count: arenas.count,
          reserved: arenas.reserved,
          resident: arenas.resident,
          freeResident: arenas.freeResident,
          reclaimable: arenas.reclaimable,
          reclaimableBins: rows ? rows.reduce((s, r) => s + r.reclaimable.bins, 0) : null,
          freeChunkBytes: t ? t.freeChunkBytes : null,
          freeChunkResidentBytes: t ? t.freeChunkResidentBytes : null,
          smallFreeChunks: t ? t.smallFreeChunks : null,
          smallFreeBytes: t ? t.smallFreeBytes : null,
        }
      : null,
    params: ctx.params
      ? { mmapThreshold: ctx.params.mmapThreshold, trimThreshold: ctx.params.trimThreshold, dynamicMmapThreshold: ctx.params.dynamicMmapThreshold, arenaMax: ctx.params.arenaMax }
      : null,
    configuredArenaMax: ctx.configured.arenaMax,
    arenaMaxSource: ctx.configured.sources.arenaMax ?? null,
    cgroup: ctx.cgroup ? { limit: ctx.cgroup.limit, usage: ctx.cgroup.usage } : null,
    ...(heapMax ? { heapMax } : {}),
    tcache: tcache
      ? {
          structs: tcache.structs,
          chunks: tcache.chunks,
          bytes: tcache.bytes,
          count: tcache.count,
          countSource: ctx.configured.sources.tcacheCount ?? null,
          defaultCount: tcache.defaultCount,
          previousDefault: tcache.previousDefault,
          glibcVersion: ctx.allocator.glibcVersion,
        }
      : null,
  };
}

export async function buildReport(pid: number, options: ReportOptions = {}): Promise<Report> {
  preflight(pid);
  const snapshot =
    options.snapshot ?? (await sampleProcess(pid, {
      withResidency: true,
      freeze: Boolean(options.freeze),
      readSwapped: Boolean(options.readSwapped),
      ...(options.signal ? { signal: options.signal } : {}),
    }));
  const maps = readMaps(pid);
  // Our own look (it also reads the libc banner and a static executable); the engine's version when it walked.
  const detected = detectAllocatorForPid(pid, maps);
  const allocator: AllocatorInfo = { ...detected, glibcVersion: snapshot.malloc?.glibcVersion ?? detected.glibcVersion };
  const ctx = buildContext(pid, snapshot, allocator);
  const glibc = isGlibcMalloc(allocator);

  let rows: ArenaResidency[] | null = null;
  let layouts: ArenaLayout[] | null = null;
  let source: string | null = null;
  let arenaNote: string | null = null;
  if (glibc) {
    rows = snapshot.malloc ? residencyRows(snapshot.malloc) : null;
    if (rows && snapshot.malloc) {
      layouts = layoutsFromSnapshot(snapshot.malloc, snapshot.regions);
      source = `arena engine (main_arena located by ${snapshot.malloc.locatedBy}): each chunk joined with /proc/PID/pagemap as the walk passed it`;
    } else if (snapshot.malloc) {
      // The walk ran without residency (pagemap unreadable): layouts alone cannot split pages.
      arenaNote = 'arena data unavailable: the arena walk could not join page residency (pagemap unreadable), so in use / free / reclaimable cannot be split';
    } else {
      arenaNote = `arena data unavailable${snapshot.mallocError ? ` (${snapshot.mallocError})` : ''}: arena count, reservation and residency come from heap_info and smaps; in use / free / malloc_trim estimates need the arena engine`;
    }
  } else {
    arenaNote = `allocator is ${allocator.allocator} (${allocator.evidence}): glibc arenas do not apply`;
  }

  const libjvm = findLibjvm(maps);
  const jvmInfo = libjvm
    ? await inspectJvm(pid, libjvm, snapshot.cmdline, readEnviron(pid), snapshot.regions, {
        attach: options.attach ?? true,
        timeoutMs: options.jcmdTimeoutMs ?? 20000,
        ...targetIds(snapshot),
      })
    : null;
  const javaRange = jvmInfo?.javaHeap && jvmInfo.javaHeap.start !== null && jvmInfo.javaHeap.end !== null ? { start: jvmInfo.javaHeap.start, end: jvmInfo.javaHeap.end } : null;

  const toRead = [...regionsToSplit(snapshot.regions, layouts, javaRange), ...(layouts ? layouts.flatMap((l) => l.ranges) : [])];
  const residency: ResidencyMap | null = toRead.length ? readResidency(pid, toRead) : null;
  const breakdown = rssBreakdown({ regions: snapshot.regions, residency, arenas: rows && layouts ? { rows, layouts } : null, javaHeap: javaRange });
  const arenas = glibc ? arenaReport(ctx, rows, source, snapshot) : null;
  const tcache = glibc && snapshot.malloc ? tcacheSummary(snapshot.malloc) : null;

  let jvm: JvmReport | null = null;
  if (jvmInfo) {
    jvm = {
      libjvm: jvmInfo.libjvm,
      javaHome: jvmInfo.javaHome,
      xmx: jvmInfo.flags.xmx,
      xms: jvmInfo.flags.xms,
      flags: jvmInfo.flags,
      javaHeap: jvmInfo.javaHeap ? { ...jvmInfo.javaHeap, resident: breakdown.javaHeapResident } : null,
      nmt: jvmInfo.nmt,
      nmtNote: jvmInfo.nmtNote,
      versusRss: jvmInfo.nmt ? compareNmtWithRss(breakdown.rss, jvmInfo.nmt, arenas ? arenas.resident : null) : null,
      attached: jvmInfo.attached,
    };
  }

  return {
    pid,
    comm: snapshot.comm,
    takenAt: snapshot.takenAt,
    rss: breakdown.rss,
    breakdown: breakdown.lines,
    arenas,
    arenaNote,
    tcache,
    env: ctx.env,
    params: ctx.params,
    cgroup: ctx.cgroup,
    allocator,
    cpus: ctx.cpus,
    uptimeSeconds: ctx.uptimeSeconds,
    jvm,
    advice: advise(adviceInput(ctx, breakdown.rss, rows, arenas, snapshot.malloc?.heapMaxSize, tcache)),
    reads: snapshot.malloc?.reads ?? null,
    freeze: snapshot.malloc?.freeze ?? null,
  };
}

/** The --json shape: bytes as numbers, addresses as hex strings. */
export function reportJson(r: Report) {
  return {
    pid: r.pid,
    comm: r.comm,
    rss: r.rss,
    freeze: r.freeze,
    breakdown: r.breakdown,
    arenas: r.arenas
      ? {
          count: r.arenas.count,
          threads: r.arenas.threads,
          reserved: r.arenas.reserved,
          resident: r.arenas.resident,
          anonHugePages: r.arenas.anonHugePages,
          inUse: r.arenas.inUse,
          freeResident: r.arenas.freeResident,
          reclaimable: r.arenas.reclaimable,
          reclaimableWithoutConsolidation: r.arenas.reclaimableWithoutConsolidation,
          source: r.arenas.source,
          perArena: r.arenas.perArena?.map((a) => ({ ...a, address: hex(a.address) })) ?? null,
        }
      : null,
    arenaNote: r.arenaNote,
    tcache: r.tcache ? { ...r.tcache, perThread: r.tcache.perThread.map((t) => ({ ...t, address: hex(t.address), arena: hex(t.arena) })) } : null,
    reads: r.reads,
    env: r.env,
    params: r.params,
    cgroup: r.cgroup,
    allocator: r.allocator,
    cpus: r.cpus,
    uptimeSeconds: r.uptimeSeconds,
    jvm: r.jvm
      ? {
          xmx: r.jvm.xmx,
          xms: r.jvm.xms,
          libjvm: r.jvm.libjvm,
          javaHeap: r.jvm.javaHeap
            ? { ...r.jvm.javaHeap, start: r.jvm.javaHeap.start === null ? null : hex(r.jvm.javaHeap.start), end: r.jvm.javaHeap.end === null ? null : hex(r.jvm.javaHeap.end) }
            : null,
          nmt: r.jvm.nmt ? { committed: r.jvm.nmt.committed, reserved: r.jvm.nmt.reserved, malloc: r.jvm.nmt.malloc, categories: r.jvm.nmt.categories } : null,
          nmtNote: r.jvm.nmtNote,
          versusRss: r.jvm.versusRss,
          options: r.jvm.flags.options,
          attached: r.jvm.attached,
        }
      : null,
    advice: r.advice,
  };
}

function evidenceText(e: Record<string, unknown>): string {
  return Object.entries(e)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'number' && Math.abs(v) >= 1024 && !/^(arenas|threads|cpus|uptimeSeconds|smallFreeChunks|suggestedArenaMax|arenaMax|tcaches|tcacheChunks|tcacheCount|defaultTcacheCount|suggestedTcacheCount)$/.test(k) ? `${v} (${formatBytes(v)})` : String(v)}`)
    .join(', ');
}

/** The tcache section: totals, the fill count against glibc's default, then one row per thread's cache. */
function tcacheLines(t: TcacheSummary, h: (s: string) => string): string[] {
  const out = [h('tcache (each thread\'s cache of free chunks)')];
  const before = t.previousDefault ? `; ${t.previousDefault.count} before ${t.previousDefault.changedIn}` : '';
  const fill =
    t.count === null
      ? 'tcache_count unknown (mp_ not read)'
      : `up to ${t.count} chunks of each size per thread (mp_.tcache_count${t.defaultCount !== null ? `; glibc's default here ${t.defaultCount}${before}` : ''})`;
  out.push(`  ${t.structs} tcaches hold ${formatBytes(t.bytes)} in ${t.chunks} chunks; ${fill}`);
  if (t.perThread.length) {
    out.push(
      renderTable(t.perThread, [
        { header: '  Tcache', value: (x) => `  ${hex(x.address)}` },
        { header: 'Arena', value: (x) => `${hex(x.arena)}${x.mainArena ? ' main' : ''}` },
        { header: 'Chunks', value: (x) => String(x.chunks), align: 'right' },
        { header: 'Bytes', value: (x) => formatBytes(x.bytes), align: 'right' },
      ]),
    );
  }
  return out;
}

export function renderReport(r: Report, color = false): string {
  const h = (s: string): string => paint(s, 'bold', color);
  const out: string[] = [];
  const libc = r.allocator.glibcVersion ? ` ${r.allocator.glibcVersion}` : '';
  out.push(h(`arenascope report: pid ${r.pid} (${r.comm}), RSS ${formatBytes(r.rss)}`));
  out.push(`allocator: ${r.allocator.allocator}${libc} (${r.allocator.evidence})`);
  const note = r.reads ? readsNote(r.reads) : null;
  if (note) out.push(note);
  if (r.freeze) out.push(`target stopped ${r.freeze.stoppedMs.toFixed(1)} ms (${r.freeze.threads} threads) for the arena walk (--freeze)`);
  out.push('');

  out.push(h(`RSS explained (sum of smaps Rss over every mapping = ${formatBytes(r.rss)})`));
  out.push(
    renderTable(r.breakdown, [
      { header: 'Where', value: (l) => l.name },
      { header: 'Bytes', value: (l) => formatBytes(l.bytes), align: 'right' },
      { header: 'Share', value: (l) => percent(l.bytes, r.rss), align: 'right' },
    ]),
  );
  out.push('');

  if (r.arenas) {
    const a = r.arenas;
    out.push(h('glibc arenas'));
    const cap = r.params && r.params.arenaMax > 0 ? `arena_max ${r.params.arenaMax}` : r.cpus ? `glibc's default cap 8 x ${r.cpus} CPUs = ${defaultArenaLimit(r.cpus)}` : '';
    out.push(`  ${a.count} arenas for ${a.threads} threads${cap ? ` (${cap})` : ''}`);
    const thp = a.anonHugePages > 0 ? ` (${formatBytes(a.anonHugePages)} in transparent huge pages)` : '';
    out.push(`  reserved ${formatBytes(a.reserved)}, resident ${formatBytes(a.resident)}${thp}, untouched reserve ${formatBytes(Math.max(0, a.reserved - a.resident))}`);
    if (a.inUse !== null && a.freeResident !== null) {
      out.push(`  resident: in use ${formatBytes(a.inUse)}, free ${formatBytes(a.freeResident)} (${percent(a.freeResident, a.resident)}), overhead ${formatBytes(a.resident - a.inUse - a.freeResident)}`);
    }
    if (a.reclaimable !== null) {
      const cons = a.reclaimableWithoutConsolidation !== null && a.reclaimableWithoutConsolidation !== a.reclaimable ? ` (${formatBytes(a.reclaimableWithoutConsolidation)} without fastbin consolidation)` : '';
      out.push(`  malloc_trim(0) would return about ${formatBytes(a.reclaimable)} now${cons}`);
    }
    out.push(`  evidence: ${a.source}`);
    if (a.perArena) {
      // THP only when some arena heap has huge pages (glibc 2.43+ may advise them, malloc.c madvise_thp).
      const thpColumn = a.perArena.some((x) => x.anonHugePages > 0);
      out.push(
        renderTable(a.perArena, [
          { header: '  Arena', value: (x) => `  ${hex(x.address)}${x.main ? ' main' : ''}` },
          { header: 'Reserved', value: (x) => formatBytes(x.reserved), align: 'right' },
          { header: 'Resident', value: (x) => formatBytes(x.resident), align: 'right' },
          ...(thpColumn ? [{ header: 'THP', value: (x: ArenaReportRow) => (x.anonHugePages > 0 ? formatBytes(x.anonHugePages) : ''), align: 'right' as const }] : []),
          { header: 'In use', value: (x) => formatBytes(x.inUse), align: 'right' },
          { header: 'Free', value: (x) => formatBytes(x.freeResident), align: 'right' },
          { header: 'Overhead', value: (x) => formatBytes(x.overhead), align: 'right' },
          { header: 'Trim(0)', value: (x) => formatBytes(x.reclaimable), align: 'right' },
        ]),
      );
    }
  }
  if (r.arenaNote) out.push(`  ${r.arenaNote}`);
  out.push('');

  if (r.tcache) out.push(...tcacheLines(r.tcache, h), '');

  out.push(h('malloc settings'));
  const env = Object.entries(r.env);
  out.push(env.length ? `  environment: ${env.map(([k, v]) => `${k}=${v}`).join(' ')}` : '  environment: no malloc variables set (glibc defaults)');
  if (r.params) {
    const p = r.params;
    const dyn =
      p.dynamicMmapThreshold === true
        ? ' (raised dynamically by glibc)'
        : p.noDynThreshold === true
          ? ' (set explicitly: glibc will not raise it)'
          : p.dynamicMmapThreshold === false
            ? ' (not raised)'
            : '';
    out.push(
      `  ${p.source === 'live' ? 'live mp_' : 'implied by environment and defaults'}: mmap_threshold ${formatBytes(p.mmapThreshold)}${dyn}, trim_threshold ${formatBytes(p.trimThreshold)}, ` +
        `top_pad ${formatBytes(p.topPad)}, arena_max ${p.arenaMax || 'unset'}, arena_test ${p.arenaTest}` +
        (p.mmappedChunks !== null ? `, ${p.mmappedChunks} mmapped chunks (${formatBytes(p.mmappedBytes ?? 0)})` : ''),
    );
  }
  out.push('');

  out.push(h('memory cgroup'));
  if (!r.cgroup) out.push('  none readable');
  else {
    const c = r.cgroup;
    const lim = c.limit === null ? 'no limit' : `limit ${formatBytes(c.limit)}`;
    const use = c.usage === null ? 'usage unknown' : `usage ${formatBytes(c.usage)}${c.limit ? ` (${percent(c.usage, c.limit)})` : ''}`;
    out.push(`  ${c.path} (cgroup v${c.version}): ${use}, ${lim}; RSS is ${c.limit ? percent(r.rss, c.limit) + ' of the limit' : formatBytes(r.rss)}`);
  }
  out.push('');

  if (r.jvm) {
    const j = r.jvm;
    out.push(h('JVM'));
    out.push(`  ${j.libjvm}; -Xmx ${j.xmx === null ? 'not set' : formatBytes(j.xmx)}, -Xms ${j.xms === null ? 'not set' : formatBytes(j.xms)}`);
    if (j.javaHeap) {
      const where = j.javaHeap.start !== null ? ` at [${hex(j.javaHeap.start)}, ${hex(j.javaHeap.end!)})` : '';
      const res = j.javaHeap.resident !== null ? `, resident ${formatBytes(j.javaHeap.resident)}` : '';
      out.push(`  Java heap: ${formatBytes(j.javaHeap.reserved)} reserved${where}${res} (from ${j.javaHeap.source})`);
    }
    if (j.nmt && j.versusRss) {
      const v = j.versusRss;
      out.push(`  NMT: committed ${formatBytes(j.nmt.committed)}, reserved ${formatBytes(j.nmt.reserved)}${j.nmt.malloc !== null ? `, JVM malloc ${formatBytes(j.nmt.malloc)}` : ''}`);
      out.push(`  RSS ${formatBytes(v.rss)} - NMT committed ${formatBytes(v.nmtCommitted)} = ${formatBytes(v.gap)}`);
      if (v.arenaUntracked !== null) {
        const held = `glibc arenas hold ${formatBytes(v.arenaResident ?? 0)} resident, ${formatBytes(v.arenaUntracked)} beyond the JVM's own malloc (native code's malloc is not tracked by NMT)`;
        out.push(
          v.gap > 0
            ? `  ${held}: that explains ${formatBytes(v.gapExplainedByArenas ?? 0)} of the ${formatBytes(v.gap)} RSS above NMT`
            : `  RSS is below NMT committed (committed memory the JVM has not touched yet is not resident); ${held}`,
        );
      }
      const top = [...j.nmt.categories].sort((x, y) => y.committed - x.committed).slice(0, 6);
      out.push(`  largest NMT categories (committed): ${top.map((c) => `${c.name} ${formatBytes(c.committed)}`).join(', ')}`);
    }
    if (j.nmtNote) out.push(`  ${j.nmtNote}`);
    if (j.attached.length) out.push(`  attached through the HotSpot attach API: ${j.attached.join('; ')}`);
    out.push('');
  }

  out.push(h('advice'));
  if (!r.advice.length) out.push('  none: no rule found evidence of a problem');
  for (const a of r.advice) {
    out.push(`  [${a.rule}] ${a.message}`);
    out.push(`      evidence: ${evidenceText(a.evidence)}`);
  }
  return out.join('\n');
}

export interface ReportCommandOptions {
  json?: boolean;
  attach?: boolean;
  jcmdTimeoutMs?: number;
  freeze?: boolean;
  readSwapped?: boolean;
}

export async function runReport(pid: number, opts: ReportCommandOptions): Promise<void> {
  const report = await buildReport(pid, { attach: opts.attach !== false, jcmdTimeoutMs: opts.jcmdTimeoutMs ?? 20000, freeze: Boolean(opts.freeze), readSwapped: Boolean(opts.readSwapped) });
  if (opts.json) {
    process.stdout.write(JSON.stringify(reportJson(report), null, 2) + '\n');
    return;
  }
  const { colorEnabled } = await import('../util/color.js');
  process.stdout.write(renderReport(report, colorEnabled()) + '\n');
}
