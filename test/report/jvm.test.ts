// JVM awareness on real JVMs (the machine's Java 17): a multi-threaded
// program whose threads malloc natively through zlib (not tracked by NMT),
// run with NMT on (as root and as another user, via jcmd through the attach
// API) and with NMT off (no attach at all).
import { afterAll, describe, expect, it } from 'vitest';
import { effectiveJvmOptions, launcherOptions, parseJavaSize, parseJvmFlags, splitOptionString } from '../../src/analysis/jvm.js';
import { breakdownNames } from '../../src/analysis/rssBreakdown.js';
import { buildReport } from '../../src/commands/report.js';
import { readCmdline, readEnviron } from '../../src/proc/status.js';
import { compileJavaTarget, spawnTarget, stopAll, type Target } from './helpers.js';

afterAll(stopAll);

const MiB = 1024 * 1024;

async function startJava(jvmArgs: string[], env: Record<string, string> = {}, asUser: number | null = null): Promise<Target> {
  const dir = compileJavaTarget();
  const java = ['java', ...jvmArgs, '-cp', dir, 'NativeChurn', '8', '12'];
  const t = asUser === null ? spawnTarget('java', java.slice(1), env) : spawnTarget('setpriv', [`--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', '--', ...java], env);
  expect(await t.nextLine()).toBe('READY');
  return t;
}

const line = (lines: Array<{ name: string; bytes: number }>, name: string): number => lines.find((l) => l.name === name)?.bytes ?? 0;

describe('JVM report with Native Memory Tracking', () => {
  it('finds the JVM, its heap and arenas, and puts NMT committed beside RSS', async () => {
    const t = await startJava(['-XX:NativeMemoryTracking=summary', '-Xmx64m', '-Xms16m']);
    const r = await buildReport(t.pid);
    const j = r.jvm!;
    expect(j).not.toBeNull();
    expect(j.libjvm).toMatch(/libjvm\.so$/);
    expect(j.xmx).toBe(64 * MiB);
    expect(j.xms).toBe(16 * MiB);
    expect(j.flags.nativeMemoryTracking).toBe('summary');
    expect(j.attached.some((c) => c.includes('VM.native_memory summary'))).toBe(true);

    // NMT, parsed from jcmd's real output.
    expect(j.nmt).not.toBeNull();
    const heapCategory = j.nmt!.categories.find((c) => c.name === 'Java Heap')!;
    expect(heapCategory.reserved).toBe(64 * MiB);
    expect(j.nmt!.committed).toBeGreaterThan(heapCategory.committed);
    expect(j.nmt!.categories.reduce((s, c) => s + c.committed, 0)).toBeLessThanOrEqual(j.nmt!.committed + j.nmt!.categories.length * 1024);
    expect(j.nmt!.malloc).toBeGreaterThan(0);

    // The heap range from GC.heap_info is the 64 MiB reservation.
    expect(j.javaHeap!.source).toBe('GC.heap_info');
    expect(j.javaHeap!.end! - j.javaHeap!.start!).toBe(64 * MiB);
    expect(j.javaHeap!.resident!).toBeGreaterThan(0);
    expect(line(r.breakdown, breakdownNames.jvmHeap)).toBe(j.javaHeap!.resident);
    expect(r.breakdown.reduce((s, l) => s + l.bytes, 0)).toBe(r.rss);

    // 8 zlib threads plus the JVM's own: many thread arenas, holding native memory NMT does not see.
    expect(r.arenas!.count).toBeGreaterThanOrEqual(9);
    expect(r.arenas!.resident).toBeGreaterThan(8 * 6 * 256 * 1024);
    const v = j.versusRss!;
    expect(v.rss).toBe(r.rss);
    expect(v.nmtCommitted).toBe(j.nmt!.committed);
    expect(v.gap).toBe(r.rss - j.nmt!.committed);
    expect(v.arenaResident).toBe(r.arenas!.resident);
    expect(v.arenaUntracked).toBe(r.arenas!.resident - j.nmt!.malloc!);
    expect(v.gapExplainedByArenas).toBe(Math.min(Math.max(v.gap, 0), v.arenaUntracked!));
    await t.stop();
  });

  it('runs jcmd as the JVM user when the JVM is not root (Serial GC heap layout)', async () => {
    const t = await startJava(['-XX:NativeMemoryTracking=summary', '-Xmx48m', '-XX:+UseSerialGC'], {}, 65534);
    const r = await buildReport(t.pid);
    const j = r.jvm!;
    expect(j.attached[0]).toMatch(/^setpriv --reuid=65534 --regid=65534 --clear-groups -- /);
    expect(j.nmt).not.toBeNull();
    expect(j.nmt!.categories.find((c) => c.name === 'Java Heap')!.reserved).toBe(48 * MiB);
    expect(j.javaHeap!.source).toBe('GC.heap_info');
    expect(j.javaHeap!.reserved).toBe(48 * MiB);
    expect(j.flags.gc).toBe('Serial');
    await t.stop();
  });

  it('with NMT off: no attach, says how to turn it on, heap found from -Xmx and the mappings', async () => {
    // -Xms below -Xmx keeps the heap's tail reserved (---p), so the kernel cannot
    // merge the heap with the compressed class space mapped right after it.
    const t = await startJava(['-Xmx96m', '-Xms16m', '-XX:+UseSerialGC']);
    const r = await buildReport(t.pid);
    const j = r.jvm!;
    expect(j.attached).toEqual([]);
    expect(j.nmt).toBeNull();
    expect(j.nmtNote).toMatch(/-XX:NativeMemoryTracking=summary/);
    expect(j.javaHeap!.reserved).toBe(96 * MiB);
    expect(j.javaHeap!.source).toBe('flags+mapping');
    expect(j.javaHeap!.end! - j.javaHeap!.start!).toBe(96 * MiB);
    expect(line(r.breakdown, breakdownNames.jvmHeap)).toBeGreaterThan(0);
    expect(r.breakdown.reduce((s, l) => s + l.bytes, 0)).toBe(r.rss);
    await t.stop();
  });

  it('applies JAVA_TOOL_OPTIONS before the command line, as HotSpot does', async () => {
    const t = await startJava(['-Xmx64m'], { JAVA_TOOL_OPTIONS: '-Xmx32m -XX:MaxDirectMemorySize=24m' });
    const flags = parseJvmFlags(effectiveJvmOptions(readCmdline(t.pid), readEnviron(t.pid)));
    expect(flags.xmx).toBe(64 * MiB);
    expect(flags.maxDirectMemorySize).toBe(24 * MiB);
    const r = await buildReport(t.pid, { attach: false });
    expect(r.jvm!.flags.maxDirectMemorySize).toBe(24 * MiB);
    await t.stop();
  });
});

describe('JVM option parsing', () => {
  it('stops at the main class or -jar and skips option values', () => {
    expect(launcherOptions(['java', '-cp', '/x', '-Xss512k', '-Dk=v', 'Main', '-Xmx1g'])).toEqual(['-Xss512k', '-Dk=v']);
    expect(launcherOptions(['/usr/bin/java', '-Xmx2g', '-jar', 'app.jar', '-Xmx9g'])).toEqual(['-Xmx2g']);
  });

  it('reads HotSpot sizes and the NMT mode', () => {
    expect(parseJavaSize('512k')).toBe(512 * 1024);
    expect(parseJavaSize('2G')).toBe(2 * 1024 * MiB);
    expect(parseJavaSize('12x')).toBeNull();
    const f = parseJvmFlags(['-XX:MaxHeapSize=1g', '-XX:NativeMemoryTracking=detail', '-XX:ThreadStackSize=256', '-XX:+UseG1GC']);
    expect(f).toMatchObject({ xmx: 1024 * MiB, nativeMemoryTracking: 'detail', xss: 256 * 1024, gc: 'G1' });
    expect(splitOptionString(` -Xmx1g  "-Dname=a b" `)).toEqual(['-Xmx1g', '-Dname=a b']);
  });
});
