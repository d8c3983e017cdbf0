// One string scan at a time for the Strings view. A scan starts whenever the
// request (selection and options) changes or rescan() is called; a result
// that arrives after the request moved on is dropped.
import { useCallback, useEffect, useRef, useState } from 'react';
import { scanTargetStrings } from '../../engine/strings.js';
import { toArenascopeError, type ErrorCode } from '../../errors.js';
import type { StringScanOptions, StringScanResult, StringSelection } from '../../model/strings.js';

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

export type ScanFunction = typeof scanTargetStrings;

const idle: StringScanState = { result: null, resultFor: null, running: false, progress: null, startedAt: null, error: null };

/** Progress callbacks can come thousands of times a second; redraw at most this often. */
const progressEveryMs = 100;

export function useStringScan(pid: number, request: StringScanRequest | null, scan: ScanFunction = scanTargetStrings): StringScanState & { rescan(): void } {
  const [state, setState] = useState<StringScanState>(idle);
  const [nonce, setNonce] = useState(0);
  const generation = useRef(0);
  const lastStarted = useRef<{ key: string; nonce: number } | null>(null);
  const key = request ? JSON.stringify(request) : null;

  useEffect(() => {
    // request is null while the Strings view is not in front; coming back to
    // the same request shows the earlier result instead of scanning again.
    if (!request || key === null) return;
    if (lastStarted.current?.key === key && lastStarted.current.nonce === nonce) return;
    lastStarted.current = { key, nonce };
    const mine = ++generation.current;
    const startedAt = Date.now();
    let lastProgress = 0;
    setState((s) => ({ ...s, running: true, progress: null, startedAt, error: null }));
    scan(pid, request.selection, request.options, (done, total) => {
      const now = Date.now();
      if (generation.current !== mine || (now - lastProgress < progressEveryMs && done < total)) return;
      lastProgress = now;
      setState((s) => ({ ...s, progress: { done, total, at: now } }));
    }).then(
      (result) => {
        if (generation.current === mine) setState({ result, resultFor: request, running: false, progress: null, startedAt, error: null });
      },
      (err: unknown) => {
        const e = toArenascopeError(err, { pid });
        if (generation.current === mine) setState((s) => ({ ...s, running: false, progress: null, error: { code: e.code, message: e.message } }));
      },
    );
    // request is represented by key
  }, [pid, key, nonce, scan]);

  useEffect(
    () => () => {
      generation.current++;
    },
    [],
  );

  const rescan = useCallback(() => setNonce((n) => n + 1), []);
  // Between a changed request (a key press) and the effect that starts its
  // scan, the result on hand answers the previous request: count that as
  // running, so no frame shows the new header over the old result.
  const stale = request !== null && state.error === null && JSON.stringify(state.resultFor) !== key;
  return { ...state, running: state.running || stale, rescan };
}
