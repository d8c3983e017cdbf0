// Targets that die or change under the inspector while it reads them: a clear
// one-line error with the "no such process" exit code (and no partial output)
// when the target is killed mid-dump, mid-walk (arenas) or mid-scan (strings);
// a complete dump with holes where memory was unmapped mid-read.
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, statSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { buildC, runCli, startNative, type CliResult, type RunningTarget } from '../support/nativeTarget.js';

const MiB = 1 << 20;
let target: RunningTarget | undefined;

afterEach(async () => {
  await target?.stop();
  target = undefined;
});

/** Resolves once a temp file in dir has at least minBytes (the dump is under way). */
/** The CLI saw its target vanish: exit 3, one line on stderr naming it, nothing on stdout. */
function expectGoneInOneLine(r: CliResult, pid: number): void {
  expect(r.code, r.stderr).toBe(3);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^arenascope: (process ${pid} has exited|no process with pid ${pid})`));
  expect(r.stdout).toBe('');
}

function whenTempFileGrows(dir: string, minBytes: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      for (const name of readdirSync(dir)) {
        if (!name.endsWith('.tmp')) continue;
        try {
          if (statSync(join(dir, name)).size >= minBytes) {
            clearInterval(poll);
            watcher.close();
            resolve();
            return;
          }
        } catch {
          // renamed or removed meanwhile
        }
      }
    };
    const watcher = watch(dir, check);
    const poll = setInterval(check, 2);
  });
}

async function startShrinkingRegion(mib: number): Promise<{ t: RunningTarget; start: number; end: number }> {
  const t = await startNative(buildC('test/targets/reliability/shrinking_region.c'), [String(mib)]);
  const [start, end] = t.fields.map((f) => parseInt(f, 16)) as [number, number];
  return { t, start, end };
}

describe('a target that dies mid-dump', () => {
  it('exits 3 with one line naming the process, and leaves neither the file nor a temp file', async () => {
    const { t, start, end } = await startShrinkingRegion(1024);
    target = t;
    const dir = mkdtempSync(join(tmpdir(), 'arenascope-dies-'));
    const file = join(dir, 'dying.bin');
    let killedAt = -1;
    const run = runCli(['dump', String(t.pid), `0x${start.toString(16)}`, `0x${end.toString(16)}`, '-o', file]);
    // Kill once the dump has really started writing, far from its end.
    await whenTempFileGrows(dir, 8 * MiB);
    const written = readdirSync(dir).filter((n) => n.endsWith('.tmp')).map((n) => statSync(join(dir, n)).size);
    killedAt = Math.max(...written);
    process.kill(t.pid, 'SIGKILL');
    const r = await run;
    expect(killedAt).toBeLessThan(end - start);
    expect(r.code, r.stderr).toBe(3);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^arenascope: process ${t.pid} has exited`));
    expect(r.stdout).toBe('');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('a region unmapped while it is being dumped', () => {
  it('completes with the unmapped part as holes, the rest as it was', async () => {
    const { t, start, end } = await startShrinkingRegion(512);
    target = t;
    const half = start + (end - start) / 2;
    const dir = mkdtempSync(join(tmpdir(), 'arenascope-unmap-'));
    const file = join(dir, 'shrinking.bin');
    let unmapped = '';
    t.child.stdout!.on('data', (d: Buffer) => {
      const m = /UNMAPPED (0x[0-9a-f]+)/.exec(d.toString());
      if (m) unmapped = m[1]!;
    });
    const run = runCli(['dump', String(t.pid), `0x${start.toString(16)}`, `0x${end.toString(16)}`, '-o', file, '--json']);
    await whenTempFileGrows(dir, 4 * MiB);
    t.child.stdin!.write('unmap\n');
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(unmapped).toBe(`0x${half.toString(16)}`);
    const meta = JSON.parse(r.stdout);
    expect(statSync(file).size).toBe(end - start);
    // The reader runs at most 64 MiB ahead of the writer, and the writer had
    // written 4 MiB when the unmap was asked for: most of the upper half is a
    // hole, which ends exactly at the region's end; nothing below it is.
    expect(meta.holes.length).toBeGreaterThan(0);
    const holes = meta.holes.map((h: { start: string; end: string }) => ({ start: parseInt(h.start, 16), end: parseInt(h.end, 16) }));
    for (const h of holes) expect(h.start).toBeGreaterThanOrEqual(half);
    expect(holes.at(-1).end).toBe(end);
    expect(meta.holeBytes).toBeGreaterThan((end - half) / 2);
    expect(meta.bytesRead + meta.holeBytes).toBe(end - start);
    // Every MiB stamp below the unmapped half is intact.
    const fd = openSync(file, 'r');
    try {
      const stamp = Buffer.alloc(8);
      for (let off = 0; off < half - start; off += MiB) {
        readSync(fd, stamp, 0, 8, off);
        expect(stamp.readBigUInt64LE(0)).toBe(BigInt(off) ^ 0x5a5a5a5a00000000n);
      }
      // what became a hole reads as zeros
      const hole = Buffer.alloc(MiB, 0xff);
      readSync(fd, hole, 0, MiB, holes[0].start - start);
      expect(hole.every((b) => b === 0)).toBe(true);
    } finally {
      closeSync(fd);
    }
  });
});

/** Kernel time (stime, clock ticks) of each thread of pid but its main one. */
function workerSystemTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    if (Number(tid) === pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      out.set(tid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12])); // field 15, stime
    } catch {
      // thread ended
    }
  }
  return out;
}

/**
 * Calls act() once a thread of the CLI other than its main thread has spent
 * 30 ms in the kernel: an AsyncWorker copying target memory with
 * process_vm_readv (the walk or the scan; the main thread only makes the
 * small discovery reads, and Node's own helper threads do not sit in the
 * kernel). /proc/TID/syscall cannot tell: it says "running" for a thread
 * busy inside a syscall.
 */
function whenWorkerReads(cli: ChildProcess, act: () => void): void {
  let done = false;
  let first: Map<string, number> | null = null;
  const poll = setInterval(() => {
    if (done || cli.pid === undefined) return;
    try {
      const now = workerSystemTicks(cli.pid);
      if (!first) {
        first = now;
        return;
      }
      for (const [tid, ticks] of now) {
        if (ticks - (first.get(tid) ?? 0) >= 3) {
          done = true;
          clearInterval(poll);
          act();
          return;
        }
      }
    } catch {
      // the CLI exited
    }
  }, 2);
  cli.on('exit', () => clearInterval(poll));
}

describe('a target that dies while its heap is read', () => {
  async function killDuring(args: (pid: number) => string[]): Promise<{ r: Awaited<ReturnType<typeof runCli>>; killed: boolean; pid: number }> {
    // Two arenas of 512 MiB of small chunks, a quarter of them on long free lists.
    const t = await startNative(buildC('test/targets/reliability/busy_heap.c'), ['1024', '1', 'shuffled']);
    target = t;
    let killed = false;
    const r = await runCli(args(t.pid), {
      onSpawn: (cli) =>
        whenWorkerReads(cli, () => {
          killed = true;
          process.kill(t.pid, 'SIGKILL');
        }),
    });
    return { r, killed, pid: t.pid };
  }

  it('mid-walk (arenas): exit 3, one line', async () => {
    const { r, killed, pid } = await killDuring((pid) => ['arenas', String(pid), '--bins']);
    expect(killed).toBe(true);
    expectGoneInOneLine(r, pid);
  });

  it('mid-scan (strings of a whole heap, no walk): exit 3, one line', async () => {
    let heap = '';
    const { r, killed, pid } = await killDuring((pid) => {
      const line = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').find((l) => l.endsWith('[heap]'))!;
      heap = `0x${line.split('-')[0]}`;
      return ['strings', String(pid), '--region', heap, '--json'];
    });
    expect(heap).not.toBe('');
    expect(killed).toBe(true);
    expectGoneInOneLine(r, pid);
  });

  it('during the walk or the scan of a default strings run: exit 3, one line', async () => {
    const { r, killed, pid } = await killDuring((pid) => ['strings', String(pid)]);
    expect(killed).toBe(true);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`(process ${pid} has exited|no process with pid ${pid})`));
  });
});
