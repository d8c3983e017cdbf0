// Reads live.tsv: every allocation the oracle target's interposed malloc family has handed
// out and not yet seen freed (see test/targets/lib/alloc_recorder.h).
import fs from 'node:fs';
import path from 'node:path';

export type AllocationKind = 'other' | 'keep' | 'guard' | 'pattern' | 'bulk' | 'plant' | 'filler';

export interface LiveAllocation {
  /** User pointer (chunk + 0x10). */
  ptr: number;
  requested: number;
  /** malloc_usable_size(ptr) at snapshot time. */
  usable: number;
  /** 0 = main thread, 1..N = workers (index order of --threads). */
  thread: number;
  kind: AllocationKind;
}

/** Parses a tab-separated file with a header line into row objects keyed by column name. */
export function readTsv(file: string): Record<string, string>[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const header = (lines.shift() ?? '').split('\t');
  return lines.map((line) => {
    const cells = line.split('\t');
    if (cells.length !== header.length) throw new Error(`${file}: row has ${cells.length} cells, header ${header.length}`);
    return Object.fromEntries(header.map((h, i) => [h, cells[i] as string]));
  });
}

/** Parses "0x..." or decimal into a safe-integer number. */
export function parseAddress(text: string | undefined): number {
  if (text === undefined) throw new Error('missing number');
  const value = text.startsWith('0x') ? Number.parseInt(text.slice(2), 16) : Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`not a safe integer: ${text}`);
  return value;
}

export function readLive(outDir: string): LiveAllocation[] {
  return readTsv(path.join(outDir, 'live.tsv')).map((row) => ({
    ptr: parseAddress(row.ptr),
    requested: parseAddress(row.requested),
    usable: parseAddress(row.usable),
    thread: parseAddress(row.thread),
    kind: row.kind as AllocationKind,
  }));
}

/** Sum of requested bytes per thread index, optionally only of one kind. */
export function requestedBytesByThread(live: LiveAllocation[], kind?: AllocationKind): Map<number, number> {
  const sums = new Map<number, number>();
  for (const a of live) {
    if (kind !== undefined && a.kind !== kind) continue;
    sums.set(a.thread, (sums.get(a.thread) ?? 0) + a.requested);
  }
  return sums;
}
