// The shipped TUI runs React's production build, whatever NODE_ENV the user's
// shell exports (the development build records a performance measure per
// render and grew the TUI to gigabytes). Which build the real CLI ran is read
// from the CommonJS module cache of its process at exit (React and the
// reconciler are CommonJS, chosen by their index.js), recorded by a --require
// preload: only modules that ran (loaded), since Node's ES module loader also
// caches, unrun, every file a CommonJS module may re-export (both builds) to
// learn their export names. The demo target's own environment, from /proc,
// shows the user's NODE_ENV reaches what the TUI starts unchanged, and a
// preload does not (the demo shows glibc's arenas).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoTargetBuilt, processExists } from './helpers/demoTarget.js';
import { tmuxServer, until } from './helpers/tmux.js';

const term = tmuxServer('reactbuild');
const { waitForText, startSession, quit } = term;
let dir: string;

beforeAll(() => {
  ensureDemoTargetBuilt();
  dir = mkdtempSync(join(tmpdir(), 'arenascope-reactbuild-'));
});
afterAll(() => {
  term.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A preload that writes the files of every CommonJS module the process ran to `log` when it exits. */
function recorder(log: string): string {
  const file = join(dir, 'record-modules.cjs');
  const ran = 'Object.values(require.cache).filter((m) => m.loaded).map((m) => m.filename)';
  writeFileSync(file, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(log)}, ${ran}.join('\\n')));\n`);
  return file;
}

function environOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

describe("the TUI's React", { timeout: 90_000 }, () => {
  it('is the production build of react and react-reconciler under NODE_ENV=development; the demo target gets NODE_ENV=development, not LD_PRELOAD', async () => {
    const log = join(dir, 'modules.txt');
    const session = 'demo';
    // A preload that changes nothing: the libc this test runs on (the sanitizer run's CLI has its own).
    const libc = readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => /\/libc\.so\.6$/.test(l))!.split(/\s+/).pop()!;
    const cli = startSession(session, ['demo', '--threads', '2'], { env: { NODE_ENV: 'development', NODE_OPTIONS: `--require=${recorder(log)}`, LD_PRELOAD: libc } });
    const s = await waitForText(session, /pid \d+ demo-target · Overview/);
    const demo = Number(/pid (\d+) demo-target/.exec(s)![1]);
    await waitForText(session, /sample \d+ at /);
    expect(environOf(demo).get('NODE_ENV')).toBe('development');
    expect(environOf(cli).get('LD_PRELOAD')).toBeTruthy();
    expect(environOf(demo).has('LD_PRELOAD')).toBe(false);
    await quit(session);
    await until('the TUI and the demo target to end', () => !processExists(cli) && !processExists(demo));
    const modules = readFileSync(log, 'utf8').split('\n');
    const builds = modules.filter((f) => /\/node_modules\/(react|react-reconciler|scheduler)\/cjs\//.test(f)).map((f) => f.slice(f.indexOf('/node_modules/') + 14));
    expect(builds).toEqual(expect.arrayContaining(['react/cjs/react.production.js', 'react-reconciler/cjs/react-reconciler.production.js']));
    expect(builds.filter((f) => f.includes('development'))).toEqual([]);
  });
});
