// Builds binding.gyp with node-gyp in a directory: the test addon for the test
// suite (test/setup/global.ts: in the project's own build/, where only its own
// files are new to compile) and both addons with sanitizers
// (scripts/test-sanitized.mjs: in a mirror, build-sanitize/).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * node-gyp configure + build in dir (holding binding.gyp and native/) with env
 * added to this process's environment; returns the Release directory. configure
 * runs every time because binding.gyp's source lists are read then; the build
 * is incremental. Output is shown only when a step fails, unless verbose.
 */
export function buildAddon({ dir = root, env = {}, verbose = false } = {}) {
  const nodeGyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  // The headers the regular build uses: npm passes its nodedir setting as
  // npm_config_nodedir; otherwise the machine's own Node headers when present (as .ci/run does).
  const nodedir = process.env.npm_config_nodedir ?? (existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
  const dirArgs = nodedir ? [`--nodedir=${nodedir}`] : [];
  for (const step of ['configure', 'build']) {
    const r = spawnSync(process.execPath, [nodeGyp, step, '--directory', dir, '--jobs', '2', ...dirArgs], {
      env: { ...process.env, ...env },
      stdio: ['ignore', verbose ? 'inherit' : 'pipe', verbose ? 'inherit' : 'pipe'],
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    if (r.status !== 0) {
      if (!verbose) process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
      throw new Error(`node-gyp ${step} in ${dir} failed (status ${r.status ?? r.signal})`);
    }
  }
  return join(dir, 'build', 'Release');
}

/** The environment that makes binding.gyp add the test addon (target arenascope_test). */
export const withTestAddon = { ARENASCOPE_WITH_TEST_ADDON: '1' };
