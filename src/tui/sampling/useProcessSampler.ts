// Periodic snapshots of the target for the TUI. The heavy parts of a sample
// run in the addon's worker threads, so the render path never waits on it;
// one sample is in flight at a time. Each sample measures its own cost, and
// the wait before the next one stretches to keep sampling within its CPU
// budget (budget.ts). The first snapshot and the previous one are kept for
// growth deltas. Errors become state (a message and a code), never a throw:
// ESRCH means the target has gone, which stops sampling for good. A sample is
// cancelled when what it was taken for goes away: the session quits, or the
// arena detail that asked for a heap map is left.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { SampleOptions } from '../../engine/sample.js';
import { toArenascopeError, type ErrorCode } from '../../errors.js';
import type { ProcessSnapshot } from '../../model/snapshot.js';
import { readCgroupMemory, type CgroupMemory } from '../../proc/cgroup.js';
import { defaultCpuBudget, describeSlowdown, measured, samplingPace, type CpuMeter, type SampleCost } from './budget.js';
import { cancellable, isAbort, sampleTarget } from './engine.js';

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
  /** What the last sample cost. */
  lastCost: SampleCost | null;
  /** Why sampling runs slower than the interval asks (the CPU budget); null when it does not. */
  slowdown: string | null;
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
  /** Share of one core sampling may use (0.05 = 5%). */
  cpuBudget?: number;
  /** What the session's other periodic work spent; paid for by stretching the next wait. */
  meter?: CpuMeter;
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
  lastCost: null,
  slowdown: null,
};

export function useProcessSampler(pid: number, intervalSeconds: number, paused: boolean, options: SamplerOptions = {}): Sampler {
  const [state, setState] = useState<SamplerState>(initialState);
  const [refreshNonce, setRefreshNonce] = useState(0);
  const inFlight = useRef(false);
  /** The last sample's discovery of the target (libc, layout, main_arena, mp_): the next sample reuses it while it holds. */
  const discovery = useRef<{ pid: number; record: NonNullable<ProcessSnapshot['discovery']> } | null>(null);
  const gone = useRef(false);
  const lastNonce = useRef(-1);
  const lastDetail = useRef(false);
  const lastHeapMap = useRef('');
  /** Aborted when the sample's purpose (pid, detail, heap map) changes or the hook unmounts; set by the first effect. */
  const purpose = useRef<AbortController | null>(null);
  const injected = options.sample;
  const freeze = Boolean(options.freeze);
  const detail = Boolean(options.detail);
  const heapMap = options.heapMap;
  // heapMap is read through its key: a new object each render must not resample.
  const heapMapKey = heapMap ? `${heapMap.arena}:${heapMap.cells}` : '';
  const budget = options.cpuBudget ?? defaultCpuBudget;
  const meter = options.meter;
  const intervalMs = Math.max(100, Math.round(intervalSeconds * 1000));

  useEffect(() => {
    const controller = new AbortController();
    purpose.current = controller;
    return () => controller.abort();
  }, [pid, detail, heapMapKey]);

  useEffect(() => {
    // cancelled stops this effect's timers; a sample already running still
    // lands (a valid snapshot of the same pid) unless its purpose was aborted.
    let cancelled = false;
    let timer: NodeJS.Timeout | undefined;

    const schedule = (delayMs: number): void => {
      if (!cancelled && !paused && !gone.current) timer = setTimeout(() => void run(), delayMs);
    };

    const run = async (): Promise<void> => {
      if (cancelled || gone.current) return;
      if (inFlight.current) {
        // An earlier effect's sample is still running: try again a little later.
        timer = setTimeout(() => void run(), 50);
        return;
      }
      inFlight.current = true;
      const signal = purpose.current!.signal;
      setState((s) => ({ ...s, busy: true }));
      const known = discovery.current?.pid === pid ? discovery.current.record : undefined;
      const sampleOptions: SampleOptions = { freeze, withBins: detail, withHistogram: detail, ...(heapMap ? { heapMap } : {}), ...(known ? { discovery: known } : {}) };
      // The cost counts the sample and the render of its result: Ink's legacy
      // root renders a state update made here synchronously, before measured() returns.
      const { cost } = await measured(async () => {
        try {
          const snapshot = injected
            ? await cancellable(signal, () => injected(pid, sampleOptions))
            : await sampleTarget(pid, sampleOptions, signal);
          const cgroup = readCgroupMemory(pid);
          // A sample whose malloc read failed carries none: the next one discovers afresh.
          discovery.current = snapshot.discovery ? { pid, record: snapshot.discovery } : null;
          inFlight.current = false;
          if (signal.aborted) return;
          setState((s) => ({
            ...s,
            current: snapshot,
            previous: s.current,
            first: s.first ?? snapshot,
            cgroup,
            error: null,
            busy: false,
            samples: s.samples + 1,
          }));
        } catch (err) {
          inFlight.current = false;
          if (!(signal.aborted || isAbort(err))) discovery.current = null;
          // Nobody wants an aborted sample; whoever aborted it schedules the next.
          if (signal.aborted || isAbort(err)) return;
          const e = toArenascopeError(err, { pid });
          if (e.code === 'ESRCH') gone.current = true;
          setState((s) => ({ ...s, error: { code: e.code, message: e.message, at: Date.now() }, gone: gone.current, busy: false }));
        }
      });
      if (signal.aborted) {
        if (!cancelled) setState((s) => ({ ...s, busy: false }));
        return;
      }
      const adviceMs = meter?.take() ?? 0;
      const pace = samplingPace({ cpuMs: cost.cpuMs + adviceMs, wallMs: cost.wallMs }, intervalMs, budget);
      setState((s) => ({ ...s, lastDurationMs: cost.wallMs, lastCost: cost, slowdown: describeSlowdown(pace, cost, budget, adviceMs) }));
      schedule(pace.delayMs);
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
  }, [pid, intervalMs, paused, freeze, detail, heapMapKey, refreshNonce, injected, budget, meter]);

  const refresh = useCallback(() => setRefreshNonce((n) => n + 1), []);
  // The same object until the state changes, so what renders it can skip a render.
  return useMemo(() => ({ ...state, refresh }), [state, refresh]);
}
