// Sampling on a CPU budget. A sample of a big heap costs seconds of CPU; taken
// every 2 s it would keep a core busy on the very node that is short of
// resources. Each sample measures what it cost (process CPU and wall time
// across it), and the wait before the next one stretches so that sampling
// uses at most `budget` of one core: a sample's share over its period is
// cpu / (wall + wait), within budget when wait >= cpu / budget - wall. The
// user's interval is the shortest wait. One rule for every target: on a small
// heap (the demo's first minutes) it never binds; on a heap of millions of
// chunks it sets the pace. The session's other periodic work (the Overview's
// advice, which walks the heap as `report` does) shares the budget: what it
// spent since the last sample is added to that sample's cost (CpuMeter).

export interface SampleCost {
  /** CPU time of the whole process across the sample (all threads: the walk runs in workers). */
  cpuMs: number;
  wallMs: number;
}

export interface SamplingPace {
  /** Wait after this sample ends before the next one starts. */
  delayMs: number;
  /** Start to start: the sample's wall time plus the wait. */
  periodMs: number;
  /** The interval was stretched to keep within the budget. */
  slowed: boolean;
}

/**
 * Share of one core that sampling may use unless --cpu-budget says otherwise.
 * 4%, not the 5% a resident view may use in all: what a sample leaves behind
 * costs more later (V8 collecting its garbage, outside the measured window),
 * about an eighth more on the demo (measured from /proc: 5.4% of a core at a
 * 5% budget).
 */
export const defaultCpuBudget = 0.04;

/** CPU spent by the session's other periodic work, owed by the next sample. */
export class CpuMeter {
  private owedMs = 0;

  spend(cpuMs: number): void {
    this.owedMs += cpuMs;
  }

  /** What was spent since the last take(). */
  take(): number {
    const owed = this.owedMs;
    this.owedMs = 0;
    return owed;
  }
}

export function samplingPace(cost: SampleCost, intervalMs: number, budget: number): SamplingPace {
  const needed = cost.cpuMs / budget - cost.wallMs;
  const delayMs = Math.max(intervalMs, needed);
  return { delayMs, periodMs: cost.wallMs + delayMs, slowed: needed > intervalMs };
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}

/**
 * The status line's reason, e.g. "sampling every 8.0 s: a sample costs 400 ms
 * of CPU (budget 5%)", with ", the advice 900 ms" when `adviceMs` was part of
 * what the pace paid for; null when not slowed.
 */
export function describeSlowdown(pace: SamplingPace, sample: SampleCost, budget: number, adviceMs = 0): string | null {
  if (!pace.slowed) return null;
  const pct = Math.round(budget * 1000) / 10;
  const advice = adviceMs > 0 ? `, the advice ${Math.round(adviceMs)} ms` : '';
  return `sampling every ${seconds(pace.periodMs)}: a sample costs ${Math.round(sample.cpuMs)} ms of CPU${advice} (budget ${pct}%)`;
}

/** Runs work and measures its cost; the cost is also there when work throws. */
export async function measured<T>(work: () => Promise<T>): Promise<{ outcome: PromiseSettledResult<T>; cost: SampleCost }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let outcome: PromiseSettledResult<T>;
  try {
    outcome = { status: 'fulfilled', value: await work() };
  } catch (reason) {
    outcome = { status: 'rejected', reason };
  }
  const cpu = process.cpuUsage(cpu0);
  return { outcome, cost: { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - t0 } };
}
