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

/**
 * Runs work with the target frozen when `freeze` is set. work may call
 * release() as soon as it has read all it needs (a dump still hashing and
 * writing): the target resumes then, and the reported stop ends there.
 */
export async function withFreeze<T>(
  pid: number,
  freeze: boolean,
  work: (release: () => void) => Promise<T>,
): Promise<{ result: T; freeze: FreezeReport | null }> {
  if (!freeze) return { result: await work(() => {}), freeze: null };
  const native = loadNative();
  const unregister = onCleanup(() => native.thaw(pid));
  let threads = 0;
  let stoppedMs: number | null = null;
  const release = () => {
    const thawed = native.thaw(pid);
    if (thawed && stoppedMs === null) stoppedMs = thawed.stoppedNs / 1e6;
  };
  try {
    try {
      threads = native.freeze(pid).threads;
    } catch (err) {
      throw toArenascopeError(err, { pid });
    }
    const result = await work(release);
    release();
    return { result, freeze: { threads, stoppedMs: stoppedMs ?? 0 } };
  } finally {
    native.thaw(pid);
    unregister();
  }
}
