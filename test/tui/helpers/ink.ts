// Driving an Ink app in tests: keys in, frames out.
import type { render } from 'ink-testing-library';
import { sleep } from './demoTarget.js';

export type Rendered = ReturnType<typeof render>;

export const keys = {
  tab: '\t',
  shiftTab: '\u001b[Z',
  enter: '\r',
  escape: '\u001b',
  up: '\u001b[A',
  down: '\u001b[B',
  backspace: '\u007f',
  ctrlU: '\u0015',
};

const ansi = /\u001b\[[0-9;?]*[A-Za-z]/g;

export function plain(frame: string | undefined): string {
  return (frame ?? '').replace(ansi, '');
}

export function frameOf(app: Rendered): string {
  return plain(app.lastFrame());
}

/**
 * Waits until the current frame satisfies the predicate; fails with the last
 * frame. The deadline only bounds a hang (a sample of the demo takes well
 * under a second even on a loaded machine).
 */
export async function waitForFrame(app: Rendered, predicate: (frame: string) => boolean, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = frameOf(app);
    if (predicate(frame)) return frame;
    if (Date.now() > deadline) throw new Error(`timed out waiting for the frame; last frame:\n${frame}`);
    await sleep(25);
  }
}

export function waitForText(app: Rendered, text: string | RegExp, timeoutMs?: number): Promise<string> {
  return waitForFrame(app, (f) => (typeof text === 'string' ? f.includes(text) : text.test(f)), timeoutMs);
}

/** One turn of the event loop: every setImmediate queued before this one has run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Sends one key. Ink handles it while the write runs (the App queues keys and
 * renders synchronously), except a lone Escape: Ink holds it back until a
 * setImmediate, to tell it apart from the start of a sequence, and a key
 * written before that would merge with it. Waiting one event-loop turn lets
 * that flush run first; no fixed delay is involved.
 */
export async function press(app: Rendered, key: string): Promise<void> {
  app.stdin.write(key);
  await nextTurn();
}

export async function type(app: Rendered, text: string): Promise<void> {
  for (const ch of text) await press(app, ch);
}
