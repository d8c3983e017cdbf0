// Types for scripts/fetch-glibc.mjs (imported by test/helpers/glibc.ts).
export interface FetchedGlibc {
  /** "X.Y" as reported by the library's own banner. */
  version: string;
  /** "host" or the Debian suite it came from. */
  source: string;
  packageVersion: string | null;
  banner?: string;
  root: string;
  /** Directory usable as `gcc --sysroot` (null for the host). */
  sysroot: string | null;
  /** ld-linux-x86-64.so.2 of this glibc. */
  loader: string;
  /** Directory holding libc.so.6 (pass to the loader's --library-path). */
  libDir: string;
  /** Directory holding .build-id/xx/yyyy.debug files from libc6-dbg, if any. */
  debugDir: string | null;
}
export const glibcCacheRoot: string;
export function findArchiveSource(aptEtc?: string): { uri: string; keyring: string };
export function fetchGlibc(version: string, options?: { log?: (message: string) => void }): FetchedGlibc;
/** The glibc releases fetchGlibc can take from the Debian archive (Debian suite per release in the script). */
export const fetchableGlibcVersions: string[];
