// One string scan at a time for the Strings view. A scan starts whenever the
// request (selection and options) changes or rescan() is called; a scan whose
// request moved on, or whose view was left, is aborted and its result dropped.
import { useCallback, useEffect, useRef, useState } from 'react';
import { scanTargetStrings } from '../../engine/strings.js';
import { toArenascopeError, type ErrorCode } from '../../errors.js';
import type { StringScanOptions, StringScanResult, StringSelection } from '../../model/strings.js';
import { isAbort, scanStrings, type ScanFunction } from './engine.js';

export type { ScanFunction } from './engine.js';

export interface StringScanRequest {
  selection: StringSelection;
  options: StringScanOptions;
}

export interface StringScanState {
  result: StringScanResult | null;
  /** The request the result answers. */
  resultFor: StringScanRequest | null;
  running: boolean;
  progress: { done: number; total: number; at: number } | null;
  startedAt: number | null;
  error: { code: ErrorCode; message: string } | null;
}

const idle: StringScanState = { result: null, resultFor: null, running: false, progress: null, startedAt: null, error: null };

/** Progress callbacks can come thousands of times a second; redraw at most this often. */
const progressEveryMs = 100;

export function useStringScan(pid: number, request: StringScanRequest | null, scan: ScanFunction = scanTargetStrings): StringScanState & { rescan(): void } {
  const [state, setState] = useState<StringScanState>(idle);
  const [nonce, setNonce] = useState(0);
  const lastStarted = useRef<{ key: string; nonce: number } | null>(null);
  // The last scan started, until it settles: an aborted one runs on in its
  // worker thread until the engine takes the signal, and the next waits for it
  // rather than pile up beside it (a Tab through the views per second would
  // otherwise start a scan of the whole arena per second).
  const previous = useRef<Promise<unknown> | null>(null);
  const key = request ? JSON.stringify(request) : null;

  useEffect(() => {
    // request is null while the Strings view is not in front; coming back to
    // the same request shows the earlier result instead of scanning again.
    if (!request || key === null) return;
    if (lastStarted.current?.key === key && lastStarted.current.nonce === nonce) return;
    lastStarted.current = { key, nonce };
    const controller = new AbortController();
    const { signal } = controller;
    let settled = false;
    const startedAt = Date.now();
    let lastProgress = 0;
    setState((s) => ({ ...s, running: true, progress: null, startedAt, error: null }));
    const onProgress = (done: number, total: number): void => {
      const now = Date.now();
      if (signal.aborted || (now - lastProgress < progressEveryMs && done < total)) return;
      lastProgress = now;
      setState((s) => ({ ...s, progress: { done, total, at: now } }));
    };
    const work = (previous.current ?? Promise.resolve()).then(() => scanStrings(scan, pid, request.selection, request.options, onProgress, signal));
    previous.current = work.then(
      () => undefined,
      () => undefined,
    );
    work.then(
      (result) => {
        settled = true;
        if (!signal.aborted) setState({ result, resultFor: request, running: false, progress: null, startedAt, error: null });
      },
      (err: unknown) => {
        settled = true;
        if (isAbort(err) || signal.aborted) return;
        const e = toArenascopeError(err, { pid });
        setState((s) => ({ ...s, running: false, progress: null, error: { code: e.code, message: e.message } }));
      },
    );
    return () => {
      if (settled) return;
      // Left or superseded mid-scan: stop it, and scan again when this request comes back.
      controller.abort();
      lastStarted.current = null;
    };
    // request is represented by key
  }, [pid, key, nonce, scan]);

  const rescan = useCallback(() => setNonce((n) => n + 1), []);
  // Between a changed request (a key press) and the effect that starts its
  // scan, the result on hand answers the previous request: count that as
  // running, so no frame shows the new header over the old result.
  const stale = request !== null && state.error === null && JSON.stringify(state.resultFor) !== key;
  return { ...state, running: state.running || stale, rescan };
}
