// scanStrings against a real process: a C target mallocs known strings a
// known number of times; the scan of its [heap] from /proc/PID/maps must find
// exactly those counts.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { addon, scan } from './strings-helpers.js';
import { childEnv } from '../support/childEnv.js';

const fixture = fileURLToPath(new URL('./fixtures/strings_holder.c', import.meta.url));
let dir = '';
let exe = '';

interface Target {
  child: ChildProcess;
  counts: number[];
}

async function startTarget(): Promise<Target> {
  const child = spawn(exe, [], { stdio: ['ignore', 'pipe', 'inherit'], env: childEnv() });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.on('exit', (code) => reject(new Error(`target exited early (${code})`)));
  });
  const [word, ...nums] = line.split(' ');
  expect(word).toBe('ready');
  return { child, counts: nums.map(Number) };
}

function heapRange(pid: number): { start: number; end: number } {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  const line = maps.split('\n').find((l) => l.endsWith('[heap]'));
  if (!line) throw new Error('no [heap] mapping');
  const [start, end] = line.split(' ')[0]!.split('-').map((h) => parseInt(h, 16));
  return { start: start!, end: end! };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'arenascope-strings-'));
  exe = join(dir, 'strings_holder');
  execFileSync('gcc', ['-O1', '-o', exe, fixture], { env: childEnv() });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('scanStrings on a live process', () => {
  it('counts the strings the target malloc-ed in its heap', async () => {
    const t = await startTarget();
    try {
      const pid = t.child.pid!;
      const [alpha, beta, wide] = t.counts as [number, number, number];
      const src = addon.MemorySource.forProcess(pid);
      const range = heapRange(pid);
      const r = await scan(src, [range], { encoding: 'both', top: 20, samples: 50, grep: 'marker' });
      const found = Object.fromEntries(r.strings.map((s) => [`${s.encoding}:${s.text}`, s.count]));
      expect(found).toEqual({
        'ascii:arenascope-live-marker-alpha': alpha,
        'ascii:arenascope-live-marker-beta-0123456789': beta,
        'utf16le:wide-live-marker': wide,
      });
      expect(r.holeBytes).toBe(0);
      expect(r.bytesScanned).toBe(range.end - range.start);
      // Samples point at real copies: read them back independently.
      for (const s of r.samples) {
        const bytes = s.encoding === 'ascii' ? s.length : s.length * 2;
        const back = src.read(s.address, bytes).data as Buffer;
        expect(back.toString(s.encoding === 'ascii' ? 'latin1' : 'utf16le')).toBe(s.text);
      }
      // The target is still running: the scan did not stop or kill it.
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0]).toMatch(/[SR]/);
    } finally {
      await stop(t.child);
    }
  });

  it('rejects with ESRCH once the process is gone', async () => {
    const t = await startTarget();
    const pid = t.child.pid!;
    const range = heapRange(pid);
    const src = addon.MemorySource.forProcess(pid);
    await stop(t.child);
    await expect(scan(src, [range])).rejects.toMatchObject({ code: 'ESRCH' });
  });
});
