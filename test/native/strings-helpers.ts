// Shared by the strings*.test.ts files: the addon, an independent naive
// reference scanner (byte by byte, no blocks, no SIMD) to compare against,
// and a chunk-table packer in the arena walker's record format.
import { addon } from './rawAddon.js';

export { addon };

export type Encoding = 'ascii' | 'utf16le';

export interface ScanResult {
  bytesTotal: number;
  bytesScanned: number;
  holeBytes: number;
  stringsFound: number;
  stringBytes: number;
  distinct: number;
  approximate: boolean;
  evictedCountBound: number;
  grepRejected: number;
  grepEvaluations: number;
  grepRegexRuns: number;
  grepEngine: '' | 'literal' | 'dfa' | 'std::regex';
  unattributedBytes?: number;
  histogram: { entries: number; capacity: number; keyBytes: number; keyByteBudget: number; memoryBytes: number };
  strings: { text: string; count: number; countError: number; bytes: number; encoding: Encoding; truncated: boolean }[];
  samples: { address: number; text: string; length: number; encoding: Encoding; chunk: { start: number; size: number; state: string } | null; arenaIndex: number }[];
  bySizeClass: { chunkSize: number; stringBytes: number; strings: number }[];
  byArena: { arenaIndex: number; stringBytes: number; strings: number }[];
}

export interface Segment {
  address: number;
  data: Buffer;
}

export function imageSource(segments: Segment[]): unknown {
  return addon.MemorySource.fromImage(segments);
}

export function scan(
  source: unknown,
  ranges: { start: number; end: number }[],
  options: Record<string, unknown> = {},
  onProgress?: (done: number, total: number) => void,
): Promise<ScanResult> {
  return addon.scanStrings(source, ranges, options, onProgress);
}

export interface RefRun {
  address: number;
  text: string; // first 4096 characters
  length: number; // characters
  encoding: Encoding;
}

const KEPT = 4096;

function printable(c: number): boolean {
  return (c >= 0x20 && c <= 0x7e) || c === 0x09;
}

// Runs inside one contiguous readable stretch [address, address+data.length).
export function referenceRuns(address: number, data: Buffer, minLength: number, encoding: Encoding): RefRun[] {
  const out: RefRun[] = [];
  if (encoding === 'ascii') {
    let i = 0;
    while (i < data.length) {
      if (!printable(data[i]!)) {
        i++;
        continue;
      }
      let j = i;
      while (j < data.length && printable(data[j]!)) j++;
      if (j - i >= minLength) {
        out.push({ address: address + i, text: data.toString('latin1', i, Math.min(j, i + KEPT)), length: j - i, encoding });
      }
      i = j;
    }
    return out;
  }
  // UTF-16LE units at even addresses only.
  let i = address % 2 === 0 ? 0 : 1;
  const unitOk = (k: number) => k + 1 < data.length && data[k + 1] === 0 && printable(data[k]!);
  while (i + 1 < data.length) {
    if (!unitOk(i)) {
      i += 2;
      continue;
    }
    let j = i;
    let chars = '';
    while (unitOk(j)) {
      if (chars.length < KEPT) chars += String.fromCharCode(data[j]!);
      j += 2;
    }
    const length = (j - i) / 2;
    if (length >= minLength) out.push({ address: address + i, text: chars, length, encoding });
    i = j;
  }
  return out;
}

export function countsOf(runs: RefRun[]): Map<string, { count: number; bytes: number }> {
  const m = new Map<string, { count: number; bytes: number }>();
  for (const r of runs) {
    const key = `${r.encoding}\u0000${r.text}`;
    const e = m.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += r.length * (r.encoding === 'utf16le' ? 2 : 1);
    m.set(key, e);
  }
  return m;
}

export function resultCounts(r: ScanResult): Map<string, { count: number; bytes: number }> {
  const m = new Map<string, { count: number; bytes: number }>();
  for (const s of r.strings) m.set(`${s.encoding}\u0000${s.text}`, { count: s.count, bytes: s.bytes });
  return m;
}

/**
 * A chunk map as the walker writes it (native/ptmalloc/chunk_map.h): for each
 * span, 2 bits per 16-byte granule marking where a chunk starts and what it is.
 */
export function packChunkMap(
  spanList: Array<{ start: number; end: number; arena: number }>,
  chunks: Array<{ start: number; mark: number }>,
): { spans: Array<{ start: number; end: number; arena: number; words: number }>; bits: Buffer } {
  // Every span with words for all its granules (the walker stops at its last mark; both are valid).
  const spans = spanList.map((s) => ({ ...s, words: Math.ceil(Math.floor((s.end - s.start) / 16) / 32) }));
  const words = spans.map((s) => s.words);
  const bits = Buffer.alloc(words.reduce((a, w) => a + w, 0) * 8);
  for (const c of chunks) {
    let first = 0;
    const i = spans.findIndex((s, k) => {
      if (c.start >= s.start && c.start < s.end) return true;
      first += words[k]!;
      return false;
    });
    if (i < 0) throw new Error(`chunk 0x${c.start.toString(16)} lies in no span`);
    const g = Math.floor((c.start - spans[i]!.start) / 16);
    const at = (first + Math.floor(g / 32)) * 8;
    bits.writeBigUInt64LE(bits.readBigUInt64LE(at) | (BigInt(c.mark & 3) << BigInt((g % 32) * 2)), at);
  }
  return { spans, bits };
}

// Deterministic test-data generator: xorshift32 (Marsaglia, shifts 13/17/5).
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}
