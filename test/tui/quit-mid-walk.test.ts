// q and Ctrl-C end the TUI while a walk is running, in a real terminal (tmux).
// A walk of seconds cannot tell "exits at once" from "exits when the walk
// ends" without a timing condition, so the walk is held instead: strace
// delays the TUI's first process_vm_readv (the walk's read of the target) by
// an hour, in whichever worker thread makes it. A TUI that waited for its
// worker threads (process.exit joins libuv's pool) would then never end, and
// the deadline, which only bounds a hang, fails the test. strace's output
// says when the read is held, so the key is sent while a walk is surely in
// flight. The TUI's main thread is not traced: it runs freely.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertRunningUntraced, readHeartbeat, stoppedByTracer } from '../support/inspection.js';
import { buildC, startNative, type RunningTarget } from '../support/nativeTarget.js';
import { processExists } from './helpers/demoTarget.js';
import { tmuxServer, until } from './helpers/tmux.js';

const term = tmuxServer('quitwalk');
const { waitForText, startShellSession, terminalState, tmux } = term;

let target: RunningTarget;
let dir: string;
let heartbeat: string;
let strace: ChildProcess | null = null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'arenascope-quitwalk-'));
  heartbeat = join(dir, 'beat');
  target = await startNative(buildC('test/targets/cli/beat_heap.c'), ['64', heartbeat]);
});
afterEach(async () => {
  // Lets go of what it holds (the TUI's threads finish dying) and ends.
  if (strace && strace.exitCode === null && strace.signalCode === null) {
    const gone = new Promise((r) => strace!.once('exit', r));
    strace.kill('SIGKILL');
    await gone;
  }
  strace = null;
});
afterAll(async () => {
  term.close();
  await target?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Holds the next process_vm_readv of every thread of pid but its main one;
 * resolves once one is held (strace has written the call's first half).
 */
async function holdTheWalk(pid: number, name: string): Promise<void> {
  const out = join(dir, `${name}.strace`);
  const threads = readdirSync(`/proc/${pid}/task`).filter((t) => t !== String(pid));
  strace = spawn('strace', ['-qq', '-e', 'trace=process_vm_readv', '-e', 'inject=process_vm_readv:delay_enter=3600s', '-o', out, ...threads.flatMap((t) => ['-p', t])], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  strace.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await until(`a process_vm_readv of the TUI held by strace (${stderr})`, () => existsSync(out) && readFileSync(out, 'utf8').includes(`process_vm_readv(${target.pid},`));
}

async function checkEnded(session: string, cli: number): Promise<void> {
  // Ended: a process whose threads strace still holds is a zombie until they are let go; processExists says exited.
  await until(`the TUI ${cli} to end with its walk held`, () => !processExists(cli));
  assertRunningUntraced(target.pid);
  const before = readHeartbeat(heartbeat);
  await until('the heartbeat of the target to move', () => readHeartbeat(heartbeat) > before);
  // Released, the held threads finish dying and the shell has the terminal again.
  strace!.kill('SIGKILL');
  const after = await waitForText(session, /arenascope exited: \d+/);
  expect(after).not.toMatch(/beat_heap · Overview/);
  expect(terminalState(session)).toEqual({ alternateScreen: false, cursorVisible: true, canonical: true, echo: true });
}

describe('quitting while a walk runs', { timeout: 120_000 }, () => {
  it('q ends the TUI although its walk cannot finish; the target keeps running, untraced', async () => {
    const session = 'q';
    const { cli } = await startShellSession(session, [String(target.pid), '--interval', '0.2']);
    await waitForText(session, /sample \d+ at /);
    await holdTheWalk(cli, session);
    tmux('send-keys', '-t', session, 'q');
    await checkEnded(session, cli);
  });

  it('Ctrl-C ends the TUI during a --freeze walk it holds the target stopped for; the target is thawed', async () => {
    const session = 'ctrlc';
    const { cli } = await startShellSession(session, [String(target.pid), '--interval', '0.2', '--freeze']);
    await waitForText(session, /sample \d+ at /);
    await holdTheWalk(cli, session);
    // The held walk is a frozen one: the TUI stopped the target for it (and the next one cannot start before it ends).
    await until('the target stopped by the TUI for the held walk', () => stoppedByTracer(target.pid, cli));
    tmux('send-keys', '-t', session, 'C-c');
    await checkEnded(session, cli);
  });
});
