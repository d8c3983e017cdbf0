// The observer's own malloc stays small after its jobs. Its walks and scans
// allocate and free buffers of a few MiB on libuv's worker threads; glibc's
// dynamic threshold would then raise mmap_threshold to the largest of them and
// keep later buffers resident as free top in per-thread arenas (the TUI held
// 55 MiB so). The addon fixes the thresholds when it loads, unless the user
// set malloc's own knobs, and trims after each job. Checked by arenascope on
// a process that ran the engine: itself, read from outside.
import { afterEach, describe, expect, it } from 'vitest';
import { buildC, repoRoot, runCli, startNative, type RunningTarget } from '../support/nativeTarget.js';
import { join } from 'node:path';

let targets: RunningTarget[] = [];
afterEach(async () => {
  for (const t of targets) await t.stop();
  targets = [];
});

interface ArenasJson {
  params: { mmapThreshold: number; trimThreshold: number; dynamicMmapThreshold: boolean };
  totals: { top: number; arenas: number };
}

async function engineAfterJobs(env: NodeJS.ProcessEnv): Promise<ArenasJson> {
  const heap = await startNative(buildC('test/targets/reliability/busy_heap.c'), ['96', '1', 'shuffled']);
  targets.push(heap);
  const engine = await startNative(process.execPath, [join(repoRoot, 'test/targets/node/walk_then_wait.mjs'), String(heap.pid)], env);
  targets.push(engine);
  const r = await runCli(['arenas', String(engine.pid), '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ArenasJson;
}

describe("the inspector's own malloc after a walk and a scan", () => {
  it('keeps mmap and trim thresholds at 128 KiB, not raised by the buffers it freed, and little free top', async () => {
    const own = await engineAfterJobs({});
    expect(own.params.dynamicMmapThreshold).toBe(false);
    expect(own.params.mmapThreshold).toBe(128 * 1024);
    expect(own.params.trimThreshold).toBe(128 * 1024);
    // Each arena's top is trimmed back to under the threshold plus top_pad (malloc.c heap_trim, systrim).
    expect(own.totals.top).toBeLessThanOrEqual(own.totals.arenas * 2 * 128 * 1024);
  }, 120_000);

  it("leaves malloc alone when the user set its knobs: the dynamic threshold then rises as glibc's default does", async () => {
    const own = await engineAfterJobs({ MALLOC_ARENA_MAX: '8' });
    expect(own.params.dynamicMmapThreshold).toBe(true);
    expect(own.params.mmapThreshold).toBeGreaterThan(128 * 1024);
  }, 120_000);
});
