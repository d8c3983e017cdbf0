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

/** Waits until the current frame satisfies the predicate; fails with the last frame. */
export async function waitForFrame(app: Rendered, predicate: (frame: string) => boolean, timeoutMs = 8000): Promise<string> {
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

/** Sends one key and lets Ink process it (Escape needs a moment to be told apart from a sequence). */
export async function press(app: Rendered, key: string, settleMs = 30): Promise<void> {
  app.stdin.write(key);
  await sleep(key === keys.escape ? 80 : settleMs);
}

export async function type(app: Rendered, text: string): Promise<void> {
  for (const ch of text) await press(app, ch, 10);
}
