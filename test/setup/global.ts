// vitest global setup: fetch the extra glibc releases and compile every target for every
// tested glibc once, before any test file runs.
import { ensureGlibc, FETCHED_GLIBC_VERSIONS, testedGlibcVersions } from '../helpers/glibc.js';
import { buildTarget, targetNames } from '../helpers/targets.js';

export default async function setup(): Promise<void> {
  for (const version of FETCHED_GLIBC_VERSIONS) ensureGlibc(version);
  // Sequential on purpose: the machine has 2 cores shared with the tests.
  for (const version of testedGlibcVersions()) {
    for (const name of targetNames()) await buildTarget(name, { glibc: version });
  }
}
