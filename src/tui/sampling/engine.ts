// The engine calls of the interactive session, each tracked as pending work
// (src/tui/pendingWork.ts) and cancelled by an AbortSignal: a view that is
// left, or a session that quits, aborts what it started. The signal reaches the
// native walk and scan (a cancel token checked at every window), so an aborted
// call stops within one window and rejects; its result is never used.
import { sampleProcess, type SampleOptions } from '../../engine/sample.js';
import { scanTargetStrings } from '../../engine/strings.js';
import { ArenascopeError } from '../../errors.js';
import type { ProcessSnapshot } from '../../model/snapshot.js';
import type { StringScanOptions, StringScanResult, StringSelection } from '../../model/strings.js';
import { track } from '../pendingWork.js';

/** Runs engine work unless already aborted; its result only if still not aborted. */
export async function cancellable<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  signal?.throwIfAborted();
  const result = await track(work());
  signal?.throwIfAborted();
  return result;
}

/** An abort: the signal's own reason, or the engine's ECANCELED for a walk or scan the signal stopped. */
export function isAbort(err: unknown): boolean {
  return (err instanceof Error && err.name === 'AbortError') || (err instanceof ArenascopeError && err.code === 'ECANCELED');
}

export function sampleTarget(pid: number, options: SampleOptions, signal?: AbortSignal): Promise<ProcessSnapshot> {
  return cancellable(signal, () => sampleProcess(pid, { ...options, ...(signal ? { signal } : {}) }));
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
  return cancellable(signal, () => scan(pid, selection, options, onProgress, signal ? { signal } : {}));
}
