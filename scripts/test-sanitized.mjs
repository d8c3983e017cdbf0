#!/usr/bin/env node
// Runs every test file that loads the addon against an AddressSanitizer +
// UBSan + LeakSanitizer build of it, and fails on any sanitizer report, even
// one raised in a CLI child whose exit code a test would otherwise accept.
//
//   node scripts/test-sanitized.mjs              # build build-sanitize/, run every native-facing file
//   node scripts/test-sanitized.mjs FILE...      # only these test files
//
// How: binding.gyp and native/ are copied into build-sanitize/ (node-gyp has no
// out-of-tree build directory; the copy keeps timestamps so rebuilds are
// incremental) and built there with ARENASCOPE_SANITIZE=1 (binding.gyp adds
// -fsanitize=address,undefined), the test addon included. vitest runs with a
// generated config (build-sanitize/vitest.config.mts: the project's, plus) the
// environment of its workers: ARENASCOPE_ADDON and ARENASCOPE_TEST_ADDON
// pointing at that build (src/native/loader.ts, test/native/testAddon.ts) and
// gcc's libasan in LD_PRELOAD, since ASan's runtime must come first in the
// library list and node itself is not instrumented. The setup file
// test/support/sanitizerSetup.ts takes LD_PRELOAD out of each worker's
// environment once it runs, so targets, compilers and tools keep glibc's
// malloc; the CLI processes the tests start get it back (test/support/
// sanitizer.ts, inspectorEnv). vitest's main process and the global setup
// (building targets) never have it.
//
// Leaks: detect_leaks=1. The CLI processes exit normally and LeakSanitizer
// checks them at exit; vitest kills its workers with SIGTERM, so the setup file
// runs the check in each worker after its test file (the test addon's
// leakCheck). LeakSanitizer stops the process's threads with ptrace for the
// check (a helper task attaches to its siblings), which works here whether or
// not the process traces targets itself (--freeze): measured in the freeze
// tests of test/foundation/dump.test.ts and test/reliability/target-safety.test.ts.
// V8's heap lives in mmap'd pages LeakSanitizer does not scan, so a check in a
// running node reports what only the JS heap points to (V8's page metadata,
// node's external strings): scripts/lsan-suppressions.txt names those V8 and
// node functions, and nothing else (checked below); a leak with any other
// stack, ours above all, fails the run.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { buildAddon, withTestAddon } from './build-addon.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildRoot = join(root, 'build-sanitize');
const suppressions = join(root, 'scripts', 'lsan-suppressions.txt');

// A test file is native-facing (and runs here) when its imports, followed
// through the repository's own files, reach the addon's loaders, or when one
// of those files starts the CLI (which loads the addon). Computed, so a new
// test file cannot be left out; it errs on the side of including a file.
const addonLoaders = ['src/native/loader.ts', 'test/native/testAddon.ts'];
const startsCli = /bin[/'", ]+arenascope/;
// Files whose subject the sanitizer runtime itself distorts.
const excluded = new Map([
  // asserts the inspector's peak RSS; ASan's shadow memory and quarantine are not the inspector's.
  ['test/reliability/memory-bound.test.ts', 'measures RSS, which ASan inflates'],
  // reads the engine's own glibc malloc from outside; under ASan the engine's malloc is ASan's.
  ['test/reliability/own-malloc.test.ts', "the engine's malloc is ASan's there, not glibc's"],
  // `arenascope demo` starts its target with its own environment, so under this
  // run the target would get libasan's preload and ASan's malloc instead of glibc's,
  // and there would be no glibc heap to show. The TUI itself runs here in-process
  // (test/tui/*.test.tsx) against a demo target started without the preload.
  ['test/tui/e2e.test.ts', "the demo's target would inherit the ASan preload and run on ASan's malloc"],
  ['test/tui/demo-flags.test.ts', "the demo's target would inherit the ASan preload and run on ASan's malloc"],
]);

function log(msg) {
  process.stderr.write(`test-sanitized: ${msg}\n`);
}

/** Repository files a file imports (static, dynamic and re-exports), resolved from .js to .ts/.tsx. */
function importsOf(file, memo) {
  if (memo.has(file)) return memo.get(file);
  const found = [];
  for (const f of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
    if (!f.fileName.startsWith('.')) continue;
    const base = resolve(dirname(file), f.fileName);
    const hit = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.js$/, '.tsx'), `${base}.ts`, `${base}.tsx`].find((c) => existsSync(c) && statSync(c).isFile());
    if (hit) found.push(hit);
  }
  memo.set(file, found);
  return found;
}

function isNativeFacing(file, memo) {
  const seen = new Set([file]);
  const todo = [file];
  while (todo.length) {
    const f = todo.pop();
    const rel = relative(root, f);
    if (addonLoaders.includes(rel) || startsCli.test(readFileSync(f, 'utf8'))) return true;
    for (const d of importsOf(f, memo)) if (!seen.has(d)) seen.add(d), todo.push(d);
  }
  return false;
}

/** Every native-facing test file under test/, less the excluded ones (said on stderr). */
function nativeFacingTests() {
  const memo = new Map();
  const all = readdirSync(join(root, 'test'), { recursive: true })
    .map((f) => join('test', String(f)))
    .filter((f) => /\.test\.tsx?$/.test(f) && !f.startsWith('test/.cache'))
    .sort();
  const out = [];
  for (const f of all) {
    if (!isNativeFacing(join(root, f), memo)) continue;
    if (excluded.has(f)) log(`not run here: ${f} (${excluded.get(f)})`);
    else out.push(f);
  }
  return out;
}

/** LeakSanitizer suppressions must name code that is not ours: functions of V8 or node, never arenascope's, N-API's (napi_*, the layer our calls go through) or a module/file pattern, each rule explained. */
function checkSuppressions() {
  const lines = readFileSync(suppressions, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim() || line.startsWith('#')) return;
    const m = /^leak:(.+)$/.exec(line.trim());
    if (!m) throw new Error(`${suppressions}:${i + 1}: only leak:FUNCTION rules belong here`);
    if (/arenascope|napi|native\/|[/.]so\b|\.node\b|\//i.test(m[1])) throw new Error(`${suppressions}:${i + 1}: "${m[1]}" could match arenascope's own frames`);
    // Every name part holds a real name (4+ characters), so no rule is a bare wildcard over a namespace.
    if (!/^(v8::internal|node)(::[\w*]*\w{4,}[\w*]*)+$/.test(m[1])) throw new Error(`${suppressions}:${i + 1}: "${m[1]}" is not a named function of V8 or node`);
    if (!lines[i - 1]?.startsWith('#')) throw new Error(`${suppressions}:${i + 1}: each rule needs a comment line above it saying why it is not ours`);
  });
}

function asanRuntime() {
  const path = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
  if (!path.startsWith('/') || !existsSync(path)) throw new Error(`gcc does not know libasan.so (got "${path}"); install libasan8 (gcc-12)`);
  return path;
}

/** Mirrors binding.gyp + native/ into build-sanitize/ and builds both addons there; returns their paths. */
function buildSanitizedAddons() {
  mkdirSync(buildRoot, { recursive: true });
  // Fresh copy of the sources (files deleted in the tree must not linger), old timestamps kept.
  rmSync(join(buildRoot, 'native'), { recursive: true, force: true });
  cpSync(join(root, 'native'), join(buildRoot, 'native'), { recursive: true, preserveTimestamps: true });
  cpSync(join(root, 'binding.gyp'), join(buildRoot, 'binding.gyp'), { preserveTimestamps: true });
  const release = buildAddon({ dir: buildRoot, env: { ARENASCOPE_SANITIZE: '1', ...withTestAddon }, verbose: true });
  const addons = { addon: join(release, 'arenascope.node'), testAddon: join(release, 'arenascope_test.node') };
  for (const file of Object.values(addons)) {
    const deps = execFileSync('ldd', [file], { encoding: 'utf8' });
    if (!/libasan/.test(deps) || !/libubsan/.test(deps)) throw new Error(`${file} is not linked against libasan/libubsan:\n${deps}`);
  }
  return addons;
}

function reports(dir) {
  return readdirSync(dir)
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).size > 0);
}

function main() {
  const files = process.argv.length > 2 ? process.argv.slice(2) : nativeFacingTests();
  if (files.length === 0) throw new Error('no test files to run');
  checkSuppressions();
  const preload = asanRuntime();
  const { addon, testAddon } = buildSanitizedAddons();
  const logDir = mkdtempSync(join(tmpdir(), 'arenascope-sanitizer-'));
  chmodSync(logDir, 0o1777); // the unprivileged-inspector tests run the CLI as uid 65534
  const workerEnv = {
    ARENASCOPE_ADDON: addon,
    ARENASCOPE_TEST_ADDON: testAddon,
    ARENASCOPE_SANITIZER_PRELOAD: preload,
    LD_PRELOAD: preload,
    ASAN_OPTIONS: `detect_leaks=1:abort_on_error=1:log_path=${logDir}/asan`,
    // print_suppressions=0: the list of rules used would make every log file non-empty.
    LSAN_OPTIONS: `suppressions=${suppressions}:print_suppressions=0`,
    UBSAN_OPTIONS: `halt_on_error=1:print_stacktrace=1:log_path=${logDir}/ubsan`,
  };
  const config = join(buildRoot, 'vitest.config.mts');
  writeFileSync(
    config,
    [
      '// Generated by scripts/test-sanitized.mjs: the project config plus the sanitizer workers\' environment.',
      "import { mergeConfig } from 'vitest/config';",
      "import base from '../vitest.config.ts';",
      `export default mergeConfig(base, { test: { env: ${JSON.stringify(workerEnv)}, setupFiles: ['test/support/sanitizerSetup.ts'] } });`,
      '',
    ].join('\n'),
  );
  log(`addons ${relative(root, addon)}, ${relative(root, testAddon)}; preload ${preload}`);
  log(`${files.length} test files: ${files.join(' ')}`);
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const run = spawnSync(process.execPath, [vitest, 'run', '--config', config, ...files], { cwd: root, stdio: 'inherit' });
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
