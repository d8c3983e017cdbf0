// A real demo target for the TUI tests: build/demo-target (built by the
// project's build; built here if missing), started small so tests stay cheap.
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

export function ensureDemoTargetBuilt(): void {
  if (existsSync(demoTargetBinary)) return;
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
 * Starts the demo target and waits until all its threads run and have
 * allocated for settleMs. It reaches its (small) cap within two seconds and
 * then only churns, so its heaps stop growing while the tests look at them.
 */
export async function startDemo(threads = 6, settleMs = 2500): Promise<RunningDemo> {
  ensureDemoTargetBuilt();
  const child = spawn(demoTargetBinary, ['--threads', String(threads), '--cap-mib', '6', '--ramp-seconds', '2'], { stdio: 'ignore' });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', reject);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 100 && readdirSync(`/proc/${pid}/task`).length < threads + 1; i++) await sleep(20);
  await sleep(settleMs);
  return {
    pid,
    threads,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
