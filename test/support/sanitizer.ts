// The sanitizer run (scripts/test-sanitized.mjs) loads an ASan+UBSan build of
// the addon. ASan's runtime must come first in the library list of any process
// that loads it, so vitest's workers are started with gcc's libasan in
// LD_PRELOAD; test/support/sanitizerSetup.ts then moves it out of the workers'
// environment, so targets, compilers and tools the tests start keep glibc's
// own malloc (and a target under another glibc's loader could not load the
// host's libasan at all). The inspector processes the tests start (the CLI)
// take it back from here. Outside that run this is just process.env.
export const sanitizerPreloadVariable = 'ARENASCOPE_SANITIZER_PRELOAD';

/**
 * For a shell command that runs the CLI among other programs (script, mktemp,
 * tmux): the assignment that gives the CLI, and only it, the sanitizer
 * preload, as `env LD_PRELOAD=... ` to put before its command (env(1), so it
 * also works after `exec`); '' outside the sanitizer run. Tools run with the
 * preload would be checked by LeakSanitizer themselves and fail on their own
 * leaks.
 */
export function inspectorShellPrefix(): string {
  const preload = process.env[sanitizerPreloadVariable];
  return preload ? `env LD_PRELOAD=${preload} ` : '';
}

/** Environment for an arenascope CLI process started by a test. */
export function inspectorEnv(): NodeJS.ProcessEnv {
  const preload = process.env[sanitizerPreloadVariable];
  return preload ? { ...process.env, LD_PRELOAD: preload } : { ...process.env };
}
