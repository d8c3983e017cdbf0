// readMallocSnapshot: from a pid to every arena, exact, in four steps:
// preflight, the region map, discovery (src/glibc/discover.ts: allocator,
// libc, version, layout, main_arena, mp_; in TS with small reads, or reused
// from an earlier read of the same process), then the walk, which runs in the
// addon's worker thread over bulk reads, and the snapshot built from it.
import { ArenascopeError, toArenascopeError } from '../errors.js';
import { discoverMalloc, discoveryHolds, type MallocDiscovery } from '../glibc/discover.js';
import { layoutForNative, type MallocLayout } from '../glibc/layouts.js';
import { locateMethods } from '../glibc/locate.js';
import { MemoryReader } from '../memory/reader.js';
import type { AnomalySummary, ArenaSnapshot, ArenaTotals, LocatedBy, MallocParams, MallocSnapshot } from '../model/snapshot.js';
import { throwIfCancelled, withCancelToken } from '../native/cancel.js';
import { loadNative } from '../native/loader.js';
import type { NativeAnomalies, NativeArena, NativeChunkMap, NativeWalkOptions, NativeWalkResult } from '../native/native.js';
import type { Region } from '../regions/kinds.js';
import { withFreeze } from '../session/freeze.js';
import { preflight } from '../target/preflight.js';
import { readRegionMap, type RegionMap } from '../target/regionMap.js';

export { layoutForNative };

export interface MallocReadOptions {
  freeze?: boolean;
  useDebuginfo?: boolean;
  debugDirs?: string[];
  /**
   * Find main_arena this way only (`arenas --locate`). A symbol-free route
   * also leaves debug symbols out entirely (mp_ then comes from libc's file
   * image), so its result is what a machine without libc6-dbg would get.
   */
  locate?: LocatedBy;
  withBins?: boolean;
  withHistogram?: boolean;
  /** Join page residency per arena and estimate malloc_trim(0) (the report). */
  withResidency?: boolean;
  /** The heap map of one arena, in this many cells (the TUI's arena detail). */
  heapMap?: { arena: number; cells: number };
  /** The chunk map (chunk starts and states, 1/64 of the heaps) for the string scanner. */
  withChunkMap?: boolean;
  /** Stream every chunk (of one arena, or all) to this file descriptor as NDJSON (`arenascope chunks`). */
  listChunks?: { fd: number; arena?: number };
  /** Aborting it cancels the walk (ECANCELED): the TUI leaving a view, quitting. */
  signal?: AbortSignal;
  /** A region map already read for this refresh (saves a second smaps read). */
  regionMap?: RegionMap;
  /** Read swapped-out pages (swapping them in); by default they are not read. */
  readSwapped?: boolean;
  /** A discovery of this pid from an earlier read: used when it still holds (discoveryHolds), else redone. */
  discovery?: MallocDiscovery;
}

export interface MallocReadResult {
  snapshot: MallocSnapshot;
  regionMap: RegionMap;
  /** What the walk stood on: pass it back as options.discovery to skip discovery next time. */
  discovery: MallocDiscovery;
  /** withChunkMap only. */
  chunkMap: NativeChunkMap | null;
  /** listChunks only: lines written, errno of the first failed write (EPIPE: the reader left). */
  listed: { chunks: number; writeError: number } | null;
}

/** DEFAULT_MMAP_THRESHOLD_MIN: where mp_.mmap_threshold starts (128 KiB). */
const defaultMmapThreshold = 0x20000;

export async function readMallocSnapshot(pid: number, options: MallocReadOptions = {}): Promise<MallocReadResult> {
  if (options.locate !== undefined && !locateMethods.includes(options.locate)) {
    throw new ArenascopeError('EINVAL', `--locate: unknown method '${String(options.locate)}' (one of ${locateMethods.join(', ')})`);
  }
  if (options.locate === 'debuginfo' && options.useDebuginfo === false) {
    throw new ArenascopeError('EINVAL', '--locate debuginfo needs debug symbols: drop --no-debuginfo');
  }
  throwIfCancelled(options.signal);
  preflight(pid, { requireX86_64: true });
  const reader = MemoryReader.forProcess(pid, { readSwapped: options.readSwapped });
  const regionMap = options.regionMap ?? readRegionMap(pid, reader);
  const d =
    options.discovery && discoveryHolds(options.discovery, pid, regionMap)
      ? options.discovery
      : await discoverMalloc(pid, reader, regionMap, {
          useDebuginfo: options.useDebuginfo !== false,
          debugDirs: options.debugDirs ?? [],
          ...(options.locate ? { locate: options.locate } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
  const { layout, heapMaxSize } = d;
  const native = loadNative();
  const walkOptions: NativeWalkOptions = {
    mainArena: d.mainArena,
    mp: d.mallocPar,
    heapMaxSize,
    ...(d.globalMaxFast !== null ? { globalMaxFast: d.globalMaxFast } : {}),
    withBins: Boolean(options.withBins),
    withHistogram: Boolean(options.withHistogram),
    withTcacheDetail: Boolean(options.withBins),
    chunkMap: Boolean(options.withChunkMap),
    // A frozen target does not move: its anomalies need no second read.
    confirm: !options.freeze,
    ...(options.withResidency ? { residency: residencyOptions(regionMap, reader, d.mallocPar, layout) } : {}),
    ...(options.heapMap ? { heapMap: options.heapMap } : {}),
    ...(options.listChunks ? { listChunks: options.listChunks } : {}),
  };
  // A caller that left while discovery ran (or was skipped) must not stop the target now.
  throwIfCancelled(options.signal);
  const { result, freeze } = await withFreeze(pid, Boolean(options.freeze), async () => {
    try {
      return await withCancelToken(options.signal, (cancel) => native.walkArenas(reader.native, layoutForNative(layout), cancel ? { ...walkOptions, cancel } : walkOptions));
    } catch (err) {
      throw toArenascopeError(err, { pid });
    }
  });
  const arenas = result.arenas.map((a) => toArenaSnapshot(a, regionMap.regions, heapMaxSize));
  const snapshot: MallocSnapshot = {
    pid,
    allocator: { ...d.allocator },
    glibcVersion: d.version.text,
    layout: layout.name,
    layoutChosenBy: d.layoutChosenBy,
    locatedBy: d.locatedBy,
    mainArena: d.mainArena,
    mallocPar: d.mallocPar,
    heapMaxSize,
    params: toParams(result, d.version.minor),
    arenas,
    totals: totalsOf(arenas),
    freeze,
    anomalies: anomaliesOf(result),
    reads: reader.counters(),
    walkMemoryBytes: result.memoryBytes,
    takenAt: Date.now(),
  };
  return { snapshot, regionMap, discovery: d, chunkMap: result.chunkMap ?? null, listed: result.listed ?? null };
}

/**
 * What the walk needs to join residency: [heap] (the main arena covers it
 * whole, and systrim cuts top only when top ends at its end), mp_'s
 * thp_pagesize (systrim rounds to it), and whether mtrim consolidates
 * fastbins first (every version that has them, up to 2.42).
 */
function residencyOptions(regionMap: RegionMap, reader: MemoryReader, mallocPar: number, layout: MallocLayout) {
  const brk = regionMap.regions.find((r) => r.kind === 'main-heap');
  const thp = layout.mpThpPagesize >= 0 ? (reader.readU64(mallocPar + layout.mpThpPagesize) ?? 0) : 0;
  return {
    brkStart: brk?.start ?? 0,
    brkEnd: brk?.end ?? 0,
    thpPagesize: thp > 0 && (thp & (thp - 1)) === 0 ? thp : 0,
    pad: 0,
    consolidateFastbins: layout.nFastbins > 0,
  };
}

function anomaliesOf(a: NativeAnomalies & { torn?: NativeArena['torn'] }): AnomalySummary {
  return {
    examples: a.anomalies.map((x) => ({ kind: x.kind, address: x.address, detail: x.detail })),
    counts: a.anomalyCounts.map((c) => ({ kind: c.kind, count: c.count, consequence: c.consequence })),
    total: a.anomalyTotal,
    // An arena, and the tcache structs, are read twice; the ring and discovery once.
    torn: a.torn ? { total: a.torn.total, counts: a.torn.counts.map((c) => ({ kind: c.kind, count: c.count, consequence: c.consequence })) } : { total: 0, counts: [] },
  };
}


function toParams(r: NativeWalkResult, minor: number): MallocParams | null {
  const mp = r.mp;
  if (mp === null) return null; // unreadable at the located address: the walk's mp-unreadable anomaly says so
  return {
    mmapThreshold: mp.mmapThreshold,
    trimThreshold: mp.trimThreshold,
    topPad: mp.topPad,
    arenaMax: mp.arenaMax,
    arenaTest: mp.arenaTest,
    // free() of a large mmapped chunk raises the threshold unless a knob pinned it (malloc.c __libc_free, the dynamic mmap threshold).
    dynamicMmapThreshold: mp.noDynThreshold === 0 && mp.mmapThreshold > defaultMmapThreshold,
    noDynThreshold: mp.noDynThreshold !== 0,
    mmappedChunks: mp.nMmaps,
    mmappedBytes: mp.mmappedMem,
    tcacheCount: minor >= 26 ? mp.tcacheCount : null,
    hpPagesize: mp.hpPagesize || null,
  };
}

/** Resident bytes of an arena: smaps RSS of the mappings holding its heaps (main: [heap]). */
function arenaRss(a: NativeArena, regions: Region[]): number {
  let rss = 0;
  for (const h of a.heaps) {
    for (const r of regions) {
      if (r.kind !== 'arena-heap' && r.kind !== 'main-heap' && r.kind !== 'anon') continue;
      if (h.start >= r.start && h.start < r.end) {
        // A mapping the kernel merged from several heaps: share its RSS by heap size.
        const heapsIn = r.heaps.length > 1 ? r.heaps.length : 1;
        rss += heapsIn > 1 ? Math.round(r.rss / heapsIn) : r.rss;
      }
    }
  }
  return rss;
}

export function toArenaSnapshot(a: NativeArena, regions: Region[], heapMaxSize: number): ArenaSnapshot {
  return {
    address: a.address,
    main: a.main,
    heaps: a.heaps.map((h) => ({ start: h.start, size: h.size, mprotectSize: h.mprotectSize, reserved: a.main ? h.reserved : heapMaxSize })),
    systemMem: a.systemMem,
    maxSystemMem: a.maxSystemMem,
    attachedThreads: a.attachedThreads,
    listsReadBy: a.listsReadBy,
    top: a.top,
    lastRemainder: a.lastRemainder,
    inUse: a.inUse,
    internal: a.internal,
    // The walker reads no fastbins where the layout has none (2.43+): absent, not empty.
    free: { ...a.free, fastbins: a.listsReadBy.fastbins === 'none' ? null : a.free.fastbins },
    overhead: a.overhead,
    rss: arenaRss(a, regions),
    identityHolds: a.identityHolds,
    approximate: a.approximate,
    locked: a.mutex !== 0,
    anomalies: anomaliesOf(a),
    ...(a.residency ? { residency: a.residency } : {}),
    ...(a.heapMap ? { heapMap: { cellBytes: a.heapMap.cellBytes, bytes: new Float64Array(a.heapMap.bytes.buffer.slice(a.heapMap.bytes.byteOffset, a.heapMap.bytes.byteOffset + a.heapMap.bytes.byteLength)) } } : {}),
    ...(a.bins ? { bins: a.bins } : {}),
    ...(a.histogram ? { histogram: a.histogram } : {}),
    tcaches: a.tcaches.map((t) => ({ address: t.address, chunks: t.chunks, bytes: t.bytes, mmapped: { chunks: t.mmapped.chunks, bytes: t.mmapped.bytes } })),
  };
}

export function freeBytes(a: ArenaSnapshot): number {
  const f = a.free;
  return (f.fastbins?.bytes ?? 0) + f.unsorted.bytes + f.smallbins.bytes + f.largebins.bytes + f.tcache.bytes;
}

export function freeChunks(a: ArenaSnapshot): number {
  const f = a.free;
  return (f.fastbins?.chunks ?? 0) + f.unsorted.chunks + f.smallbins.chunks + f.largebins.chunks + f.tcache.chunks;
}

export function totalsOf(arenas: ArenaSnapshot[]): ArenaTotals {
  const t: ArenaTotals = { arenas: arenas.length, heaps: 0, reserved: 0, resident: 0, systemMem: 0, inUse: { chunks: 0, bytes: 0 }, free: { chunks: 0, bytes: 0 }, top: 0, overhead: 0 };
  for (const a of arenas) {
    t.heaps += a.heaps.length;
    t.reserved += a.heaps.reduce((s, h) => s + h.reserved, 0);
    t.resident += a.rss;
    t.systemMem += a.systemMem;
    t.inUse.chunks += a.inUse.chunks + a.internal.chunks;
    t.inUse.bytes += a.inUse.bytes + a.internal.bytes;
    t.free.chunks += freeChunks(a);
    t.free.bytes += freeBytes(a);
    t.top += a.top.size;
    t.overhead += a.overhead;
  }
  return t;
}
