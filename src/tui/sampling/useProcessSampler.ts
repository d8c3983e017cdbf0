// Periodic snapshots of the target for the TUI. sampleProcess is async and its
// heavy parts run in the addon's worker threads, so the render path never
// waits on it; one sample is in flight at a time, and a slow sample simply
// delays the next one. The first snapshot and the previous one are kept for
// growth deltas. Errors become state (a message and a code), never a throw:
// ESRCH means the target has gone, which stops sampling for good.
import { useCallback, useEffect, useRef, useState } from 'react';
import { sampleProcess, type SampleOptions } from '../../engine/sample.js';
import { toArenascopeError, type ErrorCode } from '../../errors.js';
import type { ProcessSnapshot } from '../../model/snapshot.js';
import { readCgroupMemory, type CgroupMemory } from '../../proc/cgroup.js';

export interface SamplerError {
  code: ErrorCode;
  message: string;
  at: number;
}

export interface SamplerState {
  current: ProcessSnapshot | null;
  previous: ProcessSnapshot | null;
  first: ProcessSnapshot | null;
  cgroup: CgroupMemory | null;
  /** The last failure; cleared by the next good sample. */
  error: SamplerError | null;
  /** The target no longer exists (ESRCH); sampling has stopped. */
  gone: boolean;
  busy: boolean;
  samples: number;
  lastDurationMs: number | null;
}

export interface Sampler extends SamplerState {
  /** Samples now, paused or not. */
  refresh(): void;
}

export interface SamplerOptions {
  freeze?: boolean;
  /** Ask the engine for per-bin detail and the size-class histogram (the arena detail view). */
  detail?: boolean;
  /** The heap map of this arena, in this many cells (the arena detail). */
  heapMap?: { arena: number; cells: number };
  /** The sampling function; sampleProcess unless a caller substitutes one. */
  sample?: (pid: number, options: SampleOptions) => Promise<ProcessSnapshot>;
}

const initialState: SamplerState = {
  current: null,
  previous: null,
  first: null,
  cgroup: null,
  error: null,
  gone: false,
  busy: false,
  samples: 0,
  lastDurationMs: null,
};

export function useProcessSampler(pid: number, intervalSeconds: number, paused: boolean, options: SamplerOptions = {}): Sampler {
  const [state, setState] = useState<SamplerState>(initialState);
  const [refreshNonce, setRefreshNonce] = useState(0);
  const inFlight = useRef(false);
  const gone = useRef(false);
  const lastNonce = useRef(-1);
  const lastDetail = useRef(false);
  const lastHeapMap = useRef('');
  const mounted = useRef(true);
  const sample = options.sample ?? sampleProcess;
  const freeze = Boolean(options.freeze);
  const detail = Boolean(options.detail);
  const heapMap = options.heapMap;
  const heapMapKey = heapMap ? `${heapMap.arena}:${heapMap.cells}` : '';
  const intervalMs = Math.max(100, Math.round(intervalSeconds * 1000));

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  useEffect(() => {
    // cancelled stops this effect's timers; a sample already running still
    // lands (it is a valid snapshot of the same pid) unless the hook unmounted.
    let cancelled = false;
    let timer: NodeJS.Timeout | undefined;

    const schedule = (): void => {
      if (!cancelled && !paused && !gone.current) timer = setTimeout(() => void run(), intervalMs);
    };

    const run = async (): Promise<void> => {
      if (cancelled || gone.current) return;
      if (inFlight.current) {
        // An earlier effect's sample is still running: try again a little later.
        timer = setTimeout(() => void run(), 50);
        return;
      }
      inFlight.current = true;
      setState((s) => ({ ...s, busy: true }));
      const t0 = performance.now();
      try {
        const sampleOptions: SampleOptions = { freeze, withBins: detail, withHistogram: detail, ...(heapMap ? { heapMap } : {}) };
        const snapshot = await sample(pid, sampleOptions);
        const cgroup = readCgroupMemory(pid);
        if (mounted.current) {
          setState((s) => ({
            ...s,
            current: snapshot,
            previous: s.current,
            first: s.first ?? snapshot,
            cgroup,
            error: null,
            busy: false,
            samples: s.samples + 1,
            lastDurationMs: performance.now() - t0,
          }));
        }
      } catch (err) {
        const e = toArenascopeError(err, { pid });
        if (e.code === 'ESRCH') gone.current = true;
        if (mounted.current) {
          setState((s) => ({
            ...s,
            error: { code: e.code, message: e.message, at: Date.now() },
            gone: gone.current,
            busy: false,
            lastDurationMs: performance.now() - t0,
          }));
        }
      } finally {
        inFlight.current = false;
      }
      schedule();
    };

    // Sample at once on mount, on refresh(), on resume, and when detail is first asked for.
    const forced = lastNonce.current !== refreshNonce || (detail && !lastDetail.current) || (heapMapKey !== '' && heapMapKey !== lastHeapMap.current);
    lastNonce.current = refreshNonce;
    lastDetail.current = detail;
    lastHeapMap.current = heapMapKey;
    if (!paused || forced) void run();
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
    };
    // heapMap is read through heapMapKey (a new object each render would resample).
  }, [pid, intervalMs, paused, freeze, detail, heapMapKey, refreshNonce, sample]);

  const refresh = useCallback(() => setRefreshNonce((n) => n + 1), []);
  return { ...state, refresh };
}
