// The sampling budget's rule (src/tui/sampling/budget.ts), a pure function,
// over sample costs measured for real with measured() around
// sampleProcessWithChunks on this project's targets (2-core VM, glibc 2.36):
//   demo-target --threads 12, 2 s after start:   cpu 50 ms,   wall 39 ms
//   the same, 30 s in (arenas still growing):    cpu 241 ms,  wall 253 ms (plain)
//                                                cpu 180 ms,  wall 189 ms (bins, histogram, chunks)
//   the same, 100 s in (arenas at their cap):    cpu 543 ms,  wall 548 ms (plain)
//                                                cpu 688 ms for the Overview's advice (buildReport)
//   busy_heap 626 0 shuffled (~7M chunks):       cpu 7158 ms, wall 7290 ms (plain)
//                                                cpu 6766 ms, wall 6762 ms (bins, histogram, chunks)
import { describe, expect, it } from 'vitest';
import { CpuMeter, defaultCpuBudget, describeSlowdown, samplingPace, type SampleCost } from '../../src/tui/sampling/budget.js';

const demoEarly: SampleCost = { cpuMs: 50, wallMs: 39 };
const demoGrowing: SampleCost = { cpuMs: 241, wallMs: 253 };
const demoDetail: SampleCost = { cpuMs: 180, wallMs: 189 };
const demoCapped: SampleCost = { cpuMs: 543, wallMs: 548 };
const adviceCappedMs = 688;
const bigPlain: SampleCost = { cpuMs: 7158, wallMs: 7290 };
const bigDetail: SampleCost = { cpuMs: 6766, wallMs: 6762 };
const measuredCosts = [demoEarly, demoGrowing, demoDetail, demoCapped, { cpuMs: demoCapped.cpuMs + adviceCappedMs, wallMs: demoCapped.wallMs }, bigPlain, bigDetail];

describe('samplingPace', () => {
  it('by default gives sampling 4% of a core, leaving room under the 5% a resident view may use', () => {
    expect(defaultCpuBudget).toBe(0.04);
    expect(describeSlowdown(samplingPace(demoCapped, 2000, defaultCpuBudget), demoCapped, defaultCpuBudget)).toBe(
      'sampling every 14 s: a sample costs 543 ms of CPU (budget 4%)',
    );
  });

  it('keeps the interval when a sample fits the budget: the early demo at 2 s and 5%', () => {
    const pace = samplingPace(demoEarly, 2000, 0.05);
    expect(pace).toEqual({ delayMs: 2000, periodMs: 2039, slowed: false });
    expect(describeSlowdown(pace, demoEarly, 0.05)).toBeNull();
  });

  it('stretches the wait so the period is the CPU cost over the budget: the growing demo, every 4.8 s', () => {
    const pace = samplingPace(demoGrowing, 2000, 0.05);
    expect(pace.slowed).toBe(true);
    expect(pace.delayMs).toBeCloseTo(241 / 0.05 - 253, 6);
    expect(pace.periodMs).toBeCloseTo(4820, 6);
    expect(describeSlowdown(pace, demoGrowing, 0.05)).toBe('sampling every 4.8 s: a sample costs 241 ms of CPU (budget 5%)');
  });

  it('on the big heap samples every 143 s at 5%, every 72 s at 10%', () => {
    const five = samplingPace(bigPlain, 2000, 0.05);
    expect(describeSlowdown(five, bigPlain, 0.05)).toBe('sampling every 143 s: a sample costs 7158 ms of CPU (budget 5%)');
    const ten = samplingPace(bigPlain, 2000, 0.1);
    expect(describeSlowdown(ten, bigPlain, 0.1)).toBe('sampling every 72 s: a sample costs 7158 ms of CPU (budget 10%)');
  });

  it('for every measured cost, interval and budget: never sooner than the interval, never more than the budget of a core', () => {
    for (const cost of measuredCosts) {
      for (const intervalMs of [200, 1000, 2000, 5000, 60_000]) {
        for (const budget of [0.01, 0.05, 0.1, 0.5, 1]) {
          const pace = samplingPace(cost, intervalMs, budget);
          expect(pace.delayMs).toBeGreaterThanOrEqual(intervalMs);
          expect(pace.periodMs).toBeCloseTo(cost.wallMs + pace.delayMs, 6);
          expect(cost.cpuMs / pace.periodMs).toBeLessThanOrEqual(budget + 1e-12);
          // Slowed exactly when the interval alone would have broken the budget.
          expect(pace.slowed).toBe(cost.cpuMs / (cost.wallMs + intervalMs) > budget + 1e-12);
        }
      }
    }
  });

  it("charges the advice's CPU to the next sample, and says so: the capped demo's Overview, every 25 s", () => {
    const meter = new CpuMeter();
    meter.spend(adviceCappedMs);
    const adviceMs = meter.take();
    expect(meter.take()).toBe(0);
    const pace = samplingPace({ cpuMs: demoCapped.cpuMs + adviceMs, wallMs: demoCapped.wallMs }, 2000, 0.05);
    expect(pace.periodMs).toBeCloseTo((543 + 688) / 0.05, 6);
    expect(describeSlowdown(pace, demoCapped, 0.05, adviceMs)).toBe('sampling every 25 s: a sample costs 543 ms of CPU, the advice 688 ms (budget 5%)');
    // Without the advice (any other view): every 11 s.
    expect(describeSlowdown(samplingPace(demoCapped, 2000, 0.05), demoCapped, 0.05)).toBe('sampling every 11 s: a sample costs 543 ms of CPU (budget 5%)');
  });

  it('says the budget as the user gave it, with a fraction when there is one', () => {
    expect(describeSlowdown(samplingPace(demoDetail, 200, 0.025), demoDetail, 0.025)).toBe('sampling every 7.2 s: a sample costs 180 ms of CPU (budget 2.5%)');
  });
});
