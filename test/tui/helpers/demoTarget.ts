// A real demo target for the TUI tests: build/demo-target (built by the
// project's build; rebuilt here when its source is newer), started small so tests stay cheap.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..', '..');
export const demoTargetBinary = join(repoRoot, 'build', 'demo-target');

export interface RunningDemo {
  pid: number;
  threads: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Builds build/demo-target when it is missing or older than demo/demo-target.c (the build script decides, and replaces the binary atomically). */
export function ensureDemoTargetBuilt(): void {
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build-demo.mjs')], { stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(demoTargetBinary)) throw new Error('could not build build/demo-target');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function processExists(pid: number): boolean {
  // A zombie still has /proc/PID; it has exited all the same.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Polls check() until it returns a value other than undefined. The deadline
 * only bounds a hang: it is far beyond what the awaited event needs.
 */
export async function waitUntil<T>(what: string, check: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Starts the demo target with --verbose and waits for what it says on stderr:
 * by default until every worker has reached its (small) cap, after which it
 * only churns a few strings per tick, so its heaps hold still while the tests
 * look at them; with `capped: false` only until its workers are started.
 */
export async function startDemo(threads = 6, { capped = true }: { capped?: boolean } = {}): Promise<RunningDemo> {
  ensureDemoTargetBuilt();
  const child = spawn(demoTargetBinary, ['--threads', String(threads), '--cap-mib', '6', '--ramp-seconds', '2', '--verbose'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr += d));
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', reject);
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    await waitUntil(capped ? `${threads} workers of demo-target ${pid} to reach their cap` : `demo-target ${pid} to start its workers`, () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`demo-target exited early: ${stderr}`);
      const started = stderr.includes(`demo-target: pid ${pid}, ${threads} threads`);
      const cappedCount = stderr.split('\n').filter((l) => /^demo-target: worker-\d+ capped$/.test(l)).length;
      return started && (!capped || cappedCount === threads) ? true : undefined;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  // Every worker thread exists (pthread_create returned for all before the "started" line).
  if (readdirSync(`/proc/${pid}/task`).length !== threads + 1) {
    await stop();
    throw new Error(`demo-target ${pid} has ${readdirSync(`/proc/${pid}/task`).length - 1} threads, not ${threads}`);
  }
  return { pid, threads, child, stop };
}
