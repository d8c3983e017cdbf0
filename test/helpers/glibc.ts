// Which glibc a test target runs under, and where that glibc lives.
import { execFileSync } from 'node:child_process';
import { fetchGlibc, type FetchedGlibc } from '../../scripts/fetch-glibc.mjs';

export type GlibcLayout = FetchedGlibc;

/** Releases the test setup fetches besides the host's own (Debian bullseye, trixie, forky and experimental). */
export const FETCHED_GLIBC_VERSIONS = ['2.31', '2.41', '2.43', '2.44'] as const;

let hostVersion: string | undefined;

/** The machine's own glibc version, "X.Y". */
export function hostGlibcVersion(): string {
  if (hostVersion === undefined) {
    const out = execFileSync('getconf', ['GNU_LIBC_VERSION'], { encoding: 'utf8' });
    const match = /(\d+\.\d+)/.exec(out);
    if (!match?.[1]) throw new Error(`cannot parse getconf GNU_LIBC_VERSION: ${out}`);
    hostVersion = match[1];
  }
  return hostVersion;
}

/** Every glibc the integration tests run targets under: the host's plus the fetched ones. */
export function testedGlibcVersions(): string[] {
  return [...new Set([hostGlibcVersion(), ...FETCHED_GLIBC_VERSIONS])];
}

const layouts = new Map<string, GlibcLayout>();

/**
 * Paths (loader, libDir, debugDir, sysroot) of glibc `version`; fetches it into
 * test/.cache/glibc on first use (scripts/fetch-glibc.mjs). The host glibc is returned as is.
 */
export function ensureGlibc(version: string): GlibcLayout {
  let layout = layouts.get(version);
  if (!layout) {
    layout = fetchGlibc(version);
    layouts.set(version, layout);
  }
  return layout;
}

/** Compares "X.Y" versions numerically. */
export function compareGlibcVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
