// vitest global setup: fetch the extra glibc releases, compile every target for every
// tested glibc once, and build the test addon, before any test file runs.
import { buildAddon, withTestAddon } from '../../scripts/build-addon.mjs';
import { fetchableGlibcVersions } from '../../scripts/fetch-glibc.mjs';
import { ensureGlibc, testedGlibcVersions } from '../helpers/glibc.js';
import { buildTarget, targetNames } from '../helpers/targets.js';

export default async function setup(): Promise<void> {
  // build/Release/arenascope_test.node (native/testing/testing.h), next to the
  // production addon it shares its objects with: only the test-only files are
  // new to compile. Incremental, so it also keeps both addons current with native/.
  buildAddon({ env: withTestAddon });
  // Every release the archive has, not only the FETCHED_GLIBC_VERSIONS targets run
  // under: test/glibc/layouts-dwarf.test.ts reads each one's libc6-dbg.
  for (const version of fetchableGlibcVersions) ensureGlibc(version);
  // Sequential on purpose: the machine has 2 cores shared with the tests.
  for (const version of testedGlibcVersions()) {
    for (const name of targetNames()) await buildTarget(name, { glibc: version });
  }
}
