// Engine work the interactive session has started and not seen end: walks,
// string scans, dumps, the advice's report. They run in libuv's worker
// threads, and a pending one keeps the process alive after the session has
// closed (even process.exit() joins those threads first). So every engine
// call of the TUI goes through track(), and after quitting the process either
// ends normally, once nothing is pending, or ends without waiting.
import { endBySignal } from '../session/cleanup.js';

let pending = 0;
const idleWaiters = new Set<() => void>();

/** Counts `work` as pending until it settles; returns it unchanged. */
export function track<T>(work: Promise<T>): Promise<T> {
  pending++;
  const settled = (): void => {
    pending--;
    if (pending === 0) {
      for (const resolve of [...idleWaiters]) resolve();
      idleWaiters.clear();
    }
  };
  work.then(settled, settled);
  return work;
}

export function pendingWork(): number {
  return pending;
}

/**
 * How long a cancelled walk may take to notice its signal. Once the engine
 * checks it between reads this is ample; a walk that does not (today's, or one
 * stuck in a read of a page on a hung network file) is not waited for.
 */
export const cancelGraceMs = 250;

/**
 * Called once the session has closed (its views unmounted, which aborts their
 * work, the terminal given back, the demo target ended): returns at once when
 * nothing is pending, or when what was pending ends within the grace; otherwise
 * the process ends now, as if interrupted (status 130), after the cleanups
 * that still hold (a frozen target is thawed).
 */
export async function endWithoutWaiting(graceMs = cancelGraceMs): Promise<void> {
  if (pending === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<boolean>((resolve) => idleWaiters.add(() => resolve(true)));
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
  });
  const ended = await Promise.race([idle, late]);
  clearTimeout(timer);
  if (ended) return;
  endBySignal('SIGINT', `quit while a walk was still running (${pending} pending): not waiting for it`);
}
