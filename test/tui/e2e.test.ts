// `arenascope demo` in a real terminal (tmux): keys sent, the screen read
// back, the dump files checked, and the demo target gone after quitting.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoTargetBuilt, processExists, repoRoot, sleep, waitUntil } from './helpers/demoTarget.js';

// A tmux server of our own, so nothing else running on the machine is touched.
const socket = `arenascope-e2e-${process.pid}`;
let dir: string;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
}

function sessionAlive(session: string): boolean {
  try {
    tmux('has-session', '-t', session);
    return true;
  } catch {
    return false;
  }
}

function screen(session: string, escapes = false): string {
  return tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', session);
}

/** Polls the screen until the predicate holds; the deadline only bounds a hang. */
async function waitForScreen(session: string, predicate: (s: string) => boolean, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = sessionAlive(session) ? screen(session) : '(session ended)';
    if (predicate(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for the screen; last screen:\n${s}`);
    await sleep(100);
  }
}

const waitForText = (session: string, text: string | RegExp, timeoutMs?: number): Promise<string> =>
  waitForScreen(session, (s) => (typeof text === 'string' ? s.includes(text) : text.test(s)), timeoutMs);

/**
 * Keys, one send-keys each, with no pause between them: the TUI queues what it
 * reads and handles one key per render, so keys that arrive together (as they
 * do under load) act in order. What a key leads to is awaited on the screen.
 */
function send(session: string, ...keys: string[]): void {
  for (const k of keys) tmux('send-keys', '-t', session, k);
}

function sendText(session: string, text: string): void {
  tmux('send-keys', '-t', session, '-l', text);
}

function startSession(session: string, env: Record<string, string> = {}): void {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', '-c', repoRoot, ...envArgs, `exec node bin/arenascope.js demo --interval 1`);
}

async function quitAndCheckGone(session: string, demoPid: number): Promise<void> {
  send(session, 'q');
  // Both must end; the deadline only bounds a hang.
  await waitUntil(`the session and demo target ${demoPid} to end`, () => (!sessionAlive(session) && !processExists(demoPid) ? true : undefined));
  expect(sessionAlive(session)).toBe(false);
  expect(processExists(demoPid)).toBe(false);
}

/**
 * The file is the range its record names, starting where the chooser said.
 * The demo's arenas grow while the test types the path, so the end of the
 * dumped heap may have moved on from what the chooser showed: never below it.
 */
function checkDump(path: string, screenText: string, start: number, shownEnd: number): void {
  const record = JSON.parse(readFileSync(`${path}.json`, 'utf8')) as { size: number; sha256: string; start: string; end: string };
  expect(parseInt(record.start, 16)).toBe(start);
  const end = parseInt(record.end, 16);
  expect(end).toBeGreaterThanOrEqual(shownEnd);
  expect(statSync(path).size).toBe(end - start);
  expect(record.size).toBe(end - start);
  const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
  expect(record.sha256).toBe(sha);
  expect(screenText).toContain(`sha256 ${sha}`);
}

const sgrColour = /\u001b\[[0-9;]*(3[0-9]|9[0-7])[0-9;]*m/;

beforeAll(() => {
  ensureDemoTargetBuilt();
  dir = mkdtempSync(join(tmpdir(), 'arenascope-e2e-'));
});
afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    // already gone with its last session
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('arenascope demo in tmux', { timeout: 240_000 }, () => {
  it('opens, goes to an arena, reads its strings, dumps it, and quits with the demo target', async () => {
    const session = 'full';
    startSession(session);
    const first = await waitForText(session, /pid \d+ demo-target · Overview/);
    const demoPid = Number(/pid (\d+) demo-target/.exec(first)![1]);
    expect(processExists(demoPid)).toBe(true);
    await waitForText(session, /^Threads\s+13$/m);

    send(session, 'Tab', 'Tab');
    const arenas = await waitForText(session, /^› [* ] (main|0x[0-9a-f]+) /m);
    expect(arenas).toContain('[Arenas]');
    // a thread arena: move off main if it is first
    if (/^› [* ] main /m.test(arenas)) send(session, 'j');
    send(session, 'Enter');
    const detail = await waitForText(session, 'Free lists');
    const arenaAddress = /thread arena\s+(0x[0-9a-f]+)/.exec(detail)![1]!;
    expect(detail).toContain('› Arena detail');

    send(session, 'Tab');
    const strings = await waitForText(session, 'Top strings');
    expect(strings).toContain(`Strings in arena ${arenaAddress}`);
    expect(strings).toMatch(/request id=|"customer"|SELECT |INSERT INTO |UPDATE sessions/);

    send(session, 'd');
    const chooser = await waitForText(session, /› arena heap 1\/\d+ 0x[0-9a-f]+-0x[0-9a-f]+/);
    const [, start, end] = /› arena heap 1\/\d+ (0x[0-9a-f]+)-(0x[0-9a-f]+)/.exec(chooser)!;
    const output = join(dir, 'arena.bin');
    send(session, 'e', 'C-u');
    sendText(session, output);
    send(session, 'Enter', 'Enter');
    const done = await waitForText(session, 'sha256 ');
    expect(done).toContain(`wrote ${output}`);
    checkDump(output, done, parseInt(start!, 16), parseInt(end!, 16));
    expect(screen(session, true)).toMatch(sgrColour);

    await quitAndCheckGone(session, demoPid);
  });

  it('with NO_COLOR: no colour codes; dumps the [heap] region; quits with the demo target', async () => {
    const session = 'nocolor';
    startSession(session, { NO_COLOR: '1' });
    const first = await waitForText(session, /pid \d+ demo-target · Overview/);
    const demoPid = Number(/pid (\d+) demo-target/.exec(first)![1]);
    send(session, 'Tab', 't');
    await waitForText(session, 'kind main-heap');
    send(session, 'd');
    const chooser = await waitForText(session, /› main-heap 0x[0-9a-f]+-0x[0-9a-f]+/);
    const [, start, end] = /› main-heap (0x[0-9a-f]+)-(0x[0-9a-f]+)/.exec(chooser)!;
    const output = join(dir, 'heap.bin');
    send(session, 'e', 'C-u');
    sendText(session, output);
    send(session, 'Enter', 'Enter');
    const done = await waitForText(session, 'sha256 ');
    checkDump(output, done, parseInt(start!, 16), parseInt(end!, 16));
    expect(screen(session, true)).not.toMatch(sgrColour);
    await quitAndCheckGone(session, demoPid);
  });
});
