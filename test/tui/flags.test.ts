// The interactive view's options in a real terminal (tmux): `arenascope PID
// --interval N [--freeze]` and `arenascope demo --threads N --freeze`. What
// --freeze does is read from /proc: the target's threads in ptrace stop with
// the TUI process as tracer (and beat_heap's heartbeat standing still), never
// without the option; --threads from the demo target's own task list.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertRunningUntraced, readHeartbeat, threadStates, tracerPid } from '../support/inspection.js';
import { buildC, runCli, startNative, type RunningTarget } from '../support/nativeTarget.js';
import { ensureDemoTargetBuilt, processExists, repoRoot, sleep } from './helpers/demoTarget.js';

const socket = `arenascope-flags-${process.pid}`;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function sessionAlive(session: string): boolean {
  try {
    tmux('has-session', '-t', session);
    return true;
  } catch {
    return false;
  }
}

const screen = (session: string) => (sessionAlive(session) ? tmux('capture-pane', '-p', '-t', session) : '(session ended)');

/** Polls until check() returns a value (deadline only bounds a hang). */
async function until<T>(what: string, check: () => T | null | undefined, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

const waitForText = (session: string, re: RegExp) => until(`${re} on screen`, () => (re.test(screen(session)) ? screen(session) : null));

/** Starts `node bin/arenascope.js ARGS` in a 100x30 tmux session; returns the node process's pid. */
function startSession(session: string, args: string[]): number {
  tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', '-c', repoRoot, '-e', 'NO_COLOR=1', `exec node bin/arenascope.js ${args.join(' ')}`);
  return Number(tmux('display', '-p', '-t', session, '#{pane_pid}').trim());
}

async function quit(session: string): Promise<void> {
  tmux('send-keys', '-t', session, 'q');
  await until(`session ${session} to end`, () => !sessionAlive(session));
}

/** Every thread of pid in ptrace stop ('t') with tracer as its tracer. */
const stoppedBy = (pid: number, tracer: number) => {
  const states = threadStates(pid);
  return states.length > 0 && states.every((s) => s === 't') && tracerPid(pid) === tracer;
};

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    // no server left
  }
  // tmux can leave its socket file behind when the last session ends on its own
  rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid!()}`, socket), { force: true });
});

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
        if (!stoppedBy(target.pid, tui)) return null;
        const first = readHeartbeat(heartbeat);
        const second = readHeartbeat(heartbeat);
        return stoppedBy(target.pid, tui) ? { first, second } : null;
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
    await until('the demo target stopped by the TUI', () => stoppedBy(demo, tui), 30_000, 1);
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
