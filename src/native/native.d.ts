// The typed surface of the C++ addon (build/Release/arenascope.node). This is
// the only description of the boundary; src/native/loader.ts is the only place
// that treats the addon as untyped.

export interface NativeHole {
  start: number;
  end: number;
}

export interface NativeReadResult {
  data: Buffer;
  holes: NativeHole[];
  bytesRead: number;
}

export interface NativeSourceDescription {
  description: string;
  kind: 'process' | 'image';
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
  fromImage(segments: NativeImageSegment[]): NativeMemorySource;
  fromFile(path: string, address: number): NativeMemorySource;
}

export interface NativeDumpResult {
  bytesRead: number;
  bytesWritten: number;
  holes: NativeHole[];
  sha256: string;
  /** Time the reader spent reading the range (a --freeze spans this plus stop and resume). */
  readNs: number;
}

export interface NativeFreezeResult {
  threads: number;
  stopped: number;
  freezeNs: number;
}

export interface NativeThawResult {
  stoppedNs: number;
}

export interface NativeAddon {
  MemorySource: NativeMemorySourceStatic;
  dumpRange(
    source: NativeMemorySource,
    start: number,
    end: number,
    fd: number,
    /** Called with the latest byte count, and once with readComplete = true when every byte has been read (writing may go on). */
    onProgress?: (bytesDone: number, holeBytes: number, readComplete: boolean) => void,
  ): Promise<NativeDumpResult>;
  freeze(pid: number, timeoutMs?: number): NativeFreezeResult;
  thaw(pid: number): NativeThawResult | null;
  thawAll(): number;
}

// ---- glibc malloc walker (native/ptmalloc, native/binding/arenas_binding.cc)

/** Struct offsets for one glibc version; see src/glibc/layouts.ts. */
export type NativeMallocLayout = Record<string, number>;

export interface NativeWalkOptions {
  mainArena: number;
  mp: number;
  heapMaxSize: number;
  globalMaxFast?: number;
  withBins?: boolean;
  withHistogram?: boolean;
  withChunks?: boolean;
  withTcacheDetail?: boolean;
  maxArenas?: number;
  maxChunksPerHeap?: number;
  tcacheStructs?: number[];
}

export interface NativeChunkTotals {
  chunks: number;
  bytes: number;
}

export interface NativeAnomaly {
  kind: string;
  address: number;
  detail: string;
}

export interface NativeArena {
  address: number;
  main: boolean;
  mutex: number;
  flags: number;
  next: number;
  nextFree: number;
  attachedThreads: number | null;
  heaps: Array<{ start: number; size: number; mprotectSize: number; reserved: number; firstChunk: number; chunksWalked: number }>;
  systemMem: number;
  maxSystemMem: number;
  top: { address: number; size: number };
  lastRemainder: number;
  inUse: NativeChunkTotals;
  internal: NativeChunkTotals;
  free: {
    fastbins: NativeChunkTotals;
    unsorted: NativeChunkTotals;
    smallbins: NativeChunkTotals;
    largebins: NativeChunkTotals;
    tcache: NativeChunkTotals;
  };
  overhead: number;
  accountedBytes: number;
  identityHolds: boolean;
  bins?: Array<{ kind: 'fast' | 'unsorted' | 'small' | 'large'; index: number; chunks: number; bytes: number; minSize: number; maxSize: number; rawSizeSum: number }>;
  tcaches?: Array<{ address: number; chunks: number; bytes: number; counts?: number[] }>;
  histogram?: Array<{ size: number; inUseChunks: number; inUseBytes: number; freeChunks: number; freeBytes: number }>;
  anomalies: NativeAnomaly[];
  approximate: boolean;
}

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
  hpPagesize: number;
  thpPagesize: number;
  tcacheBins: number;
  tcacheMaxBytes: number;
  tcacheCount: number;
  tcacheUnsortedLimit: number;
}

export interface NativeWalkResult {
  mp: NativeMallocPar;
  arenas: NativeArena[];
  /** Packed 24-byte records: u64 start, u64 size, u32 arenaIndex, u8 state, 3 pad; sorted by start. */
  chunkTable?: Buffer;
  anomalies: NativeAnomaly[];
  readBytes: number;
}

export interface NativeAddon {
  walkArenas(source: NativeMemorySource, layout: NativeMallocLayout, options: NativeWalkOptions): Promise<NativeWalkResult>;
  scanForMainArena(source: NativeMemorySource, start: number, end: number, layout: NativeMallocLayout, heapMaxSize: number): Promise<Array<{ address: number; score: number }>>;
}

// ---- string scanner (native/strings, native/binding/strings_binding.cc)

export interface NativeStringScanOptions {
  minLength: number;
  encoding: 'ascii' | 'utf16le' | 'both';
  top: number;
  samples: number;
  maxDistinct?: number;
  grep?: string;
  /** Packed chunk table from walkArenas (24-byte records). */
  chunkTable?: Buffer;
  chunkFilter?: 'all' | 'live' | 'free';
}

export interface NativeStringScanResult {
  bytesScanned: number;
  holeBytes: number;
  stringsFound: number;
  distinct: number;
  approximate: boolean;
  strings: Array<{ text: string; count: number; bytes: number; encoding: 'ascii' | 'utf16le' }>;
  samples: Array<{ address: number; text: string; length: number; encoding: 'ascii' | 'utf16le'; chunkIndex: number }>;
  bySizeClass: Array<{ chunkSize: number; stringBytes: number }>;
}

export interface NativeAddon {
  scanStrings(
    source: NativeMemorySource,
    ranges: Array<{ start: number; end: number }>,
    options: NativeStringScanOptions,
    onProgress?: (bytesDone: number, bytesTotal: number) => void,
  ): Promise<NativeStringScanResult>;
}
