// `arenas --debug-dir DIR` (repeatable): targets under glibc 2.31, 2.41, 2.43 and 2.44,
// whose debug files exist only in the fetched release's own usr/lib/debug,
// not under the machine's /usr/lib/debug. Without the option the symbols are
// not found; with it main_arena is located by debuginfo, at the address
// libc's debug symbols (readelf) give.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FETCHED_GLIBC_VERSIONS, ensureGlibc } from '../helpers/glibc.js';
import { startTarget, type RunningTarget } from '../helpers/targets.js';
import { debugFileFor, libcOf, mallocSymbols } from '../support/libcSymbols.js';
import { runCli } from '../support/nativeTarget.js';

for (const version of FETCHED_GLIBC_VERSIONS) {
  describe(`arenas --debug-dir on glibc ${version}`, () => {
    let target: RunningTarget;
    let debugDir: string;
    beforeAll(async () => {
      debugDir = ensureGlibc(version).debugDir!;
      target = await startTarget('oracle', ['--threads', '2', '--keep', '10', '--size', '100'], { glibc: version });
    });
    afterAll(async () => {
      await target?.stop();
    });

    it('the debug file is in the fetched directory and not in the default one', () => {
      const { buildId } = libcOf(target.pid);
      expect(debugFileFor(debugDir, buildId)).not.toBeNull();
      expect(debugFileFor('/usr/lib/debug', buildId)).toBeNull();
    });

    it('without --debug-dir: located symbol-free, and --locate debuginfo fails with exit 7 saying why', async () => {
      const r = await runCli(['arenas', String(target.pid), '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).locatedBy).not.toBe('debuginfo');
      const forced = await runCli(['arenas', String(target.pid), '--json', '--locate', 'debuginfo']);
      expect(forced.code, forced.stderr).toBe(7);
      expect(forced.stderr).toMatch(/debuginfo: no debug file for this build-id/);
    });

    it('with --debug-dir DIR: located by debuginfo, at the symbols readelf reads from that directory', async () => {
      const truth = mallocSymbols(target.pid, debugDir);
      const r = await runCli(['arenas', String(target.pid), '--json', '--debug-dir', debugDir]);
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.locatedBy).toBe('debuginfo');
      expect(parseInt(j.mainArena, 16)).toBe(truth.mainArena);
      expect(parseInt(j.mallocPar, 16)).toBe(truth.mallocPar);
    });

    it('is repeatable: the directory that has the file counts wherever it stands in the list', async () => {
      const missing = `${debugDir}-does-not-exist`;
      expect(existsSync(missing)).toBe(false);
      for (const dirs of [
        [missing, debugDir],
        [debugDir, missing],
      ]) {
        const r = await runCli(['arenas', String(target.pid), '--json', ...dirs.flatMap((d) => ['--debug-dir', d])]);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout).locatedBy, dirs.join(' ')).toBe('debuginfo');
      }
    });
  });
}
