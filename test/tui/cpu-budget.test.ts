// `arenascope PID --cpu-budget P` in a real terminal (tmux), on a target whose
// samples are expensive (busy_heap: millions of chunks to walk): the status
// line says sampling was slowed, and its numbers agree with the rule (every
// sample's CPU cost over the budget); with a budget the sample fits in it
// says nothing. Bad budgets are usage errors; --help shows an example.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildC, runCli, startNative, type RunningTarget } from '../support/nativeTarget.js';
import { tmuxServer } from './helpers/tmux.js';

const term = tmuxServer('budget');
const { screen, waitForText, startSession, quit } = term;

afterAll(() => term.close());

const slowdown = /sampling every ([0-9.]+) s: a sample costs (\d+) ms of CPU(?:, the advice (\d+) ms)? \(budget ([0-9.]+)%\)/;

describe('arenascope PID --cpu-budget', { timeout: 120_000 }, () => {
  let target: RunningTarget;
  beforeAll(async () => {
    target = await startNative(buildC('test/targets/reliability/busy_heap.c'), ['64']);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('by default (4%) an expensive sample slows sampling, and the status line says to what and why', async () => {
    const session = 'default';
    startSession(session, [String(target.pid), '--interval', '0.2']);
    const s = await waitForText(session, slowdown);
    const [, every, cost, advice, budget] = slowdown.exec(s)!;
    expect(budget).toBe('4');
    // The period is the CPU cost (the sample's, and the Overview's advice's when it ran) over the budget, as
    // shown: each number rounded, the period to 0.1 s below 10 s, then to 1 s.
    const periodMs = Number(every) * 1000;
    expect(periodMs).toBeGreaterThan(200);
    const costMs = Number(cost) + Number(advice ?? 0);
    expect(Math.abs(periodMs - costMs / 0.04)).toBeLessThanOrEqual((periodMs < 10_000 ? 50 : 500) + 40);
    // The header keeps the interval asked for; the status line says what happens instead.
    expect(s).toMatch(/every 0\.2s/);
    await quit(session);
  });

  it('--cpu-budget 100 with a 5 s interval: the sample fits, nothing is said', async () => {
    const session = 'roomy';
    startSession(session, [String(target.pid), '--interval', '5', '--cpu-budget', '100']);
    const s = await waitForText(session, /sample 1 at .* in \d+ ms/);
    expect(s).not.toMatch(/sampling every/);
    await quit(session);
    expect(screen(session)).toBe('(session ended)');
  });

  it('rejects a budget outside 0.1..100 or not a number (exit 2); --help shows it with an example', async () => {
    for (const bad of ['0', '0.05', '101', 'lots']) {
      const r = await runCli([String(target.pid), '--cpu-budget', bad]);
      expect(r.code, `${bad}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/percent of one core: a number from 0\.1 to 100/);
    }
    for (const args of [['--help'], ['demo', '--help']]) {
      const help = await runCli(args);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/--cpu-budget <percent>/);
      expect(help.stdout).toMatch(/\$ arenascope (demo|1234) --cpu-budget \d/);
    }
  });
});
