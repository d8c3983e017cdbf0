// The interactive view's options in a real terminal (tmux): `arenascope PID
// --interval N [--freeze]` (`demo --threads` is in demo-flags.test.ts). What
// --freeze does is read from /proc: the target's threads in ptrace stop with
// the TUI process as tracer (and beat_heap's heartbeat standing still), never
// without the option.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertRunningUntraced, readHeartbeat, stoppedByTracer, threadStates, tracerPid } from '../support/inspection.js';
import { buildC, runCli, startNative, type RunningTarget } from '../support/nativeTarget.js';
import { tmuxServer, until } from './helpers/tmux.js';

const term = tmuxServer('flags');
const { screen, waitForText, startSession, quit } = term;

afterAll(() => term.close());

describe('arenascope PID --interval N [--freeze]', { timeout: 90_000 }, () => {
  let target: RunningTarget;
  let dir: string;
  let heartbeat: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'arenascope-tuiflags-'));
    heartbeat = join(dir, 'beat');
    // a walk of a few hundred ms: a frozen sample is long enough to be seen in /proc
    target = await startNative(buildC('test/targets/cli/beat_heap.c'), ['256', heartbeat]);
  });
  afterAll(async () => {
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--interval 5 --freeze: says so, and stops the target (heartbeat still) for a sample; running and untraced after quitting', async () => {
    const session = 'freeze';
    const tui = startSession(session, [String(target.pid), '--interval', '5', '--freeze']);
    await waitForText(session, /every 5s \(freeze\)/);
    // inside one stop, a heartbeat read between two stopped observations
    const beat = await until(
      'the target stopped by the TUI',
      () => {
        if (!stoppedByTracer(target.pid, tui)) return null;
        const first = readHeartbeat(heartbeat);
        const second = readHeartbeat(heartbeat);
        return stoppedByTracer(target.pid, tui) ? { first, second } : null;
      },
      30_000,
      1,
    );
    expect(beat.second).toBe(beat.first);
    await waitForText(session, /sample \d+ at /);
    await quit(session);
    assertRunningUntraced(target.pid);
    const after = readHeartbeat(heartbeat);
    await until('the heartbeat to move', () => readHeartbeat(heartbeat) > after);
  });

  it('--interval 5 without --freeze: no "(freeze)", and the target is never stopped or traced through the first samples', async () => {
    const session = 'nofreeze';
    let touched = 0;
    const watch = setInterval(() => {
      if (threadStates(target.pid).some((s) => s === 't' || s === 'T') || tracerPid(target.pid) !== 0) touched++;
    }, 1);
    try {
      startSession(session, [String(target.pid), '--interval', '5']);
      const s = await waitForText(session, /sample 1 at .* in \d+ ms/);
      expect(s).toMatch(/every 5s/);
      expect(s).not.toMatch(/\(freeze\)/);
      await quit(session);
    } finally {
      clearInterval(watch);
    }
    expect(touched).toBe(0);
  });

  it('rejects an interval below 0.2 s or not a number (exit 2)', async () => {
    for (const bad of ['0.1', '0', 'fast', '3601']) {
      const r = await runCli([String(target.pid), '--interval', bad]);
      expect(r.code, `${bad}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/seconds between samples: a number from 0\.2 to 3600/);
    }
  });
});
