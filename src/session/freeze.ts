// Opt-in freeze (--freeze). The target is stopped with PTRACE_SEIZE +
// PTRACE_INTERRUPT only for the duration of `work`, and detached on every way
// out: normal end, exceptions, and SIGINT/SIGTERM/SIGHUP of the inspector. A
// SIGKILL of the inspector cannot be caught, but the kernel detaches the
// tracees of a dying tracer, so the target resumes then too.
import { toArenascopeError } from '../errors.js';
import { loadNative } from '../native/loader.js';
import { onCleanup } from './cleanup.js';

export interface FreezeReport {
  threads: number;
  /** How long the target was stopped, from the first interrupt to the detach. */
  stoppedMs: number;
}

export async function withFreeze<T>(
  pid: number,
  freeze: boolean,
  work: () => Promise<T>,
): Promise<{ result: T; freeze: FreezeReport | null }> {
  if (!freeze) return { result: await work(), freeze: null };
  const native = loadNative();
  const unregister = onCleanup(() => native.thaw(pid));
  let threads = 0;
  try {
    try {
      threads = native.freeze(pid).threads;
    } catch (err) {
      throw toArenascopeError(err, { pid });
    }
    const result = await work();
    const thawed = native.thaw(pid);
    return { result, freeze: { threads, stoppedMs: thawed ? thawed.stoppedNs / 1e6 : 0 } };
  } finally {
    native.thaw(pid);
    unregister();
  }
}
