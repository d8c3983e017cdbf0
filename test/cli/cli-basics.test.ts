// The README's general promises about the commands: `--help` on each shows
// examples, `maps --sort size|addr` orders the regions as /proc/PID/maps
// sizes say, `dump --output` is `-o`, and colour follows the terminal (a pty
// from util-linux `script`) and is off with NO_COLOR or when piped.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMaps, readMemory } from '../helpers/heapWalk.js';
import { startTarget, type RunningTarget } from '../helpers/targets.js';
import { inspectorShellPrefix } from '../support/sanitizer.js';
import { repoRoot, runCli } from '../support/nativeTarget.js';

const execFileAsync = promisify(execFile);
const sgr = /\u001b\[[0-9;]*m/;

describe('--help', () => {
  for (const command of ['maps', 'arenas', 'strings', 'report', 'dump', 'demo']) {
    it(`${command} --help: exit 0, usage and examples of ${command}`, async () => {
      const r = await runCli([command, '--help']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: arenascope ${command} `));
      const examples = r.stdout.split('\nExamples:\n')[1];
      expect(examples, r.stdout).toBeDefined();
      const lines = examples!.split('\n').filter((l) => l.trim().startsWith('$ '));
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(l.trim()).toMatch(new RegExp(`^\\$ arenascope ${command}\\b`));
    });
  }

  it('arenascope with no arguments prints the help (exit 0); a word that is neither a command nor a pid is a usage error (exit 2)', async () => {
    const r = await runCli([]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: arenascope /);
    expect(r.stdout).toMatch(/\nExamples:\n/);
    const bad = await runCli(['mpas']);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/unknown command or not a pid: 'mpas'/);
  });
});

describe('on an oracle target', () => {
  let target: RunningTarget;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'arenascope-basics-'));
    target = await startTarget('oracle', ['--threads', '2', '--keep', '20', '--size', '300']);
  });
  afterAll(async () => {
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('maps --sort addr (the default) and --sort size order the regions /proc/PID/maps lists', async () => {
    const regionsOf = async (...extra: string[]) => {
      const r = await runCli(['maps', String(target.pid), '--json', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout).regions as Array<{ start: string; size: number }>).map((x) => ({ start: parseInt(x.start, 16), size: x.size }));
    };
    const proc = readMaps(target.pid).map((m) => ({ start: m.start, size: m.end - m.start }));
    const byAddr = await regionsOf();
    expect(byAddr).toEqual(proc);
    expect(await regionsOf('--sort', 'addr')).toEqual(proc);
    const bySize = await regionsOf('--sort', 'size');
    expect(bySize).toEqual([...proc].sort((a, b) => b.size - a.size || a.start - b.start));
    expect(bySize[0]!.size).toBeGreaterThan(bySize[bySize.length - 1]!.size);
    const bad = await runCli(['maps', String(target.pid), '--sort', 'name']);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/--sort must be addr, size or rss/);
  });

  it('dump --output FILE is -o FILE: the bytes an independent read of /proc/PID/mem gives', async () => {
    const heap = readMaps(target.pid).find((m) => m.path === '[heap]')!;
    const file = join(dir, 'heap.bin');
    const r = await runCli(['dump', String(target.pid), `0x${heap.start.toString(16)}`, `0x${heap.start.toString(16)}+8192`, '--output', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(file).equals(readMemory(target.pid, heap.start, 8192))).toBe(true);
  });

  it('colour: on a terminal the report has escape codes; with NO_COLOR set, or piped, it has none', async () => {
    // script runs without the sanitizer preload; only the CLI it starts gets it.
    const env = { ...process.env };
    delete env.NO_COLOR;
    delete env.FORCE_COLOR;
    const command = `${inspectorShellPrefix()}${process.execPath} ${join(repoRoot, 'bin', 'arenascope.js')} report ${target.pid}`;
    // util-linux script runs the command on a pseudo-terminal
    const tty = await execFileAsync('script', ['-qec', command, '/dev/null'], { env, maxBuffer: 16 * 1024 * 1024 });
    expect(tty.stdout).toMatch(/arenascope report: pid/);
    expect(tty.stdout).toMatch(sgr);
    const noColor = await execFileAsync('script', ['-qec', command, '/dev/null'], { env: { ...env, NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 });
    expect(noColor.stdout).toMatch(/arenascope report: pid/);
    expect(noColor.stdout).not.toMatch(sgr);
    const piped = await runCli(['report', String(target.pid)], { env: { NO_COLOR: '' } });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).not.toMatch(sgr);
  });
});
