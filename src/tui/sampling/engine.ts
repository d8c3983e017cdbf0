// The engine calls of the interactive session, each tracked as pending work
// (src/tui/pendingWork.ts) and cancellable by an AbortSignal: a view that is
// left, or a session that quits, aborts what it started. An aborted call
// rejects with the signal's reason and its result is never used.
import { sampleProcessWithChunks, type ProcessSample, type SampleOptions } from '../../engine/sample.js';
import { scanTargetStrings } from '../../engine/strings.js';
import type { StringScanOptions, StringScanResult, StringSelection } from '../../model/strings.js';
import { track } from '../pendingWork.js';

/** Runs engine work unless already aborted; its result only if still not aborted. */
export async function cancellable<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  signal?.throwIfAborted();
  const result = await track(work());
  signal?.throwIfAborted();
  return result;
}

export function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

export function sampleTarget(pid: number, options: SampleOptions, signal?: AbortSignal): Promise<ProcessSample> {
  // TODO(engine): pass signal to the native walk (sampleProcessWithChunks -> readMallocSnapshot -> native.walkArenas),
  // so an aborted walk stops at its next window instead of running to the end in its worker thread.
  return cancellable(signal, () => sampleProcessWithChunks(pid, options));
}

export type ScanFunction = typeof scanTargetStrings;

export function scanStrings(
  scan: ScanFunction,
  pid: number,
  selection: StringSelection,
  options: StringScanOptions,
  onProgress: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<StringScanResult> {
  // TODO(engine): pass signal to the native scan (scanTargetStrings -> native.scanStrings, and its chunk-table walk).
  return cancellable(signal, () => scan(pid, selection, options, onProgress));
}
