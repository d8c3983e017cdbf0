// One place that decides what happens when the inspector is interrupted:
// every registered cleanup runs (detach from a frozen target, remove temp
// files), then the process dies of the signal (status 128 + signal number).
const cleanups = new Set<() => void>();
let installed = false;
const exitCodes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

export type EndSignal = keyof typeof exitCodes;

function runCleanups(): void {
  for (const fn of [...cleanups]) {
    try {
      fn();
    } catch {
      // a failing cleanup must not stop the others
    }
  }
  cleanups.clear();
}

/**
 * Runs every cleanup, then ends the process by `sig` at once; never returns.
 * Dying of the signal itself, as without a handler, is the one way out that
 * does not wait: process.exit() first joins libuv's thread pool, which waits
 * for a walk or scan still running there (seconds to minutes on a big heap,
 * forever on a read that blocks) although the target is already thawed and
 * files removed. Exit listeners still run first, as on any exit (Ink gives the
 * terminal back: raw mode off, cursor shown). `note` replaces the default
 * line on stderr.
 */
export function endBySignal(sig: EndSignal, note?: string): never {
  const pending = cleanups.size;
  runCleanups();
  if (note) process.stderr.write(`\narenascope: ${note}\n`);
  else if (pending) process.stderr.write(`\narenascope: interrupted (${sig}); cleaned up\n`);
  process.exitCode = exitCodes[sig];
  process.emit('exit', exitCodes[sig]);
  // Without listeners Node puts the default action back (libuv stops its watcher).
  process.removeAllListeners(sig);
  process.kill(process.pid, sig);
  process.exit(exitCodes[sig]); // only if the signal could not end us
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runCleanups);
  for (const sig of Object.keys(exitCodes) as EndSignal[]) process.on(sig, () => endBySignal(sig));
}

/** Registers fn to run on exit or interruption; returns a function that unregisters it. */
export function onCleanup(fn: () => void): () => void {
  install();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}
