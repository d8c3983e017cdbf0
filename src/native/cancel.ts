// An AbortSignal as the addon's CancelToken: aborting it makes the native job
// it was passed to stop and reject with ECANCELED.
import { loadNative } from './loader.js';
import type { NativeCancelToken } from './native.js';

export function cancelTokenFor(signal: AbortSignal): NativeCancelToken {
  const token = new (loadNative().CancelToken)();
  if (signal.aborted) token.cancel();
  else signal.addEventListener('abort', () => token.cancel(), { once: true });
  return token;
}
