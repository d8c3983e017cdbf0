// Plain commands must not load the TUI, and they start from the one-file
// CommonJS build (scripts/bundle.mjs). Checked on the real launcher with two
// recorders: a module hook for ES modules, and the CommonJS cache at exit.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { inspectorEnv, inspectorShellPrefix } from '../support/sanitizer.js';
import { repoRoot } from './helpers/demoTarget.js';

const dir = mkdtempSync(join(tmpdir(), 'arenascope-lazy-'));
// A small target: under the sanitizer run the maps of this worker hold ASan's
// terabytes of shadow, which the kernel takes a minute to walk for smaps.
const target = spawn('sleep', ['600'], { stdio: 'ignore' });
afterAll(() => {
  target.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
const launcher = join(repoRoot, 'bin', 'arenascope.js');

function loadedFiles(name: string, args: string[]): { files: string[]; status: number | null; stdout: string } {
  const log = join(dir, `loaded-${name}.txt`);
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  appendFileSync(process.env.LAZY_LOG, url + '\\n');\n  return next(url, context);\n}\n`);
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const cjs = join(dir, 'cjs.cjs');
  writeFileSync(cjs, `process.on('exit', () => require('node:fs').appendFileSync(process.env.LAZY_LOG, Object.keys(require.cache).map((f) => 'file://' + f).join('\\n') + '\\n'));\n`);
  const r = spawnSync(process.execPath, ['--require', cjs, '--import', pathToFileURL(register).href, launcher, ...args], {
    encoding: 'utf8',
    env: { ...inspectorEnv(), LAZY_LOG: log }, // inspectorEnv: under the sanitizer run, the CLI needs ASan's runtime
  });
  return { files: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [], status: r.status, stdout: r.stdout };
}

// The TUI's own files by their place in the repository (the checkout's own path may hold "/tui/").
const tuiFile = (f: string) => /node_modules\/(ink|react|react-reconciler)\//.test(f) || /^(src|dist|dist\/bundle\/esm)\/tui\//.test(f.replace(`file://${repoRoot}/`, ''));

describe('lazy loading', { timeout: 20_000 }, () => {
  it('arenascope maps runs from the CommonJS build and loads neither Ink nor React nor the TUI', () => {
    const { files, status, stdout } = loadedFiles('maps', ['maps', String(target.pid), '--json']);
    expect(status).toBe(0);
    expect(JSON.parse(stdout).pid).toBe(target.pid);
    expect(files.some((f) => f.endsWith('/dist/bundle/plain.cjs'))).toBe(true);
    expect(files.filter((f) => f.includes('/dist/bundle/esm/'))).toEqual([]);
    expect(files.filter(tuiFile)).toEqual([]);
  });

  it('the interactive entry loads the ES build, Ink and the TUI (so the checks above can fail)', () => {
    // Without a terminal runTui refuses after loading; what matters is what it loaded.
    const { files } = loadedFiles('tui', [String(target.pid)]);
    expect(files.some((f) => f.endsWith('/dist/bundle/esm/tui/run.js'))).toBe(true);
    expect(files.some((f) => /node_modules\/ink\//.test(f))).toBe(true);
    expect(files.some((f) => f.endsWith('/dist/bundle/plain.cjs'))).toBe(false);
  });

  it('the launcher sends exactly the plain commands of the CLI to the CommonJS build', () => {
    const { plainCommands, buildFor } = createRequire(import.meta.url)(launcher) as {
      plainCommands: Set<string>;
      buildFor: (args: string[]) => 'plain' | 'esm';
    };
    const registered = buildProgram().commands.map((c) => c.name());
    // Every command except demo (which opens the interactive view) is plain.
    expect([...plainCommands].sort()).toEqual(registered.filter((n) => n !== 'demo').sort());
    expect(buildFor(['strings', '1', '--region', '0x1'])).toBe('plain');
    expect(buildFor(['--interval', '5', '1234'])).toBe('esm');
    expect(buildFor(['demo'])).toBe('esm');
    expect(buildFor(['--help'])).toBe('esm');
  });

  it('output into a pipe whose reader has gone (| head) ends quietly, exit 0', () => {
    // A FIFO whose only reader opened it and exited before Node starts: every write meets a closed pipe.
    const script = [
      'd=$(mktemp -d); mkfifo "$d/p"',
      '( exec 4<"$d/p" ) &',
      'exec 5>"$d/p"',
      'wait',
      `${inspectorShellPrefix()}node ${JSON.stringify(launcher)} --help >&5; echo "status $?" >&2`,
      'rm -r "$d"',
    ].join('\n');
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    expect(r.stderr).not.toContain('EPIPE');
    expect(r.stderr).toMatch(/^status 0\n$/);
  });
});
