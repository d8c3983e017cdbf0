// Environment for processes the tests start that are NOT the inspector: target
// programs, compilers, gdb. In the sanitizer run (scripts/test-sanitized.mjs)
// the workers start with gcc's libasan preloaded and test/support/
// sanitizerSetup.ts takes LD_PRELOAD out of their environment at once, so
// children inherit a clean one anyway; this also drops the preload should it
// still be there (a target must keep glibc's own malloc, and one run through
// another glibc's loader cannot load the host's libasan at all). In ordinary
// runs this only merges `extra` over process.env.
import { sanitizerPreloadVariable } from './sanitizer.js';

export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  const preload = process.env[sanitizerPreloadVariable];
  if (preload && env.LD_PRELOAD === preload && extra.LD_PRELOAD === undefined) delete env.LD_PRELOAD;
  return env;
}
