// The report's advice for the Overview: buildReport, the same rules and numbers
// as `arenascope report`, never attaching to a JVM (jcmd) from the TUI. It
// walks the arenas itself (the trim and free-memory rules need chunk-level
// residency), so it runs only while the Overview is shown, first at once, then
// no more than once a minute and never more than a twentieth of the time.
import { useEffect, useRef, useState } from 'react';
import type { AdviceLine } from '../views/Overview/overviewLines.js';

export type AdviceFunction = (pid: number) => Promise<AdviceLine[]>;

/** Least time between two advice runs, and the share of wall time they may take. */
const minIntervalMs = 60_000;
const maxShare = 1 / 20;

async function reportAdvice(pid: number): Promise<AdviceLine[]> {
  const { buildReport } = await import('../../commands/report.js');
  const report = await buildReport(pid, { attach: false });
  return report.advice.map((a) => ({ rule: a.rule, message: a.message }));
}

/** undefined until the first run ends; a failed run keeps what the last good one said. */
export function useAdvice(pid: number, active: boolean, compute: AdviceFunction = reportAdvice): AdviceLine[] | undefined {
  const [advice, setAdvice] = useState<AdviceLine[] | undefined>(undefined);
  const nextAt = useRef(0);
  useEffect(() => {
    if (!active) return;
    let cancelled = false;
    let timer: NodeJS.Timeout | undefined;
    const run = async (): Promise<void> => {
      const t0 = performance.now();
      try {
        const lines = await compute(pid);
        if (!cancelled) setAdvice(lines);
      } catch {
        // The sampler reports a vanished or unreadable target; advice just stays as it was.
      }
      const took = performance.now() - t0;
      nextAt.current = Date.now() + Math.max(minIntervalMs, took / maxShare);
      if (!cancelled) timer = setTimeout(() => void run(), nextAt.current - Date.now());
    };
    timer = setTimeout(() => void run(), Math.max(0, nextAt.current - Date.now()));
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
    };
  }, [pid, active, compute]);
  return advice;
}
