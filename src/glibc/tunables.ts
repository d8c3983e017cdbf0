// GLIBC_TUNABLES as the process set it. glibc parses the variable in place at
// startup and, in the releases patched for CVE-2023-4911 (Debian 2.36 among
// them), leaves NUL bytes where the ':' separators were. /proc/PID/environ
// then shows "GLIBC_TUNABLES=glibc.malloc.arena_max=3" followed by bare
// "glibc.malloc.tcache_count=0" entries, which an environ parser takes for
// variables named "glibc.malloc.tcache_count". This puts them back together.

/** Keys of an environ object that are really GLIBC_TUNABLES fragments. */
const fragmentName = /^glibc\.[a-z_]+\.[a-z_]+$/;

export function glibcTunablesValue(environ: Record<string, string> | null): string | undefined {
  if (!environ || environ.GLIBC_TUNABLES === undefined) return undefined;
  const keys = Object.keys(environ);
  const at = keys.indexOf('GLIBC_TUNABLES');
  const parts = [environ.GLIBC_TUNABLES];
  for (let i = at + 1; i < keys.length && fragmentName.test(keys[i]!); i++) parts.push(`${keys[i]}=${environ[keys[i]!]}`);
  return parts.join(':');
}

/** The environ with GLIBC_TUNABLES whole again and its fragments removed. */
export function withTunablesRejoined(environ: Record<string, string> | null): Record<string, string> | null {
  if (!environ || environ.GLIBC_TUNABLES === undefined) return environ;
  const value = glibcTunablesValue(environ)!;
  const out: Record<string, string> = {};
  const keys = Object.keys(environ);
  const at = keys.indexOf('GLIBC_TUNABLES');
  let skipping = false;
  keys.forEach((k, i) => {
    if (i === at) {
      out[k] = value;
      skipping = true;
      return;
    }
    if (skipping && fragmentName.test(k)) return;
    skipping = false;
    out[k] = environ[k]!;
  });
  return out;
}
