// One place that decides what happens when the inspector is interrupted:
// every registered cleanup runs (detach from a frozen target, remove temp
// files), then the process dies of the signal (status 128 + signal number).
const cleanups = new Set<() => void>();
let installed = false;
const exitCodes: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

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

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runCleanups);
  for (const sig of Object.keys(exitCodes) as NodeJS.Signals[]) {
    process.on(sig, () => {
      const pending = cleanups.size;
      runCleanups();
      if (pending) process.stderr.write(`\narenascope: interrupted (${sig}); cleaned up\n`);
      // Die of the signal itself, as without a handler: the shell sees 128 + N
      // at once. process.exit() would first join libuv's thread pool, which
      // waits for a walk or scan still running there (seconds to minutes on
      // a big heap) although the target is already thawed and files removed.
      // Exit listeners still run first, as on any exit (Ink gives the
      // terminal back: raw mode off, cursor shown).
      process.exitCode = exitCodes[sig];
      process.emit('exit', exitCodes[sig]!);
      process.removeAllListeners(sig);
      process.kill(process.pid, sig);
      process.exit(exitCodes[sig]); // only if the signal could not end us
    });
  }
}

/** Registers fn to run on exit or interruption; returns a function that unregisters it. */
export function onCleanup(fn: () => void): () => void {
  install();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}
