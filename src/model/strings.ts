import type { ReadSummary } from './snapshot.js';

// What a string scan is asked to look at, and what it returns (the JSON of
// `arenascope strings --json`, with addresses as numbers until the edge).

export type StringSelection =
  | { kind: 'default' } // every arena heap and the main heap
  | { kind: 'range'; start: number; end: number }
  | { kind: 'region'; address: number } // the mapping containing address
  | { kind: 'arena'; address: number } // one arena's heaps
  | { kind: 'arenas' } // all arenas' heaps
  | { kind: 'suspicious'; top: number }; // arena heaps holding the most resident memory (or growth)

export type ChunkFilter = 'all' | 'live' | 'free';
export type StringEncoding = 'ascii' | 'utf16le' | 'both';

export interface StringScanOptions {
  minLength: number;
  encoding: StringEncoding;
  top: number;
  samples: number;
  grep?: string;
  filter: ChunkFilter;
  redact: boolean;
  /** Read swapped-out pages (swapping them in); by default they are not read. */
  readSwapped?: boolean;
}

export const defaultStringScanOptions: StringScanOptions = {
  minLength: 6,
  encoding: 'both',
  top: 20,
  samples: 20,
  filter: 'all',
  redact: false,
};

export interface StringCount {
  text: string;
  count: number;
  bytes: number;
}

export interface StringSample {
  address: number;
  text: string;
  length: number;
  chunk: { start: number; size: number; inUse: boolean } | null;
  arena: number | null;
}

export interface StringScanResult {
  pid: number;
  /** Pages the scan (and its arena walk) spared the target. */
  reads: ReadSummary;
  scanned: { ranges: Array<{ start: number; end: number }>; bytes: number };
  stringsFound: number;
  approximate: boolean;
  strings: StringCount[];
  samples: StringSample[];
  bySizeClass: Array<{ chunkSize: number; stringBytes: number }>;
  durationMs: number;
}
