// Builds the bundled demo target (demo/demo-target.c) into build/demo-target.
// Runs at install time after tsc; skipped quietly when it is already newer
// than its source, and non-fatal when gcc is missing (only `arenascope demo`
// needs it, and it says so).
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'demo', 'demo-target.c');
const output = join(root, 'build', 'demo-target');

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

if (mtime(output) > mtime(source)) process.exit(0);
mkdirSync(dirname(output), { recursive: true });
const cc = process.env.CC || 'gcc';
// Built beside the output and renamed over it: a program starting the demo
// target meanwhile (a second build, a test) sees the old binary or the new
// one, never a half-written file.
const partial = `${output}.${process.pid}.tmp`;
const args = ['-O1', '-g', '-pthread', '-Wall', '-Wextra', '-o', partial, source];
const result = spawnSync(cc, args, { stdio: 'inherit' });
if (result.error || result.status !== 0) {
  rmSync(partial, { force: true });
  const why = result.error ? result.error.message : `exit status ${result.status}`;
  process.stderr.write(`build-demo: could not compile ${source} with ${cc} (${why}); \`arenascope demo\` will not be available\n`);
  process.exit(0);
}
renameSync(partial, output);
