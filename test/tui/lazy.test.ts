// Plain commands must not load the TUI: `arenascope maps` is checked with a
// module hook that records every module Node loads.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/demoTarget.js';

const dir = mkdtempSync(join(tmpdir(), 'arenascope-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loadedModules(args: string[]): { urls: string[]; status: number | null } {
  const log = join(dir, `loaded-${args[0]}.txt`);
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  appendFileSync(${JSON.stringify(log)}, url + '\\n');\n  return next(url, context);\n}\n`);
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, join(repoRoot, 'bin', 'arenascope.js'), ...args], { encoding: 'utf8' });
  return { urls: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [], status: r.status };
}

describe('lazy loading', { timeout: 20_000 }, () => {
  it('arenascope maps loads neither Ink nor React nor the TUI', () => {
    const { urls, status } = loadedModules(['maps', String(process.pid), '--json']);
    expect(status).toBe(0);
    expect(urls.some((u) => u.includes('/dist/commands/maps.js'))).toBe(true);
    expect(urls.filter((u) => /node_modules\/(ink|react|react-reconciler)\//.test(u) || u.includes('/dist/tui/'))).toEqual([]);
  });

  it('the interactive entry does load them (so the check above can fail)', () => {
    // Without a terminal runTui refuses after loading; what matters is what it loaded.
    const { urls } = loadedModules([String(process.pid)]);
    expect(urls.some((u) => u.includes('/dist/tui/run.js'))).toBe(true);
    expect(urls.some((u) => /node_modules\/ink\//.test(u))).toBe(true);
  });
});
