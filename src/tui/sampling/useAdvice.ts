// The report's advice for the Overview: buildReport, the same rules and numbers
// as `arenascope report`, never attaching to a JVM (jcmd) from the TUI. It
// walks the arenas itself (the trim and free-memory rules need chunk-level
// residency), so it runs only while the Overview is shown, first at once, then
// no more than once a minute. Its CPU is charged to the sampler's budget (the
// meter: the next sample waits longer), and it never runs more often than the
// budget allows on its own. Leaving the Overview cancels a run: its walk stops
// at its next window.
import { useEffect, useRef, useState } from 'react';
import type { AdviceLine } from '../views/Overview/overviewLines.js';
import { defaultCpuBudget, measured, samplingPace, type CpuMeter } from './budget.js';
import { track } from '../pendingWork.js';
import { isAbort } from './engine.js';

export type AdviceFunction = (pid: number, signal: AbortSignal) => Promise<AdviceLine[]>;

/** Least time between two advice runs. */
const minIntervalMs = 60_000;

async function reportAdvice(pid: number, signal: AbortSignal): Promise<AdviceLine[]> {
  const { buildReport } = await import('../../commands/report.js');
  const report = await buildReport(pid, { attach: false, signal });
  return report.advice.map((a) => ({ rule: a.rule, message: a.message }));
}

export interface AdviceBudget {
  cpuBudget?: number;
  meter?: CpuMeter;
}

/** undefined until the first run ends; a failed run keeps what the last good one said. */
export function useAdvice(pid: number, active: boolean, { cpuBudget = defaultCpuBudget, meter }: AdviceBudget = {}, compute: AdviceFunction = reportAdvice): AdviceLine[] | undefined {
  const [advice, setAdvice] = useState<AdviceLine[] | undefined>(undefined);
  const nextAt = useRef(0);
  // A run whose native walk outlives its cancellation: the next one waits for it.
  const running = useRef<Promise<unknown> | null>(null);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  useEffect(() => {
    if (!active) return;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const run = async (): Promise<void> => {
      if (running.current) await running.current;
      if (controller.signal.aborted) return;
      // Not cancellable(), which drops what arrives after the abort: a run the
      // engine finished although the Overview was left is still this process's
      // advice, and counts as a run (the next is paced from it). One the engine
      // did stop (rejected as aborted) is run again on the next visit.
      const work = measured(() => {
        controller.signal.throwIfAborted();
        return track(compute(pid, controller.signal));
      });
      running.current = work;
      const { outcome, cost } = await work;
      running.current = null;
      meter?.spend(cost.cpuMs);
      if (outcome.status === 'rejected' && isAbort(outcome.reason)) return;
      // The sampler reports a vanished or unreadable target; advice just stays as it was.
      if (outcome.status === 'fulfilled' && mounted.current) setAdvice(outcome.value);
      nextAt.current = Date.now() + samplingPace(cost, minIntervalMs, cpuBudget).delayMs;
      if (!controller.signal.aborted) timer = setTimeout(() => void run(), nextAt.current - Date.now());
    };
    timer = setTimeout(() => void run(), Math.max(0, nextAt.current - Date.now()));
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [pid, active, compute, cpuBudget, meter]);
  return advice;
}
