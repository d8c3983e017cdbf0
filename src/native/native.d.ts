// The typed surface of the C++ addon (build/Release/arenascope.node). This is
// the only description of the boundary; src/native/loader.ts is the only place
// that treats the addon as untyped.
//
// It is exact, and checked: test/native/addon-shape.test.ts calls every
// function below on a real target (and on a memory image where one is needed)
// and compares the keys, nullability and primitive types of what comes back,
// recursively, with the declarations here (read with the TypeScript compiler).
// A field the addon returns but this file does not declare, a declared field
// never returned, or a null where the type has none fails that test. Options
// (the arguments) are not returned values; they say what TypeScript passes.
//
// Errors: every function throws or rejects with an Error carrying `code`
// (NativeErrorCode) and `errno`; src/errors.ts turns it into ArenascopeError.

/**
 * The codes the addon's errors carry (native/memory/error_code.h). Each is an
 * ErrorCode of src/errors.ts with its own exit code; test/native/error-codes.test.ts
 * compares this list with the addon's and with errors.ts.
 */
export type NativeErrorCode = 'EINVAL' | 'ESRCH' | 'EPERM' | 'EACCES' | 'EIO' | 'ENOSPC' | 'EDQUOT' | 'EBUSY' | 'ENOMEM' | 'ECANCELED' | 'EINTERNAL';

export interface NativeHole {
  start: number;
  /** Exclusive. */
  end: number;
}

export interface NativeReadResult {
  /** length bytes; unreadable pages read as zeros. */
  data: Buffer;
  /** Unreadable page ranges, ascending, merged. */
  holes: NativeHole[];
  /** Bytes actually read (length minus the holes). */
  bytesRead: number;
}

export interface NativeSourceDescription {
  /** "pid 1234" or "memory image". */
  description: string;
  kind: 'process' | 'image';
  /** Live processes only: the transport that answered the last read. */
  transport?: 'process_vm_readv' | 'proc-mem';
}

export interface NativeImageSegment {
  address: number;
  data: Buffer;
}

/**
 * What a source chose not to read, cumulative over its life (native/memory/page_gate.h).
 * A live source reads no page that is neither present nor swapped in a private
 * anonymous mapping (it is zeros, and reading it could make it resident), and
 * no swapped-out page unless created with readSwapped.
 */
export interface NativeReadCounters {
  /** Non-resident anonymous pages returned as zeros without reading them. */
  zeroBytes: number;
  /** Swapped-out pages not read: holes in what was returned. */
  swappedBytes: number;
  /** False when /proc/PID/pagemap could not be read and pages were read unchecked (always false for an image). */
  pagemapUsed: boolean;
}

/** A handle on a native MemorySource (live process or in-memory image). */
export interface NativeMemorySource {
  /** Synchronous read of at most 16 MiB; unreadable pages read as zeros and are listed in holes. */
  read(address: number, length: number): NativeReadResult;
  /** The same off the JS thread, at most 256 MiB. */
  readAsync(address: number, length: number): Promise<NativeReadResult>;
  describe(): NativeSourceDescription;
  counters(): NativeReadCounters;
}

export interface NativeMemorySourceStatic {
  forProcess(pid: number, options?: { readSwapped?: boolean }): NativeMemorySource;
  /** Segments are copied; a later segment replaces earlier bytes where they overlap. */
  fromImage(segments: NativeImageSegment[]): NativeMemorySource;
  /** The whole file as one segment at address. */
  fromFile(path: string, address: number): NativeMemorySource;
}

export interface NativeDumpResult {
  bytesRead: number;
  /** end - start: holes are written as zeros. */
  bytesWritten: number;
  holes: NativeHole[];
  /** sha256 of the bytes written, lowercase hex. */
  sha256: string;
  /** Time the reader spent reading the range (a --freeze spans this plus stop and resume). */
  readNs: number;
}

export interface NativeFreezeResult {
  /** Threads seized. */
  threads: number;
  /** Of those, threads that reported their stop before the timeout. */
  stopped: number;
  freezeNs: number;
}

export interface NativeThawResult {
  /** From the first interrupt to the detach. */
  stoppedNs: number;
}

export interface NativeAddon {
  MemorySource: NativeMemorySourceStatic;
  CancelToken: NativeCancelTokenStatic;
  dumpRange(
    source: NativeMemorySource,
    start: number,
    end: number,
    fd: number,
    /** Called with the latest byte count, and once with readComplete = true (and 0, 0) when every byte has been read (writing may go on). */
    onProgress?: (bytesDone: number, holeBytes: number, readComplete: boolean) => void,
  ): Promise<NativeDumpResult>;
  freeze(pid: number, timeoutMs?: number): NativeFreezeResult;
  /** null when pid is not frozen by this process. */
  thaw(pid: number): NativeThawResult | null;
  /** Thaws every frozen process; returns how many there were. */
  thawAll(): number;
}

// ---- glibc malloc walker (native/ptmalloc, native/binding/arenas_binding.cc)

/** Struct offsets for one glibc version; see src/glibc/layouts.ts (-1 = field absent). */
export type NativeMallocLayout = Record<string, number>;

/** A native job's cancel flag (native/binding/cancel_token_js.h): cancel() makes the job reject with ECANCELED. */
export interface NativeCancelToken {
  cancel(): void;
  readonly canceled: boolean;
}

export interface NativeCancelTokenStatic {
  new (): NativeCancelToken;
}

/** Page residency joined with the walk, and malloc_trim(0)'s estimate (native/ptmalloc/residency.h). */
export interface NativeResidencyOptions {
  /** [heap] of the process (0 when none): the main arena's residency covers it whole. */
  brkStart: number;
  brkEnd: number;
  /** mp_.thp_pagesize: systrim rounds to it when set (a power of two, or 0). */
  thpPagesize: number;
  /** malloc_trim's argument. */
  pad: number;
  /** Up to glibc 2.42 mtrim consolidates fastbins first. */
  consolidateFastbins: boolean;
}

export interface NativeWalkOptions {
  mainArena: number;
  mp: number;
  /** heap_max of thread-arena heaps; 0 or absent: derived from mp_ (64 MiB, or 4 x hp_pagesize on 2.35-2.41). */
  heapMaxSize?: number;
  /** Address of global_max_fast when known (debug symbols): bounds fastbin sizes. */
  globalMaxFast?: number;
  /** Adds NativeArena.bins. */
  withBins?: boolean;
  /** Adds NativeArena.histogram. */
  withHistogram?: boolean;
  /** Adds NativeWalkResult.chunkMap: chunk starts and states, 2 bits per 16 bytes of heap. */
  chunkMap?: boolean;
  /** Adds NativeArena.residency. */
  residency?: NativeResidencyOptions;
  /** Adds NativeArena.heapMap to the arena at this address, in `cells` cells (1..65536). */
  heapMap?: { arena: number; cells: number };
  /** Streams every chunk to this file descriptor as NDJSON lines (one arena: its address; 0 or absent: all); adds NativeWalkResult.listed. */
  listChunks?: { fd: number; arena?: number };
  /** Walk an arena whose walk found anomalies again, and keep only what both walks saw (default true; off when the target is frozen). */
  confirm?: boolean;
  cancel?: NativeCancelToken;
  /** Adds counts to each NativeArena.tcaches entry. */
  withTcacheDetail?: boolean;
  /** Ring length bound, 1..2^20 (default 4096). */
  maxArenas?: number;
  /** Chunks walked per heap before giving up on it (default 2^27). */
  maxChunksPerHeap?: number;
  /** User pointers of known tcache_perthread_structs. */
  tcacheStructs?: number[];
}

export interface NativeChunkTotals {
  chunks: number;
  bytes: number;
}

export interface NativeAnomaly {
  /** A kebab-case name (native/ptmalloc/README.md lists them). */
  kind: string;
  address: number;
  detail: string;
}

export interface NativeAnomalyCount {
  kind: string;
  count: number;
  /** The kind follows from another anomaly (a chunk the walk never reached, a bin check after a broken size). */
  consequence: boolean;
}

/** Anomalies: a few examples per kind and every one counted, root causes first (native/ptmalloc/anomaly_log.h). */
export interface NativeAnomalies {
  anomalies: NativeAnomaly[];
  anomalyCounts: NativeAnomalyCount[];
  anomalyTotal: number;
}

export interface NativeReclaimable {
  /** Resident bytes in bin chunks mtrim would release (MADV_DONTNEED). */
  bins: number;
  /** Resident bytes systrim would cut off the main arena's top. */
  top: number;
  total: number;
  /** Free chunks (after consolidation) that would release a resident page. */
  chunks: number;
}

/** An arena's resident pages by class, joined with the walk (they add up to resident). */
export interface NativeResidency {
  resident: number;
  inUse: number;
  free: number;
  overhead: number;
  /** Resident pages wholly inside the top chunk (part of free). */
  top: number;
  swapped: number;
  /** Free chunks other than top: residentBytes counts their bytes on resident pages. */
  freeChunks: { count: number; bytes: number; residentBytes: number };
  /** Free chunks too small to hold a page past their header: never trimmed. */
  smallFreeChunks: { count: number; bytes: number };
  reclaimable: NativeReclaimable;
  /** Without fastbin consolidation: the conservative bound. */
  reclaimableWithoutConsolidation: NativeReclaimable;
}

export interface NativeHeap {
  /** heap_info address (main arena: first byte of the segment). */
  start: number;
  /** heap_info.size (main: segment length). */
  size: number;
  mprotectSize: number;
  /** heap_max (main: = size). */
  reserved: number;
  firstChunk: number;
  chunksWalked: number;
}

export interface NativeBin {
  kind: 'fast' | 'unsorted' | 'small' | 'large';
  index: number;
  chunks: number;
  bytes: number;
  minSize: number;
  maxSize: number;
  /** Size fields with their flag bits, summed: malloc_info's bin total. */
  rawSizeSum: number;
  /** Smallest and largest size field with flag bits (malloc_info's from/to). */
  minRawSize: number;
  maxRawSize: number;
}

export interface NativeTcache {
  /** User pointer of the tcache_perthread_struct. */
  address: number;
  /** How it was found: first chunk of a thread heap, sbrk base of main, a caller's hint, or the scan. */
  foundBy: 'first-chunk' | 'sbrk-base' | 'hint' | 'scan';
  /** Every chunk it holds. */
  chunks: number;
  bytes: number;
  /** Of those, mmapped chunks (glibc 2.43+ free() tcaches them): in their own mappings, in no arena. */
  mmapped: NativeChunkTotals;
  /** Entries per tcache bin; withTcacheDetail only. */
  counts?: number[];
}

export interface NativeSizeClass {
  /** Chunk size, header included. */
  size: number;
  inUseChunks: number;
  inUseBytes: number;
  freeChunks: number;
  freeBytes: number;
}

/**
 * fastbins: "none" (the layout has none), "inferred" (members told by their safe-linked fd and
 * proved by hash), "walked" (node by node). unsorted: "walked" (the list), or "remainder" (the free
 * chunks the small and large bins, walked instead as the shorter side, did not name).
 */
export interface ListsReadBy {
  fastbins: 'none' | 'inferred' | 'walked';
  unsorted: 'walked' | 'remainder';
}

export interface NativeArena extends NativeAnomalies {
  address: number;
  main: boolean;
  /** malloc_state.mutex: 0 free, 1 taken, 2 contended. */
  mutex: number;
  flags: number;
  next: number;
  nextFree: number;
  /** null where the glibc version has no attached_threads. */
  attachedThreads: number | null;
  /** How the free lists were read (native/ptmalloc/free_lists.cc). */
  listsReadBy: ListsReadBy;
  heaps: NativeHeap[];
  systemMem: number;
  maxSystemMem: number;
  top: { address: number; size: number };
  lastRemainder: number;
  inUse: NativeChunkTotals;
  /** glibc-internal in-use chunks (tcache_perthread_struct). */
  internal: NativeChunkTotals;
  free: {
    fastbins: NativeChunkTotals;
    unsorted: NativeChunkTotals;
    smallbins: NativeChunkTotals;
    largebins: NativeChunkTotals;
    tcache: NativeChunkTotals;
    /** Free by the next chunk's PREV_INUSE but on no list: a free in progress, or corruption. */
    unlisted: NativeChunkTotals;
  };
  overhead: number;
  /** inUse + internal + free + top + overhead, to compare with systemMem. */
  accountedBytes: number;
  identityHolds: boolean;
  /** withBins only: every non-empty bin. */
  bins?: NativeBin[];
  tcaches: NativeTcache[];
  /** withHistogram only: chunks by size. */
  histogram?: NativeSizeClass[];
  /** The arena's lock was held, its state moved during the walk, or a read was torn. */
  approximate: boolean;
  /** Seen by one of two reads of the arena only: the heap moved under the walk, not corruption. */
  torn: { total: number; counts: NativeAnomalyCount[] };
  /** options.residency only (null otherwise, or when pagemap could not be read). */
  residency: NativeResidency | null;
  /** options.heapMap's arena only: used, free and top bytes of each cell as little-endian doubles. */
  heapMap?: { cellBytes: number; bytes: Buffer };
}

/** malloc_par (mp_); a field the glibc version lacks is null. */
export interface NativeMallocPar {
  trimThreshold: number;
  topPad: number;
  mmapThreshold: number;
  arenaTest: number;
  arenaMax: number;
  noDynThreshold: number;
  nMmaps: number;
  nMmapsMax: number;
  maxNMmaps: number;
  mmappedMem: number;
  maxMmappedMem: number;
  sbrkBase: number;
  hpPagesize: number | null;
  thpPagesize: number | null;
  hpFlags: number | null;
  maxTotalMem: number | null;
  tcacheBins: number | null;
  tcacheMaxBytes: number | null;
  tcacheCount: number | null;
  tcacheUnsortedLimit: number | null;
}

/** Chunk starts and states: 2 bits per 16-byte granule of each span, spans one after the other (native/ptmalloc/chunk_map.h). */
export interface NativeChunkMap {
  /**
   * firstWord: where the span's words start in bits (the walker sets it; absent, spans lie end to end).
   * words: 64-bit words of bits the span has, up to its last mark (granules past them are unmarked).
   */
  spans: Array<{ start: number; end: number; arena: number; firstWord?: number; words: number }>;
  /** Two bits per 16-byte granule (native/ptmalloc/chunk_map.h); the walker's own memory, never copied. */
  bits: Buffer;
}

export interface NativeWalkResult extends NativeAnomalies {
  /** Tcache problems one of two reads saw only (options.confirm): threads moving entries, not corruption. */
  torn: { total: number; counts: NativeAnomalyCount[] };
  /** null when mp_ could not be read at the given address (an "mp-unreadable" anomaly says so). */
  mp: NativeMallocPar | null;
  /** The heap_max the walk used (the option, or derived from mp_). */
  heapMaxSize: number;
  /** The next ring came back to main_arena within maxArenas. */
  ringClosed: boolean;
  arenas: NativeArena[];
  /** options.chunkMap only. */
  chunkMap?: NativeChunkMap;
  /** options.listChunks only: lines written, and errno of the first failed write (EPIPE: the reader went away). */
  listed?: { chunks: number; writeError: number };
  /** Bytes read from the source. */
  readBytes: number;
  /** The most the walk's own buffers, maps and caches held: what must not grow with the chunk count. */
  memoryBytes: number;
  /** Some arena is approximate. */
  approximate: boolean;
}

export interface NativeMainArenaCandidate {
  address: number;
  /** Higher is more likely; candidates come best first. */
  score: number;
  /** Arenas in the next ring, main included. */
  ringLength: number;
  /** Bins self-pointing: malloc_init_state ran. */
  initialized: boolean;
  nonEmptyBins: number;
  /** Non-empty bins whose first and last chunk link back to the bin. */
  verifiedBins: number;
  top: number;
  systemMem: number;
}

export interface NativeAddon {
  walkArenas(source: NativeMemorySource, layout: NativeMallocLayout, options: NativeWalkOptions): Promise<NativeWalkResult>;
  /** Scans [start, end) (at most 64 MiB: libc's .data and .bss) for main_arena images. */
  scanForMainArena(source: NativeMemorySource, start: number, end: number, layout: NativeMallocLayout, heapMaxSize?: number): Promise<NativeMainArenaCandidate[]>;
}

// ---- string scanner (native/strings, native/binding/strings_binding.cc)

export interface NativeStringScanOptions {
  /** Shortest string counted, in characters (default 6). */
  minLength: number;
  encoding: 'ascii' | 'utf16le' | 'both';
  /** Most frequent strings returned (default 50). */
  top: number;
  /** Sample occurrences returned, with addresses (default 20). */
  samples: number;
  /** Distinct strings the histogram keeps (default 200000). */
  maxDistinct?: number;
  /** Bytes of string text the histogram keeps (default 32 MiB, 1 MiB..1 GiB). */
  maxDistinctBytes?: number;
  /** Bytes read per block, a power of two (default 1 MiB). */
  blockSize?: number;
  /** ECMAScript regular expression (no back-references) a string must match. */
  grep?: string;
  grepIgnoreCase?: boolean;
  /** walkArenas' chunk map: names each string's chunk and arena; needed by chunkFilter live/free. */
  chunkMap?: NativeChunkMap;
  chunkFilter?: 'all' | 'live' | 'free';
  cancel?: NativeCancelToken;
}

export interface NativeStringCount {
  /** At most 4096 characters (truncated says when cut). */
  text: string;
  count: number;
  /** Upper bound of the overcount once the histogram evicted entries (0 when exact). */
  countError: number;
  /** Memory bytes of those strings, full lengths. */
  bytes: number;
  encoding: 'ascii' | 'utf16le';
  truncated: boolean;
}

export interface NativeStringSample {
  address: number;
  text: string;
  /** Length in characters, full. */
  length: number;
  encoding: 'ascii' | 'utf16le';
  /** The chunk holding it (from the chunk map); null without one or outside every chunk. */
  chunk: { start: number; size: number; state: 'live' | 'free' | 'internal' } | null;
  /** That chunk's arena index, -1 when unknown. */
  arenaIndex: number;
}

export interface NativeStringScanResult {
  /** Bytes in the scanned ranges. */
  bytesTotal: number;
  /** Of those, readable and scanned. */
  bytesScanned: number;
  /** Of those, unreadable. */
  holeBytes: number;
  /** Strings counted (after minLength, grep and the chunk filter). */
  stringsFound: number;
  /** Their memory bytes, full lengths. */
  stringBytes: number;
  /** Distinct strings seen (estimated once the histogram evicts). */
  distinct: number;
  /** The histogram evicted: counts are bounds (countError). */
  approximate: boolean;
  evictedCountBound: number;
  grepRejected: number;
  /** Distinct texts grep judged. */
  grepEvaluations: number;
  /** Of those, judged by the regex engine (not settled by a literal search). */
  grepRegexRuns: number;
  /** The engine grep used; '' without grep. */
  grepEngine: '' | 'literal' | 'dfa' | 'std::regex';
  /** With a chunkMap only: string bytes in no chunk of the map. */
  unattributedBytes?: number;
  /** The histogram's own size and budget. */
  histogram: { entries: number; capacity: number; keyBytes: number; keyByteBudget: number; memoryBytes: number };
  strings: NativeStringCount[];
  samples: NativeStringSample[];
  /** By chunk size, ascending (with a chunkMap; otherwise empty). */
  bySizeClass: Array<{ chunkSize: number; stringBytes: number; strings: number }>;
  /** By arena index, ascending (with a chunkMap; otherwise empty). */
  byArena: Array<{ arenaIndex: number; stringBytes: number; strings: number }>;
}

export interface NativeAddon {
  scanStrings(
    source: NativeMemorySource,
    ranges: Array<{ start: number; end: number }>,
    options: NativeStringScanOptions,
    onProgress?: (bytesDone: number, bytesTotal: number) => void,
  ): Promise<NativeStringScanResult>;
}
