// `arenascope demo`: starts the bundled demo target (build/demo-target) as a
// child and guarantees it ends with us: on quit, on a signal, on a crash (the
// target also watches its parent with PR_SET_PDEATHSIG).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ArenascopeError } from '../errors.js';
import { listThreadIds } from '../proc/threads.js';
import { onCleanup } from '../session/cleanup.js';
import { packageRoot } from '../util/packageRoot.js';

export const demoTargetPath = join(packageRoot(), 'build', 'demo-target');

export interface DemoOptions {
  threads: number;
}

export interface DemoTarget {
  pid: number;
  child: ChildProcess;
  /** Ends the demo target and waits until it is gone. */
  stop(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startDemoTarget(options: DemoOptions): Promise<DemoTarget> {
  if (!existsSync(demoTargetPath)) {
    throw new ArenascopeError('EINVAL', `the demo target is not built (${demoTargetPath}); run \`npm run build\` (needs gcc)`);
  }
  // Without LD_PRELOAD: the demo is there to show glibc's arenas, and a preloaded allocator
  // (jemalloc, a sanitizer's runtime) would replace them. MALLOC_* and GLIBC_TUNABLES pass:
  // trying them on the demo is a use of it.
  const { LD_PRELOAD: _preload, ...env } = process.env;
  const child = spawn(demoTargetPath, ['--threads', String(options.threads)], { stdio: 'ignore', env });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawned = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', (err) => reject(new ArenascopeError('EIO', `cannot start the demo target: ${err.message}`)));
  });
  const unregister = onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  // Wait (briefly) for its worker threads, so the first snapshot already shows their arenas.
  for (let i = 0; i < 40; i++) {
    try {
      if (listThreadIds(spawned).length >= options.threads + 1) break;
    } catch {
      break;
    }
    await sleep(25);
  }
  return {
    pid: spawned,
    child,
    async stop() {
      unregister();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        // Cleared as soon as it has exited: a pending timer would keep us alive for its 2 s.
        const timer = setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }, 2000);
        await exited;
        clearTimeout(timer);
      }
      await exited;
    },
  };
}
