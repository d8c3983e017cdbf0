// An AbortSignal as the addon's CancelToken: aborting it makes the native job
// it was passed to stop at its next window and reject with ECANCELED.
import { ArenascopeError } from '../errors.js';
import { loadNative } from './loader.js';
import type { NativeCancelToken } from './native.js';

/**
 * Runs a native job with a token tied to the signal (none without one); the
 * signal's listener is removed when the job settles, so a long-lived signal
 * (the TUI's, one per view) does not collect one listener per job.
 */
export async function withCancelToken<T>(signal: AbortSignal | undefined, job: (token: NativeCancelToken | undefined) => Promise<T>): Promise<T> {
  if (!signal) return job(undefined);
  throwIfCancelled(signal);
  const token = new (loadNative().CancelToken)();
  const onAbort = (): void => token.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await job(token);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** The engine's own rejection for work asked to stop before its native job started. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ArenascopeError('ECANCELED', 'canceled');
}
