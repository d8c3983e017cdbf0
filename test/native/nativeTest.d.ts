// The typed face of the test addon (binding.gyp target arenascope_test,
// native/testing/testing.h): every production entry point (native.d.ts) plus
// the test-only ones below. Checked like native.d.ts by
// test/native/addon-shape.test.ts. A MemorySource made by one addon works only
// with that addon's functions (each holds its own class).
import type { NativeAddon, NativeErrorCode, NativeImageSegment, NativeMallocLayout, NativeMemorySource, NativeResidency } from '../../src/native/native.js';

/** What failingSource's reads throw: std::bad_alloc, std::runtime_error, an int, or a SourceError with that code. */
export type NativeFailureKind = 'bad_alloc' | 'exception' | 'non-exception' | NativeErrorCode;

/** A chunk's class for spanResidency: in use, glibc-internal, in a bin, fastbin, tcache, free on no list, top. */
export type SpanChunkClass = 'in-use' | 'internal' | 'bin' | 'fast' | 'tcache' | 'unlisted' | 'top';

export interface NativeSpanResidencyInput {
  rangeStart: number;
  rangeEnd: number;
  /** Page indices (from rangeStart) neither present nor swapped; the rest are present. */
  absent: number[];
  swapped: number[];
  chunks: Array<{ start: number; end: number; cls: SpanChunkClass }>;
  thpPagesize: number;
  pad: number;
  consolidateFastbins: boolean;
  /** The span's top is the main arena's and ends at the break. */
  mainTopTrims: boolean;
}

export interface NativeMallocParCandidate {
  address: number;
  /** Higher is more likely; candidates come best first. */
  score: number;
}

export interface NativeHeapInfo {
  /** heap_info.ar_ptr: the arena owning the heap. */
  arPtr: number;
  /** The previous heap of that arena, 0 for its first. */
  prev: number;
  size: number;
  mprotectSize: number;
  /** heap_info.pagesize, null before glibc 2.35 (no such field). */
  pagesize: number | null;
}

export interface NativeTestAddon extends NativeAddon {
  /** Scans [start, end) (at most 64 MiB) for malloc_par images. */
  scanForMallocPar(source: NativeMemorySource, start: number, end: number, layout: NativeMallocLayout): Promise<NativeMallocParCandidate[]>;
  /** null when the heap_info at address is not fully readable. */
  readHeapInfo(source: NativeMemorySource, address: number, layout: NativeMallocLayout): NativeHeapInfo | null;
  /** The C++ layout table (native/ptmalloc/known_layouts.cc, from layouts_table.h), by release range 2.<from>..2.<to>; sources: its rows' sources. */
  knownMallocLayouts(): Array<{ name: string; from: number; to: number; sources: string[]; layout: NativeMallocLayout }>;
  /** A source whose every read throws (native/testing/testing_failures.cc). */
  failingSource(kind: NativeFailureKind): NativeMemorySource;
  /** Reads from `before` until `reads` reads started at `address`, then from `after` (native/testing/testing_sources.cc): a heap that moves between two reads of an arena. */
  changingImage(before: NativeImageSegment[], after: NativeImageSegment[], address: number, reads: number): NativeMemorySource;
  /** The residency join of one span on its own (native/testing/testing_residency.cc). */
  spanResidency(input: NativeSpanResidencyInput): NativeResidency;
  /** Every code the addon's errors can carry, in native/memory/error_code.h order. */
  errorCodes(): string[];
  /** Sanitizer builds only: LeakSanitizer's check now; nonzero when it reported leaks. */
  leakCheck?: () => number;
}
