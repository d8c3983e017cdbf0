// `report --no-attach` and `report --jcmd-timeout SECONDS` on a real JVM with
// Native Memory Tracking on. Whether arenascope attached is read from the JVM
// itself: HotSpot starts its "Attach Listener" thread and creates
// /tmp/.java_pid<PID> only when something attaches. A JVM stopped with
// SIGSTOP (after its listener exists) accepts jcmd's connection and never
// answers, so only the timeout ends jcmd.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/nativeTarget.js';
import { compileJavaTarget, spawnTarget, stopAll, type Target } from './helpers.js';

afterAll(stopAll);


/** Thread names of pid, from /proc/PID/task/TID/comm. */
function threadNames(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  });
}

/** What the JVM shows of an attach: its listener thread and its socket file. */
function attachTraces(pid: number): { listener: boolean; socket: boolean } {
  return { listener: threadNames(pid).includes('Attach Listener'), socket: existsSync(`/tmp/.java_pid${pid}`) };
}

/** Every thread of pid in state letter `state` (from /proc/PID/task/TID/stat); waits up to a generous deadline. */
async function waitForStates(pid: number, pred: (s: string) => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = readdirSync(`/proc/${pid}/task`).map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    });
    if (states.every(pred)) return;
    if (Date.now() > deadline) throw new Error(`pid ${pid} thread states ${states.join('')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface JvmJson {
  attached: string[];
  nmt: { committed: number } | null;
  nmtNote: string | null;
}

async function reportJvm(pid: number, extra: string[]): Promise<JvmJson> {
  const r = await runCli(['report', String(pid), '--json', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).jvm as JvmJson;
}

describe('report on a JVM with -XX:NativeMemoryTracking=summary', () => {
  let jvm: Target;
  beforeAll(async () => {
    const dir = compileJavaTarget();
    jvm = spawnTarget('java', ['-XX:NativeMemoryTracking=summary', '-Xmx64m', '-cp', dir, 'NativeChurn', '2', '4']);
    expect(await jvm.nextLine()).toBe('READY');
  });
  afterAll(async () => {
    if (jvm) {
      try {
        process.kill(jvm.pid, 'SIGCONT');
      } catch {
        // already gone
      }
      await jvm.stop();
    }
  });

  it('--no-attach: no jcmd, and the JVM never starts its attach listener; without it, report attaches', async () => {
    expect(attachTraces(jvm.pid)).toEqual({ listener: false, socket: false });
    const j = await reportJvm(jvm.pid, ['--no-attach']);
    expect(j.attached).toEqual([]);
    expect(j.nmt).toBeNull();
    expect(j.nmtNote).toMatch(/attaching with jcmd was disabled \(--no-attach\)/);
    expect(attachTraces(jvm.pid)).toEqual({ listener: false, socket: false });
    // the same observation sees an attach when there is one
    const attached = await reportJvm(jvm.pid, []);
    expect(attached.attached.map((c) => c.split(' ').slice(1).join(' '))).toEqual([`${jvm.pid} VM.native_memory summary`, `${jvm.pid} GC.heap_info`]);
    expect(attached.nmt!.committed).toBeGreaterThan(0);
    expect(attachTraces(jvm.pid)).toEqual({ listener: true, socket: true });
  });

  it('--jcmd-timeout N: jcmd against a stopped JVM is given up after N seconds', async () => {
    // the listener exists (first test, or attach now): jcmd connects, then waits for an answer
    if (!attachTraces(jvm.pid).socket) await reportJvm(jvm.pid, []);
    expect(attachTraces(jvm.pid).socket).toBe(true);
    process.kill(jvm.pid, 'SIGSTOP');
    try {
      await waitForStates(jvm.pid, (s) => s === 'T');
      const j = await reportJvm(jvm.pid, ['--jcmd-timeout', '2']);
      expect(j.nmtNote).toBe('jcmd did not answer within 2 s');
      expect(j.nmt).toBeNull();
      expect(j.attached).toHaveLength(1);
      expect(j.attached[0]).toMatch(/jcmd \d+ VM\.native_memory summary$/);
    } finally {
      process.kill(jvm.pid, 'SIGCONT');
    }
    await waitForStates(jvm.pid, (s) => s !== 'T');
  });

  it('rejects a --jcmd-timeout that is not a number of seconds in (0, 3600] (exit 2)', async () => {
    for (const bad of ['0', '-1', '3601', 'soon']) {
      const r = await runCli(['report', String(jvm.pid), '--jcmd-timeout', bad]);
      expect(r.code, `${bad}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/seconds: a number above 0, at most 3600/);
    }
  });
});
