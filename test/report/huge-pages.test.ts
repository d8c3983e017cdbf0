// The report's arena rows carry the transparent huge pages of each arena's heaps
// (glibc 2.43+ may advise arena heaps MADV_HUGEPAGE: malloc.c madvise_thp). The
// target advises [heap + 2 MiB, heap + 4 MiB) of its thread arena's heap and
// touches it; the truth is /proc/PID/smaps, read here.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, renderReport, reportJson, type Report } from '../../src/commands/report.js';
import { formatBytes, hex } from '../../src/util/format.js';
import { buildC, runCli, startNative, type RunningTarget } from '../support/nativeTarget.js';

const MiB = 1024 * 1024;
const heapMax = 64 * MiB;

/** AnonHugePages and the path of every mapping by start address, from /proc/PID/smaps. */
function smapsHuge(pid: number): Array<{ start: number; path: string; anonHugePages: number }> {
  const out: Array<{ start: number; path: string; anonHugePages: number }> = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) out.push({ start: parseInt(head[1]!, 16), path: head[2]!, anonHugePages: 0 });
    const m = /^AnonHugePages:\s+(\d+) kB/.exec(line);
    if (m) out[out.length - 1]!.anonHugePages = Number(m[1]) * 1024;
  }
  return out;
}

const thpMode = /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))![1]!;
let target: RunningTarget;
let heap: number;
let report: Report;
let truth: ReturnType<typeof smapsHuge>;

beforeAll(async () => {
  target = await startNative(buildC('test/targets/foundation/thp_arena.c'));
  heap = Number(target.fields.find((f) => f.startsWith('heap='))!.slice('heap='.length));
  report = await buildReport(target.pid);
  truth = smapsHuge(target.pid);
});
afterAll(async () => {
  await target?.stop();
});

describe('report: transparent huge pages per arena', () => {
  it('gives each arena the AnonHugePages of the mappings holding its heaps', () => {
    const rows = report.arenas!.perArena!;
    expect(rows).toHaveLength(2);
    const thread = rows.find((r) => !r.main)!;
    const main = rows.find((r) => r.main)!;
    // The thread arena lives in the heap the target reported (heap_info, then malloc_state).
    expect(thread.address >= heap && thread.address < heap + heapMax).toBe(true);
    const inHeap = truth.filter((m) => m.start >= heap && m.start < heap + heapMax).reduce((s, m) => s + m.anonHugePages, 0);
    expect(thread.anonHugePages).toBe(inHeap);
    expect(main.anonHugePages).toBe(truth.filter((m) => m.path === '[heap]').reduce((s, m) => s + m.anonHugePages, 0));
    expect(report.arenas!.anonHugePages).toBe(thread.anonHugePages + main.anonHugePages);
    if (thpMode === 'never') expect(inHeap).toBe(0);
    else expect(inHeap, `THP is "${thpMode}" but the advised heap range holds no huge page`).toBeGreaterThan(0);
    const json = JSON.parse(JSON.stringify(reportJson(report)));
    expect(json.arenas.anonHugePages).toBe(report.arenas!.anonHugePages);
    expect(json.arenas.perArena.find((r: { address: string }) => r.address === hex(thread.address)).anonHugePages).toBe(thread.anonHugePages);
  });

  it('shows a THP column and the arenas\' huge pages in text when there are any', () => {
    const text = renderReport(report);
    const a = report.arenas!;
    const header = text.split('\n').find((l) => /^ +Arena +Reserved +Resident/.test(l))!;
    expect(header.split(/\s+/).includes('THP')).toBe(a.perArena!.some((r) => r.anonHugePages > 0));
    if (a.anonHugePages > 0) {
      expect(text).toContain(`resident ${formatBytes(a.resident)} (${formatBytes(a.anonHugePages)} in transparent huge pages)`);
      const thread = a.perArena!.find((r) => !r.main)!;
      const line = text.split('\n').find((l) => l.trim().startsWith(hex(thread.address)))!;
      expect(line).toMatch(new RegExp(`${formatBytes(thread.resident).replace('.', '\\.')} +${formatBytes(thread.anonHugePages).replace('.', '\\.')} `));
    } else {
      expect(text).not.toContain('transparent huge pages');
    }
  });

  it('as the CLI: report --json carries anonHugePages per arena', async () => {
    const r = await runCli(['report', String(target.pid), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    const thread = json.arenas.perArena.find((x: { main: boolean }) => !x.main);
    const inHeap = smapsHuge(target.pid).filter((m) => m.start >= heap && m.start < heap + heapMax).reduce((s, m) => s + m.anonHugePages, 0);
    expect(thread.anonHugePages).toBe(inHeap);
  });
});
