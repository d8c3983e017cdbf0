// Shared benchmark plumbing: build a C target, run it to READY, time commands,
// read the target's heartbeat (largest gap between ticks = longest stop).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, openSync, readSync, writeSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function build(source, name, extra = []) {
  const out = join(root, 'build', 'bench', name);
  mkdirSync(dirname(out), { recursive: true });
  execFileSync('gcc', ['-O2', '-pthread', '-fno-builtin', '-o', out, join(root, source), ...extra]);
  return out;
}

export async function start(bin, args) {
  // stdin stays open: the oracle target exits on EOF.
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const pid = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /READY (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (c) => reject(new Error(`target exited ${c}`)));
  });
  return { pid, child, stop: () => child.kill('SIGKILL') };
}

export class Heartbeat {
  constructor(path) {
    this.path = path;
  }
  reset() {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(1n);
    const fd = openSync(this.path, 'r+');
    try {
      writeSync(fd, b, 0, 8, 16); // struct heartbeat: the reset flag is the third u64
    } finally {
      closeSync(fd);
    }
  }
  maxGapMs() {
    const b = Buffer.alloc(24);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, b, 0, 24, 0);
    } finally {
      closeSync(fd);
    }
    return Number(b.readBigUInt64LE(0)) / 1e6;
  }
}

export function timeCommand(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return { ms, stdout: r.stdout.toString() };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function arenaHeapOf(pid) {
  const out = JSON.parse(execFileSync(process.execPath, [join(root, 'bin/arenascope.js'), 'maps', String(pid), '--json', '--kind', 'arena-heap']).toString());
  const biggest = out.regions.sort((a, b) => b.rss - a.rss)[0];
  return { start: biggest.start, end: biggest.end, rss: biggest.rss, size: biggest.size };
}

export { writeFileSync, readFileSync };
