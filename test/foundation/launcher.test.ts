// The installed command, bin/arenascope (a sh script): it runs bin/arenascope.js
// without NODE_EXTRA_CA_CERTS (Node 20 parses that bundle at start-up) and
// otherwise changes nothing: arguments, output and exit status pass through,
// also when it is reached through a symlink, as npm installs it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { inspectorEnv } from '../support/sanitizer.js';
import { repoRoot } from '../tui/helpers/demoTarget.js';

const dir = mkdtempSync(join(tmpdir(), 'arenascope-launcher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const command = join(repoRoot, 'bin', 'arenascope');
// A file that cannot be loaded: Node says so on stderr whenever it reads the
// variable. inspectorEnv: under the sanitizer run, the CLI needs ASan's runtime.
const env = { ...inspectorEnv(), NODE_EXTRA_CA_CERTS: join(dir, 'no-such-bundle.pem') };

describe('bin/arenascope', () => {
  it('starts Node without NODE_EXTRA_CA_CERTS (node bin/arenascope.js does read it)', () => {
    const direct = spawnSync(process.execPath, [join(repoRoot, 'bin', 'arenascope.js'), '--version'], { encoding: 'utf8', env });
    expect(direct.stderr).toContain('Ignoring extra certs');
    const installed = spawnSync(command, ['--version'], { encoding: 'utf8', env });
    expect(installed.stderr).toBe('');
    expect(installed.stdout.trim()).toBe(direct.stdout.trim());
    expect(installed.status).toBe(0);
  });

  it('passes arguments, output and exit status through, also from a symlink', () => {
    const link = join(dir, 'arenascope');
    symlinkSync(command, link);
    // A small target: the maps of this worker under the sanitizer run hold
    // ASan's terabytes of shadow, which the kernel takes a minute to walk for smaps.
    const target = spawn('sleep', ['infinity'], { stdio: 'ignore' });
    try {
      const maps = spawnSync(link, ['maps', String(target.pid), '--json'], { encoding: 'utf8', env });
      expect(maps.status).toBe(0);
      expect(JSON.parse(maps.stdout).pid).toBe(target.pid);
    } finally {
      target.kill('SIGKILL');
    }
    const gone = spawnSync(link, ['maps', '999999999'], { encoding: 'utf8', env });
    expect(gone.status).toBe(ExitCode.noProcess);
    expect(gone.stderr.trim().split('\n')).toHaveLength(1);
    const usage = spawnSync(link, ['maps', 'not-a-pid'], { encoding: 'utf8', env });
    expect(usage.status).toBe(ExitCode.usage);
  });
});
