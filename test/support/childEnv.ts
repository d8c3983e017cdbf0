// Environment for processes the tests start that are NOT the inspector: target
// programs and compilers. scripts/test-sanitized.mjs preloads gcc's libasan into
// every node process (the sanitized addon needs ASan's runtime first in the
// library list) and says so in ARENASCOPE_SANITIZER_PRELOAD; a target must keep
// glibc's own malloc (and a target run through another glibc's loader cannot
// load the host's libasan at all), so the preload is dropped for them. In
// ordinary runs this only merges `extra` over process.env.
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  const preload = process.env.ARENASCOPE_SANITIZER_PRELOAD;
  if (preload && env.LD_PRELOAD === preload && extra.LD_PRELOAD === undefined) delete env.LD_PRELOAD;
  return env;
}
