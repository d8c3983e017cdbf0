// One place that decides what happens when the inspector is interrupted:
// every registered cleanup runs (detach from a frozen target, remove temp
// files), then the process exits with 128 + signal number.
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
      process.exit(exitCodes[sig]);
    });
  }
}

/** Registers fn to run on exit or interruption; returns a function that unregisters it. */
export function onCleanup(fn: () => void): () => void {
  install();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}
