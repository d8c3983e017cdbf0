// `arenas --freeze` and `report --freeze` on a real target: the target really
// stops (every thread in ptrace stop 't', traced by the CLI process, its
// heartbeat counter standing still), runs again afterwards (untraced, the
// counter moving), and the stop time the command reports is present, above
// zero and within the command's own wall time measured from outside. The
// walk of beat_heap's 256 MiB of small chunks keeps the target stopped long
// enough for /proc to be sampled inside the stop.
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertRunningUntraced, readHeartbeat, threadStates, tracerPid } from '../support/inspection.js';
import { buildC, runCli, startNative, type CliResult, type RunningTarget } from '../support/nativeTarget.js';

interface StopWatch {
  /** Samples taken with every thread in ptrace stop and the CLI as tracer. */
  stoppedSamples: number;
  /** Heartbeat values read inside those samples. */
  beatsWhileStopped: Set<bigint>;
  /** Samples with any thread stopped or any tracer at all. */
  touchedSamples: number;
  lastBeat: bigint;
}

/**
 * Runs the CLI and samples the target from /proc every millisecond while it
 * runs. A heartbeat value counts as read inside the stop only when every
 * thread was in 't' with the CLI as tracer both before and after reading it
 * (the freeze is one continuous stop, so it was read during that stop).
 */
async function runWatched(pid: number, heartbeat: string, args: string[]): Promise<{ r: CliResult; watch: StopWatch; wallMs: number }> {
  const watch: StopWatch = { stoppedSamples: 0, beatsWhileStopped: new Set(), touchedSamples: 0, lastBeat: 0n };
  let timer: NodeJS.Timeout | undefined;
  const stoppedBy = (tracer: number) => {
    const states = threadStates(pid);
    return states.length > 0 && states.every((s) => s === 't') && tracerPid(pid) === tracer;
  };
  const start = performance.now();
  const r = await runCli(args, {
    onSpawn: (child: ChildProcess) => {
      timer = setInterval(() => {
        const states = threadStates(pid);
        if (states.some((s) => s === 't' || s === 'T') || tracerPid(pid) !== 0) watch.touchedSamples++;
        if (!stoppedBy(child.pid!)) return;
        const beat = readHeartbeat(heartbeat);
        if (!stoppedBy(child.pid!)) return;
        watch.stoppedSamples++;
        watch.beatsWhileStopped.add(beat);
        watch.lastBeat = beat;
      }, 1);
      child.on('exit', () => clearInterval(timer));
    },
  });
  const wallMs = performance.now() - start;
  clearInterval(timer);
  return { r, watch, wallMs };
}

/** Resolves once the heartbeat moves past `value` (the deadline only bounds a hang). */
async function heartbeatPasses(file: string, value: bigint, timeoutMs = 30_000): Promise<bigint> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = readHeartbeat(file);
    if (now > value) return now;
    if (Date.now() > deadline) throw new Error(`heartbeat stuck at ${now}`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

describe('--freeze: the target stops for the walk, and the reported stop time is real', () => {
  let target: RunningTarget;
  let dir: string;
  let heartbeat: string;
  let tasks: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'arenascope-freeze-'));
    heartbeat = join(dir, 'beat');
    target = await startNative(buildC('test/targets/cli/beat_heap.c'), ['256', heartbeat]);
    tasks = readdirSync(`/proc/${target.pid}/task`).length;
    expect(tasks).toBe(2); // main and the heartbeat thread
  });
  afterAll(async () => {
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const command of ['arenas', 'report'] as const) {
    it(`${command} --json --freeze: every thread stopped with the heartbeat still, stop time within the wall time, running after`, async () => {
      const { r, watch, wallMs } = await runWatched(target.pid, heartbeat, [command, String(target.pid), '--json', '--freeze']);
      expect(r.code, r.stderr).toBe(0);
      const freeze = JSON.parse(r.stdout).freeze as { threads: number; stoppedMs: number } | null;
      expect(freeze).not.toBeNull();
      expect(freeze!.threads).toBe(tasks);
      expect(freeze!.stoppedMs).toBeGreaterThan(0);
      expect(freeze!.stoppedMs).toBeLessThanOrEqual(wallMs);
      // seen stopped by the CLI, all threads, and the counter did not move while it was
      expect(watch.stoppedSamples).toBeGreaterThan(0);
      expect(watch.beatsWhileStopped.size).toBe(1);
      // running again afterwards
      assertRunningUntraced(target.pid);
      await heartbeatPasses(heartbeat, watch.lastBeat);
    });

    it(`${command} without --freeze: freeze null, the target never stopped nor traced`, async () => {
      const { r, watch } = await runWatched(target.pid, heartbeat, [command, String(target.pid), '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).freeze).toBeNull();
      expect(watch.touchedSamples).toBe(0);
    });
  }

  it('the text output states the stop time too', async () => {
    for (const [command, re] of [
      ['arenas', /target stopped ([0-9.]+) ms/],
      ['report', /target stopped ([0-9.]+) ms \(2 threads\) for the arena walk \(--freeze\)/],
    ] as const) {
      const { r, wallMs } = await runWatched(target.pid, heartbeat, [command, String(target.pid), '--freeze']);
      expect(r.code, r.stderr).toBe(0);
      const m = re.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(0);
      expect(Number(m![1])).toBeLessThanOrEqual(wallMs);
    }
    const plain = await runCli(['report', String(target.pid)]);
    expect(plain.stdout).not.toMatch(/target stopped/);
  });
});
