// Targets that die or change under the inspector while it reads them: a clear
// one-line error with the "no such process" exit code (and no partial output)
// when the target is killed mid-dump, mid-walk (arenas) or mid-scan (strings);
// a complete dump with holes where memory was unmapped mid-read. Nothing here
// depends on how fast anything runs: the inspector is stopped (SIGSTOP) at the
// point the test picked, the target dies or unmaps while it is held there, and
// only then does the inspector go on.
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, statSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { threadStates } from '../support/inspection.js';
import { buildC, runCli, startNative, type CliResult, type RunningTarget } from '../support/nativeTarget.js';

const MiB = 1 << 20;
let target: RunningTarget | undefined;

afterEach(async () => {
  await target?.stop();
  target = undefined;
});

/** The CLI saw its target vanish: exit 3, one line on stderr naming it, nothing on stdout. */
function expectGoneInOneLine(r: CliResult, pid: number): void {
  expect(r.code, r.stderr).toBe(3);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^arenascope: (process ${pid} has exited|no process with pid ${pid})`));
  expect(r.stdout).toBe('');
}

/** Resolves once a temp file in dir has at least minBytes (the dump is under way). */
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

/** Polls check() until it is true; the deadline only bounds a hang. */
async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * Runs `meanwhile` with the CLI stopped: SIGSTOP, wait until every thread of it
 * is stopped (/proc), run it, SIGCONT. Whatever the CLI was doing when it was
 * stopped, it is still doing when it goes on.
 */
async function withCliStopped(cli: ChildProcess, meanwhile: () => Promise<void>): Promise<void> {
  process.kill(cli.pid!, 'SIGSTOP');
  await waitFor('the CLI to stop', () => threadStates(cli.pid!).every((s) => s === 'T'));
  try {
    await meanwhile();
  } finally {
    process.kill(cli.pid!, 'SIGCONT');
  }
}

/** SIGKILLs the target and waits until it has exited (reaped: /proc/PID is gone or a zombie no more). */
async function killTarget(t: RunningTarget): Promise<void> {
  const exited = new Promise((r) => t.child.once('exit', r));
  process.kill(t.pid, 'SIGKILL');
  await exited;
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
    let cli: ChildProcess | undefined;
    const run = runCli(['dump', String(t.pid), `0x${start.toString(16)}`, `0x${end.toString(16)}`, '-o', file], { onSpawn: (c) => (cli = c) });
    // Once the dump has really started writing, far from its end: hold it there and kill the target.
    await whenTempFileGrows(dir, 8 * MiB);
    await withCliStopped(cli!, async () => {
      const written = readdirSync(dir).filter((n) => n.endsWith('.tmp')).map((n) => statSync(join(dir, n)).size);
      killedAt = Math.max(...written);
      await killTarget(t);
    });
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
  it('completes with exactly the unmapped upper half as a hole, the rest as it was', async () => {
    const { t, start, end } = await startShrinkingRegion(512);
    target = t;
    const half = start + (end - start) / 2;
    const dir = mkdtempSync(join(tmpdir(), 'arenascope-unmap-'));
    const file = join(dir, 'shrinking.bin');
    let unmapped = '';
    const unmappedLine = new Promise<void>((resolve) =>
      t.child.stdout!.on('data', (d: Buffer) => {
        const m = /UNMAPPED (0x[0-9a-f]+)/.exec(d.toString());
        if (m) {
          unmapped = m[1]!;
          resolve();
        }
      }),
    );
    let cli: ChildProcess | undefined;
    const run = runCli(['dump', String(t.pid), `0x${start.toString(16)}`, `0x${end.toString(16)}`, '-o', file, '--json'], { onSpawn: (c) => (cli = c) });
    // With 4 MiB written, hold the dump and have the target unmap its upper half meanwhile.
    await whenTempFileGrows(dir, 4 * MiB);
    let writtenWhenUnmapped = 0;
    await withCliStopped(cli!, async () => {
      writtenWhenUnmapped = Math.max(...readdirSync(dir).filter((n) => n.endsWith('.tmp')).map((n) => statSync(join(dir, n)).size));
      t.child.stdin!.write('unmap\n');
      await unmappedLine;
    });
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(unmapped).toBe(`0x${half.toString(16)}`);
    const meta = JSON.parse(r.stdout);
    expect(statSync(file).size).toBe(end - start);
    // The reader runs at most 32 MiB ahead of the writer, which had written
    // writtenWhenUnmapped bytes (far below the half) when the dump was held and
    // the upper half unmapped: the whole upper half is a hole, nothing below it.
    expect(writtenWhenUnmapped + 32 * MiB).toBeLessThan(half - start);
    const holes = meta.holes.map((h: { start: string; end: string }) => ({ start: parseInt(h.start, 16), end: parseInt(h.end, 16) }));
    expect(holes.length).toBeGreaterThan(0);
    expect(holes[0].start).toBe(half);
    expect(holes.at(-1).end).toBe(end);
    for (const [i, h] of holes.entries()) if (i > 0) expect(h.start).toBe(holes[i - 1].end); // contiguous
    expect(meta.holeBytes).toBe(end - half);
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

/** CPU time (utime + stime, clock ticks) of each thread of pid but its main one. */
function workerCpuTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    if (Number(tid) === pid) continue;
    try {
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = fields.slice(fields.lastIndexOf(')') + 2).split(' ');
      out.set(tid, Number(f[11]) + Number(f[12])); // fields 14 and 15: utime, stime
    } catch {
      // thread ended
    }
  }
  return out;
}

/**
 * Calls act() once a thread of the CLI other than its main thread has done
 * 5 ticks of work: the AsyncWorker walking the arenas or scanning (copying
 * target memory with process_vm_readv, then matching it). The main thread only
 * makes the small discovery reads, Node's own helper threads stay near zero,
 * and the walk or scan of the 1 GiB heap takes seconds of CPU, so this is the
 * walk or the scan under way. act() runs with the CLI held (SIGSTOP), so
 * nothing it does can race the CLI's end.
 */
function whenWorkerBusy(cli: ChildProcess, act: () => Promise<void>): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let first: Map<string, number> | null = null;
    let acting = false;
    const poll = setInterval(() => {
      if (cli.pid === undefined) return;
      let now: Map<string, number>;
      try {
        now = workerCpuTicks(cli.pid);
      } catch {
        return; // the CLI exited
      }
      first ??= now;
      for (const [tid, ticks] of now) {
        if (ticks - (first.get(tid) ?? 0) >= 5) {
          clearInterval(poll);
          acting = true;
          withCliStopped(cli, act).then(() => resolve(true), reject);
          return;
        }
      }
    }, 5);
    cli.on('exit', () => {
      clearInterval(poll);
      if (!acting) resolve(false);
    });
  });
}

describe('a target that dies while its heap is read', () => {
  async function killDuring(args: (pid: number) => string[]): Promise<{ r: Awaited<ReturnType<typeof runCli>>; killed: boolean; pid: number }> {
    // Two arenas of 512 MiB of small chunks, a quarter of them on long free lists.
    const t = await startNative(buildC('test/targets/reliability/busy_heap.c'), ['1024', '1', 'shuffled']);
    target = t;
    let acted: Promise<boolean> = Promise.resolve(false);
    const r = await runCli(args(t.pid), { onSpawn: (cli) => (acted = whenWorkerBusy(cli, () => killTarget(t))) });
    const killed = await acted;
    return { r, killed, pid: t.pid };
  }

  it('mid-walk (arenas): exit 3, one stderr line naming the process, no stdout', async () => {
    const { r, killed, pid } = await killDuring((pid) => ['arenas', String(pid), '--bins']);
    expect(killed).toBe(true);
    expectGoneInOneLine(r, pid);
  });

  it('mid-scan (strings of a whole heap, no walk): exit 3, one stderr line naming the process, no stdout', async () => {
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

  it('during the walk or the scan of a default strings run: exit 3, one stderr line naming the process', async () => {
    const { r, killed, pid } = await killDuring((pid) => ['strings', String(pid)]);
    expect(killed).toBe(true);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`(process ${pid} has exited|no process with pid ${pid})`));
  });
});
