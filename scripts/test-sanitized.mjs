#!/usr/bin/env node
// Runs the native-facing tests against an AddressSanitizer + UBSan build of the
// addon and fails on any sanitizer report, even one raised in a CLI child whose
// exit code a test would otherwise accept.
//
//   node scripts/test-sanitized.mjs              # build build-sanitize/, run the list below
//   node scripts/test-sanitized.mjs FILE...      # only these test files
//
// How: binding.gyp and native/ are copied into build-sanitize/ (node-gyp has no
// out-of-tree build directory; the copy keeps timestamps so rebuilds are
// incremental) and built there with ARENASCOPE_SANITIZE=1 (binding.gyp adds
// -fsanitize=address,undefined). vitest then runs with ARENASCOPE_ADDON pointing
// at that build (src/native/loader.ts) and gcc's libasan preloaded: ASan's
// runtime must come first in the process's library list, and node itself is not
// instrumented. Every process the tests start inherits that environment: CLI
// children need it, test targets must not have it (they must keep glibc's
// malloc); test/support/childEnv.ts drops the preload for targets and compilers,
// recognising it by ARENASCOPE_SANITIZER_PRELOAD.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildRoot = join(root, 'build-sanitize');

// Test files that load the addon, in this process or in a CLI child. A directory
// means every *.test.ts under it; directories that do not exist yet are skipped.
const nativeFacing = ['test/foundation', 'test/native', 'test/glibc', 'test/arenas', 'test/strings', 'test/reliability'];
// Files whose subject the sanitizer runtime itself distorts.
const excluded = new Map([
  // asserts the inspector's peak RSS; ASan's shadow memory and quarantine are not the inspector's.
  ['test/reliability/memory-bound.test.ts', 'measures RSS, which ASan inflates'],
]);

function log(msg) {
  process.stderr.write(`test-sanitized: ${msg}\n`);
}

function listTests(paths) {
  const out = [];
  for (const p of paths) {
    const abs = join(root, p);
    if (!existsSync(abs)) continue;
    if (statSync(abs).isFile()) {
      out.push(p);
      continue;
    }
    for (const f of readdirSync(abs, { recursive: true })) {
      const rel = join(p, String(f));
      if (/\.test\.tsx?$/.test(rel) && !excluded.has(rel)) out.push(rel);
    }
  }
  return out.sort();
}

function asanRuntime() {
  const path = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
  if (!path.startsWith('/') || !existsSync(path)) throw new Error(`gcc does not know libasan.so (got "${path}"); install libasan8 (gcc-12)`);
  return path;
}

/** Mirrors binding.gyp + native/ into build-sanitize/ and builds it there; returns the .node path. */
function buildSanitizedAddon() {
  mkdirSync(buildRoot, { recursive: true });
  // Fresh copy of the sources (files deleted in the tree must not linger), old timestamps kept.
  rmSync(join(buildRoot, 'native'), { recursive: true, force: true });
  cpSync(join(root, 'native'), join(buildRoot, 'native'), { recursive: true, preserveTimestamps: true });
  cpSync(join(root, 'binding.gyp'), join(buildRoot, 'binding.gyp'), { preserveTimestamps: true });
  const nodeGyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const env = { ...process.env, ARENASCOPE_SANITIZE: '1' };
  // Same headers as the regular build: npm passes its nodedir setting as
  // npm_config_nodedir; run directly, use the machine's own Node headers when present (as .ci/run does).
  const nodedir = process.env.npm_config_nodedir ?? (existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
  const dirArgs = nodedir ? [`--nodedir=${nodedir}`] : [];
  // configure every time: the source list is a glob expanded at configure time.
  for (const step of ['configure', 'build']) {
    const r = spawnSync(process.execPath, [nodeGyp, step, '--directory', buildRoot, '--jobs', '2', ...dirArgs], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`node-gyp ${step} of the sanitizer build failed`);
  }
  const addon = join(buildRoot, 'build', 'Release', 'arenascope.node');
  const deps = execFileSync('ldd', [addon], { encoding: 'utf8' });
  if (!/libasan/.test(deps) || !/libubsan/.test(deps)) throw new Error(`${addon} is not linked against libasan/libubsan:\n${deps}`);
  return addon;
}

function reports(dir) {
  return readdirSync(dir)
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).size > 0);
}

function main() {
  const files = listTests(process.argv.length > 2 ? process.argv.slice(2) : nativeFacing);
  if (files.length === 0) throw new Error('no test files to run');
  const preload = asanRuntime();
  const addon = buildSanitizedAddon();
  // The extra glibc releases are fetched with a clean environment (apt-get and
  // another release's loader must not get libasan preloaded); later calls only read the cache.
  for (const version of ['2.31', '2.41']) {
    execFileSync(process.execPath, [join(root, 'scripts', 'fetch-glibc.mjs'), version], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const logDir = mkdtempSync(join(tmpdir(), 'arenascope-sanitizer-'));
  chmodSync(logDir, 0o1777); // the unprivileged-inspector tests run the CLI as uid 65534
  const env = {
    ...process.env,
    ARENASCOPE_ADDON: addon,
    ARENASCOPE_SANITIZER_PRELOAD: preload,
    LD_PRELOAD: preload,
    // detect_leaks=0: node's own allocations are not ours to judge, and LSan needs ptrace, which the freeze tests use.
    ASAN_OPTIONS: `detect_leaks=0:abort_on_error=1:log_path=${logDir}/asan`,
    UBSAN_OPTIONS: `halt_on_error=1:print_stacktrace=1:log_path=${logDir}/ubsan`,
  };
  log(`addon ${relative(root, addon)}, preload ${preload}`);
  log(`${files.length} test files: ${files.join(' ')}`);
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const run = spawnSync(process.execPath, [vitest, 'run', ...files], { cwd: root, env, stdio: 'inherit' });
  const found = reports(logDir);
  for (const f of found) {
    process.stderr.write(`\n===== sanitizer report ${f} =====\n${readFileSync(f, 'utf8')}\n`);
  }
  if (found.length) {
    log(`FAILED: ${found.length} sanitizer report(s), kept in ${logDir}`);
    process.exit(1);
  }
  rmSync(logDir, { recursive: true, force: true });
  if (run.status !== 0) {
    log(`FAILED: vitest exited with ${run.status ?? run.signal}`);
    process.exit(run.status || 1);
  }
  log('no sanitizer reports; all tests passed');
}

try {
  main();
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
