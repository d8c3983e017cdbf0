// The data model every consumer shares: commands print it, the report
// analyses it, the TUI renders it. Addresses and sizes are numbers here;
// JSON output turns addresses into "0x..." strings at the edge.
import type { MallocDiscovery } from '../glibc/discover.js';
import type { FreezeReport } from '../session/freeze.js';
import type { Region, RegionKind } from '../regions/kinds.js';
import type { ProcessStatus } from '../proc/status.js';
import type { ThreadInfo } from '../proc/threads.js';

export interface ChunkTotals {
  chunks: number;
  bytes: number;
}

export interface FreeLists {
  /** null where the glibc has no fastbins (2.43+: malloc_state lost fastbinsY, malloc.c), not zero. */
  fastbins: ChunkTotals | null;
  unsorted: ChunkTotals;
  smallbins: ChunkTotals;
  largebins: ChunkTotals;
  tcache: ChunkTotals;
  /** Free by the next chunk's PREV_INUSE but on no list: a free in progress, or corruption. */
  unlisted: ChunkTotals;
}

export interface HeapSnapshot {
  start: number;
  /** heap_info.size (bytes in use by the heap, page multiple). */
  size: number;
  mprotectSize: number;
  /** Bytes reserved for the heap (heap_max for thread-arena heaps; the brk extent for main). */
  reserved: number;
}

export interface Anomaly {
  kind: string;
  address: number | null;
  detail: string;
}

export interface AnomalyCount {
  kind: string;
  count: number;
  /** Follows from another anomaly (a chunk the walk never reached after a broken size, a bin check). */
  consequence: boolean;
}

/**
 * What a walk found inconsistent: every anomaly counted by kind, a few
 * examples of each, root causes before what follows from them. On a live
 * target an arena with anomalies is read twice: what only one read saw was
 * the heap moving (torn reads), not corruption, and is counted apart.
 */
export interface AnomalySummary {
  examples: Anomaly[];
  counts: AnomalyCount[];
  total: number;
  torn: { total: number; counts: AnomalyCount[] };
}

/** An arena's resident pages by class, joined with the walk page by page (they add up to resident). */
export interface ArenaResidencyTotals {
  resident: number;
  inUse: number;
  free: number;
  overhead: number;
  /** Resident pages wholly inside the top chunk (part of free). */
  top: number;
  swapped: number;
  /** Free chunks other than top; residentBytes: their bytes on resident pages. */
  freeChunks: { count: number; bytes: number; residentBytes: number };
  /** Free chunks too small to hold a page past their 0x30-byte header: malloc_trim never releases them. */
  smallFreeChunks: { count: number; bytes: number };
  /** What malloc_trim(0) would release now (mtrim from bins, systrim from main's top). */
  reclaimable: { bins: number; top: number; total: number; chunks: number };
  /** The same without fastbin consolidation: the conservative bound. */
  reclaimableWithoutConsolidation: { bins: number; top: number; total: number; chunks: number };
}

/** The heap map of one arena: its heaps laid end to end in equal cells; bytes per cell by class. */
export interface HeapMapCells {
  cellBytes: number;
  /** used, free, top bytes of cell 0, then cell 1, ... */
  bytes: Float64Array;
}

export interface BinDetail {
  kind: 'fast' | 'unsorted' | 'small' | 'large';
  index: number;
  chunks: number;
  bytes: number;
  minSize: number;
  maxSize: number;
  /** Sum of the raw size fields, flag bits included: what malloc_info prints as the total of bins 1-127 (for a fastbin it prints `bytes`). */
  rawSizeSum: number;
}

export interface SizeClassRow {
  /** Chunk size (header included). */
  size: number;
  inUseChunks: number;
  inUseBytes: number;
  freeChunks: number;
  freeBytes: number;
}

export interface TcacheSnapshot {
  /** Address of the tcache_perthread_struct (user pointer). */
  address: number;
  /** Every chunk it holds. */
  chunks: number;
  bytes: number;
  /** Of those, mmapped chunks (glibc 2.43+ free() tcaches them): in their own mappings, in no arena's totals. */
  mmapped: ChunkTotals;
}

export interface ArenaSnapshot {
  address: number;
  main: boolean;
  heaps: HeapSnapshot[];
  systemMem: number;
  maxSystemMem: number;
  attachedThreads: number | null;
  /** How the walk read the free lists: members inferred and proved, or walked node by node. */
  listsReadBy: { fastbins: 'none' | 'inferred' | 'walked'; unsorted: 'walked' | 'remainder' };
  top: { address: number; size: number };
  lastRemainder: number;
  inUse: ChunkTotals;
  /** glibc-internal in-use chunks (tcache_perthread_struct). */
  internal: ChunkTotals;
  free: FreeLists;
  overhead: number;
  /** Resident bytes of the arena's heaps (smaps). */
  rss: number;
  /** The accounting identity inUse + internal + free + top + overhead == systemMem held. */
  identityHolds: boolean;
  approximate: boolean;
  /** A thread held the arena's mutex when it was read (malloc_state.mutex != 0): it was mid-malloc or mid-free. */
  locked: boolean;
  anomalies: AnomalySummary;
  /** Page residency joined with the walk (withResidency only). */
  residency?: ArenaResidencyTotals;
  /** The heap map asked for (one arena only). */
  heapMap?: HeapMapCells;
  bins?: BinDetail[];
  histogram?: SizeClassRow[];
  tcaches?: TcacheSnapshot[];
}

export interface MallocParams {
  mmapThreshold: number;
  trimThreshold: number;
  topPad: number;
  arenaMax: number;
  arenaTest: number;
  /** True when glibc raised the mmap threshold itself after freeing a large mmapped chunk. */
  dynamicMmapThreshold: boolean;
  noDynThreshold: boolean;
  mmappedChunks: number;
  mmappedBytes: number;
  tcacheCount: number | null;
  hpPagesize: number | null;
}

export type Allocator =
  | 'glibc'
  | 'glibc-debug'
  | 'jemalloc'
  | 'tcmalloc'
  | 'mimalloc'
  | 'musl'
  | 'static'
  | 'unknown';

export interface AllocatorInfo {
  allocator: Allocator;
  /** What the evidence was: a mapped library path, a symbol, the banner. */
  evidence: string;
  libcPath: string | null;
  glibcVersion: string | null;
}

/**
 * What reading the target spared it: arenascope reads no page that is not
 * resident in a private anonymous mapping (such a page is zeros, and reading it
 * can make it resident), and no swapped-out page unless --read-swapped.
 */
export interface ReadSummary {
  /** Non-resident anonymous bytes taken as zeros without reading them. */
  zeroBytes: number;
  /** Swapped-out bytes not read (unknown content: holes). */
  swappedBytes: number;
  /** False when /proc/PID/pagemap was unreadable: pages were read unchecked. */
  pagemapUsed: boolean;
}

export type LocatedBy = 'debuginfo' | 'file-pattern' | 'live-scan' | 'heap-info-route';

export interface MallocSnapshot {
  pid: number;
  allocator: AllocatorInfo;
  glibcVersion: string;
  /** Name of the struct layout that passed the invariants (src/glibc/layouts.ts). */
  layout: string;
  /**
   * How the layout was chosen: "table", the row of the version's release
   * (generated from its DWARF, or source-derived); "inferred", the version is
   * newer than the table and the layout was inferred from its newest row.
   */
  layoutChosenBy: 'table' | 'inferred';
  locatedBy: LocatedBy;
  mainArena: number;
  mallocPar: number;
  /** heap_max in effect: 64 MiB, or 4 x huge page size under glibc.malloc.hugetlb on 2.35-2.41. */
  heapMaxSize: number;
  /** null when mp_ could not be read (the walker says so in anomalies: mp-unreadable). */
  params: MallocParams | null;
  arenas: ArenaSnapshot[];
  totals: ArenaTotals;
  freeze: FreezeReport | null;
  /** Global anomalies (ring, discovery, tcache structs), besides per-arena ones. */
  anomalies: AnomalySummary;
  /** Pages spared while reading (discovery and walk). */
  reads: ReadSummary;
  /** The most the native walk's own buffers and maps held (bytes): what must not grow with the chunk count. */
  walkMemoryBytes: number;
  takenAt: number;
}

export interface ArenaTotals {
  arenas: number;
  heaps: number;
  reserved: number;
  resident: number;
  systemMem: number;
  inUse: ChunkTotals;
  free: ChunkTotals;
  top: number;
  overhead: number;
}

/** Everything one refresh of the TUI (or one report) needs about a process. */
export interface ProcessSnapshot {
  pid: number;
  takenAt: number;
  comm: string;
  cmdline: string[];
  status: ProcessStatus;
  threads: ThreadInfo[];
  regions: Region[];
  regionSummary: Partial<Record<RegionKind, { count: number; size: number; rss: number }>>;
  /** null when the target does not use glibc malloc (see allocator) or the engine failed (see mallocError). */
  malloc: MallocSnapshot | null;
  allocator: AllocatorInfo;
  mallocError: string | null;
  /** The discovery the malloc read stood on: passed back by a repeating sampler (the TUI) so it is not redone. */
  discovery?: MallocDiscovery;
}
