// `arenascope demo --threads N --freeze` in a real terminal (tmux): --threads
// read from the demo target's own task list, --freeze from /proc (its threads
// in ptrace stop with the TUI as tracer). Not in the sanitizer run: the demo
// starts its target with the CLI's environment, which there carries ASan's
// preload, so the target would run on ASan's malloc.
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stoppedByTracer } from '../support/inspection.js';
import { runCli } from '../support/nativeTarget.js';
import { ensureDemoTargetBuilt, processExists } from './helpers/demoTarget.js';
import { tmuxServer, until } from './helpers/tmux.js';

const term = tmuxServer('demoflags');
const { screen, waitForText, startSession, quit } = term;

afterAll(() => term.close());

describe('arenascope demo --threads N --freeze', { timeout: 90_000 }, () => {
  beforeAll(() => {
    ensureDemoTargetBuilt();
  });

  it('--threads 3: the demo target runs 3 workers besides its main thread; --freeze stops it for samples; q ends it', async () => {
    const session = 'demo';
    const tui = startSession(session, ['demo', '--threads', '3', '--interval', '0.2', '--freeze']);
    const first = await waitForText(session, /pid \d+ demo-target · Overview/);
    const demo = Number(/pid (\d+) demo-target/.exec(first)![1]);
    await waitForText(session, /^Threads\s+4$/m);
    expect(readdirSync(`/proc/${demo}/task`)).toHaveLength(4);
    expect(screen(session)).toMatch(/every 0\.2s \(freeze\)/);
    await until('the demo target stopped by the TUI', () => stoppedByTracer(demo, tui), 30_000, 1);
    await quit(session);
    await until('the demo target to end', () => !processExists(demo));
  });

  it('rejects a thread count outside 1..64 (exit 2)', async () => {
    for (const bad of ['0', '65', 'many']) {
      const r = await runCli(['demo', '--threads', bad]);
      expect(r.code, `${bad}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/a thread count from 1 to 64/);
    }
  });
});
