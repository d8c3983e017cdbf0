// Watching a target while arenascope inspects it, and measuring the inspector:
// thread states and tracer from /proc, the oracle's heartbeat counter, the CLI
// child's peak RSS, and the files a dump leaves behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildC, repoRoot, type CliResult } from './nativeTarget.js';
import { inspectorEnv } from './sanitizer.js';

/** One state letter per thread of pid (R, S, D, t, T, Z...), from /proc/PID/task/TID/stat. */
export function threadStates(pid: number): string[] {
  const states: string[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      states.push(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
    } catch {
      // the thread exited between listing and reading
    }
  }
  return states;
}

export function tracerPid(pid: number): number {
  const m = /^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? -1);
}

/** Every thread of pid in ptrace stop ('t') with tracer as its tracer. */
export function stoppedByTracer(pid: number, tracer: number): boolean {
  const states = threadStates(pid);
  return states.length > 0 && states.every((s) => s === 't') && tracerPid(pid) === tracer;
}

/** Running as far as ptrace is concerned: no thread stopped (t, T) and no tracer. */
export function assertRunningUntraced(pid: number): void {
  const states = threadStates(pid);
  if (states.length === 0) throw new Error(`pid ${pid} has no threads left`);
  const stopped = states.filter((s) => s === 't' || s === 'T');
  if (stopped.length) throw new Error(`pid ${pid}: ${stopped.length} thread(s) stopped (${states.join('')})`);
  const tracer = tracerPid(pid);
  if (tracer !== 0) throw new Error(`pid ${pid} is still traced by ${tracer}`);
}

/** Reads the u64 counter the oracle's --heartbeat thread increments every 10 ms. */
export function readHeartbeat(file: string): bigint {
  const b = Buffer.alloc(8);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, b, 0, 8, 0);
  } finally {
    closeSync(fd);
  }
  return b.readBigUInt64LE(0);
}

export interface WatchReport {
  samples: number;
  /** Thread states seen stopped (t/T), one string of all states per sample that saw one. */
  stoppedSeen: string[];
  tracedSeen: number[];
}

export interface Watch {
  /** Samples taken so far. */
  samples(): number;
  stop(): WatchReport;
}

/**
 * Samples the target's thread states and tracer every few ms until stop() is
 * called. Runs on the test's event loop, so the work being watched must be
 * asynchronous (a CLI child, an AsyncWorker).
 */
export function watchTarget(pid: number): Watch {
  let samples = 0;
  const stoppedSeen: string[] = [];
  const tracedSeen: number[] = [];
  const sample = () => {
    samples++;
    const states = threadStates(pid);
    if (states.some((s) => s === 't' || s === 'T')) stoppedSeen.push(states.join(''));
    const tracer = tracerPid(pid);
    if (tracer !== 0) tracedSeen.push(tracer);
  };
  const timer = setInterval(sample, 5);
  return {
    samples: () => samples,
    stop() {
      clearInterval(timer);
      sample();
      return { samples, stoppedSeen, tracedSeen };
    },
  };
}

export interface MeasuredCliResult extends CliResult {
  /** Peak resident set of the CLI process (VmHWM), KiB. */
  peakRssKiB: number;
}

/** Runs the CLI under test/targets/reliability/peak_rss.c, which reports its ru_maxrss from wait4. */
export async function runCliMeasured(args: string[], options: { onSpawn?: (c: ChildProcess) => void } = {}): Promise<MeasuredCliResult> {
  const wrapper = buildC('test/targets/reliability/peak_rss.c');
  const dir = mkdtempSync(join(tmpdir(), 'arenascope-rss-'));
  const out = join(dir, 'peak');
  try {
    const child = spawn(wrapper, [out, process.execPath, join(repoRoot, 'bin', 'arenascope.js'), ...args], {
      env: { ...inspectorEnv(), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number>((resolve) => child.on('close', (c, sig) => resolve(c ?? (sig ? 128 + constants.signals[sig] : 1))));
    const peakRssKiB = Number(readFileSync(out, 'utf8').trim());
    return { code, stdout, stderr, peakRssKiB };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Entries of dir whose name mentions base: the output, its sidecar, temp files. */
export function leftovers(dir: string, base: string): string[] {
  return readdirSync(dir).filter((n) => n.includes(base));
}
