// The target is safe. Without --freeze it is never stopped or traced: a whole
// session runs while its threads' states and its tracer are sampled, and an
// in-target heartbeat goes on counting. With --freeze, every way the inspector can end while
// the target is stopped (SIGINT, SIGTERM, SIGKILL, a failure while frozen, a
// failure after) leaves it running and untraced.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget as OracleTarget } from '../helpers/targets.js';
import { assertRunningUntraced, readHeartbeat, tracerPid, watchTarget } from '../support/inspection.js';
import { buildC, runCli, startNative, type CliResult, type RunningTarget } from '../support/nativeTarget.js';

const hex = (n: number) => `0x${n.toString(16)}`;
const MiB = 1 << 20;

describe('without --freeze the target never stops', () => {
  let oracle: OracleTarget;
  let heartbeat: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'arenascope-safety-'));
    heartbeat = join(dir, 'heartbeat');
    // 4 workers with their own arenas, ~16 MB freed-but-resident memory each to read.
    oracle = await startTarget('oracle', ['--threads', '4', '--keep', '200', '--size', '1000', '--free-pattern', 'bins', '--resident-free', '16000000', '--heartbeat', heartbeat]);
  });
  afterAll(async () => {
    await oracle?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every thread running and untraced through a whole session (watched while each command ran), the heartbeat advancing', async () => {
    const pid = String(oracle.pid);
    const before = readHeartbeat(heartbeat);
    const watch = watchTarget(oracle.pid);
    const results: Array<[string, CliResult, number]> = [];
    const run = async (args: string[]) => {
      // The watch samples on this event loop while the command runs: count the samples between its spawn and its exit.
      let atSpawn = 0;
      let atExit = 0;
      const r = await runCli(args, {
        onSpawn: (child) => {
          atSpawn = watch.samples();
          child.on('exit', () => (atExit = watch.samples()));
        },
      });
      results.push([args.join(' '), r, atExit - atSpawn]);
      return r;
    };
    const maps = await run(['maps', pid, '--json']);
    await run(['maps', pid, '--sort', 'rss']);
    const regions = JSON.parse(maps.stdout).regions as Array<{ start: string; end: string; kind: string; rss: number }>;
    const heaps = regions.filter((r) => r.kind === 'arena-heap' || r.kind === 'main-heap');
    expect(heaps.length).toBe(5);
    for (const [i, h] of heaps.entries()) {
      await run(['dump', pid, '--region', h.start, '-o', join(dir, `heap-${i}.bin`)]);
    }
    const biggest = [...regions].sort((a, b) => b.rss - a.rss)[0]!;
    await run(['dump', pid, biggest.start, biggest.end, '-o', join(dir, 'biggest.bin'), '--json']);
    await run(['arenas', pid]);
    await run(['arenas', pid, '--json', '--bins', '--histogram']);
    await run(['arenas', pid, '--json', '--no-debuginfo']);
    await run(['strings', pid, '--json']);
    await run(['strings', pid, '--suspicious', '2', '--live', '--grep', 'a', '--top', '5']);
    await run(['strings', pid, '--region', biggest.start, '--free']);
    const report = watch.stop();
    for (const [what, r, watched] of results) {
      expect(r.code, `${what}: ${r.stderr}`).toBe(0);
      expect(watched, `samples while '${what}' ran`).toBeGreaterThan(0);
    }
    expect(report.stoppedSeen).toEqual([]);
    expect(report.tracedSeen).toEqual([]);
    // The heartbeat thread (which never allocates) went on counting.
    expect(readHeartbeat(heartbeat)).toBeGreaterThan(before);
    assertRunningUntraced(oracle.pid);
  });

  it('the same watch does see a --freeze (so it can fail)', async () => {
    // A 256 MiB region: the target stays stopped while most of it is read, long enough for a 1 ms poll to see it.
    const region = await startNative(buildC('test/targets/reliability/shrinking_region.c'), ['256']);
    try {
      const [start, end] = region.fields.map((f) => parseInt(f, 16)) as [number, number];
      const watch = watchTarget(region.pid);
      let held = false;
      const r = await runCli(['dump', String(region.pid), hex(start), hex(end), '-o', join(dir, 'frozen.bin'), '--freeze', '--json'], {
        onSpawn: (child) => {
          // Once the target is traced, hold the inspector (SIGSTOP) until the watch has sampled twice more, then let it go on.
          const poll = setInterval(() => {
            if (held || tracerPid(region.pid) === 0) return;
            clearInterval(poll);
            process.kill(child.pid!, 'SIGSTOP');
            held = true;
            const heldAt = watch.samples();
            const wait = setInterval(() => {
              if (watch.samples() < heldAt + 2) return;
              clearInterval(wait);
              process.kill(child.pid!, 'SIGCONT');
            }, 1);
          }, 1);
          child.on('exit', () => clearInterval(poll));
        },
      });
      const report = watch.stop();
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).frozen).toBe(true);
      expect(held).toBe(true);
      expect(report.tracedSeen.length).toBeGreaterThan(0);
      expect(report.stoppedSeen.length).toBeGreaterThan(0);
      assertRunningUntraced(region.pid);
    } finally {
      await region.stop();
      rmSync(join(dir, 'frozen.bin'), { force: true });
    }
  });
});

/**
 * Starts `dump --freeze` of a 1 GiB region and calls act(child) as soon as the
 * target is traced. The region is untouched anonymous memory (it reads as the
 * zero page and costs nothing) and the dump is 16 times the read-ahead, so
 * the target stays frozen while most of it is written.
 */
async function interruptFrozenDump(target: RunningTarget, output: string, act: (child: ChildProcess) => void): Promise<{ r: CliResult; sawTraced: boolean }> {
  const [start, end] = target.fields.map((f) => parseInt(f, 16)) as [number, number];
  return interruptFrozen(target.pid, ['dump', String(target.pid), hex(start), hex(end), '-o', output, '--freeze'], act);
}

/** Runs the CLI with args (which include --freeze) and calls act(child) as soon as pid is traced. */
async function interruptFrozen(pid: number, args: string[], act: (child: ChildProcess) => void): Promise<{ r: CliResult; sawTraced: boolean }> {
  let sawTraced = false;
  const r = await runCli(args, {
    onSpawn: (child) => {
      const poll = setInterval(() => {
        try {
          if (tracerPid(pid) !== 0) {
            sawTraced = true;
            clearInterval(poll);
            act(child);
          }
        } catch {
          clearInterval(poll);
        }
      }, 1);
      child.on('exit', () => clearInterval(poll));
    },
  });
  return { r, sawTraced };
}

describe('with --freeze, every way out leaves the target running and untraced', () => {
  let target: RunningTarget;
  let dir: string;
  beforeAll(async () => {
    target = await startNative(buildC('test/targets/reliability/shrinking_region.c'), ['1024']);
  });
  afterEach(() => {
    assertRunningUntraced(target.pid);
    rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('SIGTERM: exit 143, temp file removed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'arenascope-term-'));
    const { r, sawTraced } = await interruptFrozenDump(target, join(dir, 'f.bin'), (c) => c.kill('SIGTERM'));
    expect(sawTraced).toBe(true);
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toMatch(/interrupted \(SIGTERM\); cleaned up/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('SIGHUP: exit 129, temp file removed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'arenascope-hup-'));
    const { r, sawTraced } = await interruptFrozenDump(target, join(dir, 'f.bin'), (c) => c.kill('SIGHUP'));
    expect(sawTraced).toBe(true);
    expect(r.code, r.stderr).toBe(129);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('SIGKILL of the inspector: the kernel detaches the target', async () => {
    dir = mkdtempSync(join(tmpdir(), 'arenascope-kill-'));
    const { r, sawTraced } = await interruptFrozenDump(target, join(dir, 'f.bin'), (c) => c.kill('SIGKILL'));
    expect(sawTraced).toBe(true);
    expect(r.code).toBe(137); // killed by SIGKILL
    // No cleanup can run: only the 0600 temp file may be left, never the output.
    expect(readdirSync(dir).filter((n) => !/^\.f\.bin\.\d+\.[0-9a-f]+\.tmp$/.test(n))).toEqual([]);
  });

  it('a write failure while frozen (disk full): exit 9, one line, nothing left', async () => {
    dir = mkdtempSync(join(tmpdir(), 'arenascope-full-'));
    const mnt = join(dir, 'small');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    try {
      // The first 4 MiB chunk cannot be written; the reader, 32 MiB ahead at most, has not finished reading.
      const { r } = await interruptFrozenDump(target, join(mnt, 'f.bin'), () => {});
      expect(r.code, r.stderr).toBe(9);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/no space left on device/i);
      expect(readdirSync(mnt)).toEqual([]);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it('a failure after the freeze (output directory removed mid-run): exit 9, nothing left', async () => {
    dir = mkdtempSync(join(tmpdir(), 'arenascope-gone-'));
    const out = join(dir, 'sub');
    mkdirSync(out);
    const { r, sawTraced } = await interruptFrozenDump(target, join(out, 'f.bin'), () => rmSync(out, { recursive: true, force: true }));
    expect(sawTraced).toBe(true);
    expect(r.code, r.stderr).toBe(9);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // the directory may vanish before the rename or before the record's temp file is created
    expect(r.stderr).toMatch(/cannot (write|create) .*f\.bin/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('arenas --freeze interrupted', () => {
  let target: RunningTarget;
  beforeAll(async () => {
    // 1 GiB of small chunks with long shuffled free lists: a walk of seconds.
    target = await startNative(buildC('test/targets/reliability/busy_heap.c'), ['1024', '1', 'shuffled']);
  });
  afterEach(() => {
    assertRunningUntraced(target.pid);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('by SIGINT: exit 130, target running and untraced', async () => {
    const { r, sawTraced } = await interruptFrozen(target.pid, ['arenas', String(target.pid), '--freeze', '--bins'], (c) => c.kill('SIGINT'));
    expect(sawTraced).toBe(true);
    expect(r.code, r.stderr).toBe(130);
  });

  it('by SIGKILL: the kernel detaches, target running and untraced', async () => {
    const { r, sawTraced } = await interruptFrozen(target.pid, ['arenas', String(target.pid), '--freeze'], (c) => c.kill('SIGKILL'));
    expect(sawTraced).toBe(true);
    expect(r.code).toBe(137);
  });

  it('by SIGTERM, with the histogram: exit 143, target running and untraced', async () => {
    const { r, sawTraced } = await interruptFrozen(target.pid, ['arenas', String(target.pid), '--freeze', '--histogram'], (c) => c.kill('SIGTERM'));
    expect(sawTraced).toBe(true);
    expect(r.code, r.stderr).toBe(143);
  });
});
