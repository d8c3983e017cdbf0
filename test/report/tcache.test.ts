// The report's tcache section and the tcache-held advice, on targets whose threads
// fill their tcaches: every thread frees 17 chunks of each of the 64 tcache sizes
// and counts, with mallinfo2, which frees went into its tcache (test/targets/report/
// tcache_fill.c). The expected numbers are the target's own counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advise, minTcacheBytesForAdvice, suggestedTcacheCount, tcacheBytesForAdvice, tcacheShareOfArenas, type AdviceInput } from '../../src/analysis/advice.js';
import { buildContext } from '../../src/analysis/context.js';
import { residencyRows } from '../../src/analysis/residency.js';
import { adviceInput, buildReport, renderReport, reportJson, type Report } from '../../src/commands/report.js';
import { sampleProcess } from '../../src/engine/sample.js';
import { detectAllocatorForPid } from '../../src/glibc/allocator.js';
import { readMaps } from '../../src/proc/maps.js';
import { formatBytes, hex } from '../../src/util/format.js';
import { runCli } from '../support/nativeTarget.js';
import { buildTarget, spawnTarget, stopAll, type Target } from './helpers.js';

const MiB = 1024 * 1024;
/** Chunk sizes 0x20..0x410: the tcache bins under the default tcache_max (malloc.c csize2tidx). */
const tcacheSizes = 64;

interface Filled {
  t: Target;
  /** What each thread (0 = main) counted into its own tcache: chunks and bytes. */
  own: Array<{ chunks: number; bytes: number }>;
  report: Report;
  input: AdviceInput;
}

async function fill(args: string[]): Promise<Filled> {
  const t = spawnTarget(buildTarget('tcache_fill'), args);
  const own: Array<{ chunks: number; bytes: number }> = [];
  for (const line of await t.linesUntil('ready')) {
    const [word, thread, chunks, bytes] = line.split(' ');
    expect(word).toBe('tcache');
    own[Number(thread)] = { chunks: Number(chunks), bytes: Number(bytes) };
  }
  const snapshot = await sampleProcess(t.pid, { withResidency: true });
  expect(snapshot.mallocError).toBeNull();
  const report = await buildReport(t.pid, { snapshot });
  const ctx = buildContext(t.pid, snapshot, detectAllocatorForPid(t.pid, readMaps(t.pid)));
  const input = adviceInput(ctx, report.rss, residencyRows(snapshot.malloc!), report.arenas, snapshot.malloc!.heapMaxSize, report.tcache);
  return { t, own, report, input };
}

const sum = (xs: Array<{ chunks: number; bytes: number }>) => ({ chunks: xs.reduce((s, x) => s + x.chunks, 0), bytes: xs.reduce((s, x) => s + x.bytes, 0) });
const rules = (i: AdviceInput): string[] => advise(i).map((a) => a.rule);
const pairs = (xs: Array<{ chunks: number; bytes: number }>): string[] => xs.map((x) => `${x.chunks}/${x.bytes}`).sort();

let full: Filled;
beforeAll(async () => {
  // 40 workers and main, one arena each up to glibc's cap, threads sharing arenas beyond it.
  full = await fill(['--threads', '40']);
});
afterAll(stopAll);

describe('tcache in the report, on 41 threads with full tcaches', () => {
  it('finds every thread\'s tcache, each holding what the thread counted into it', () => {
    const tc = full.report.tcache!;
    expect(full.own).toHaveLength(41);
    expect(tc.structs).toBe(41);
    expect(pairs(tc.perThread)).toEqual(pairs(full.own));
    expect({ chunks: tc.chunks, bytes: tc.bytes }).toEqual(sum(full.own));
    // Every bin is full (17 freed per size, more than any default fill count): the chunks per thread are tcache_count per size.
    const perThread = full.own[0]!.chunks;
    expect(perThread % tcacheSizes).toBe(0);
    expect(tc.count).toBe(perThread / tcacheSizes);
    expect(tc.defaultCount).toBe(tc.count); // the target sets no tunable
    // Each tcache lies in the arena the report names for it: that arena's heaps hold it.
    const arenas = new Map(full.report.arenas!.perArena!.map((a) => [a.address, a]));
    for (const row of tc.perThread) expect(arenas.has(row.arena)).toBe(true);
  });

  it('advises tcache_count with the numbers behind it', () => {
    const own = sum(full.own);
    const a = advise(full.input).find((x) => x.rule === 'tcache-held')!;
    expect(a).toBeDefined();
    const count = full.report.tcache!.count!;
    const n = suggestedTcacheCount(count, [full.report.tcache!.defaultCount, full.report.tcache!.previousDefault?.count ?? null]);
    expect(a.evidence).toMatchObject({ tcaches: 41, tcacheChunks: own.chunks, tcacheBytes: own.bytes, tcacheCount: count, suggestedTcacheCount: n, arenaResident: full.input.arenas!.resident });
    expect(a.message).toContain(`41 thread caches (tcache) hold ${formatBytes(own.bytes)} in ${own.chunks} free chunks`);
    expect(a.message).toContain(`A thread keeps up to ${count} chunks of each size (glibc ${full.report.allocator.glibcVersion}'s default`);
    expect(a.message).toContain(`GLIBC_TUNABLES=glibc.malloc.tcache_count=${n} would keep at most ${n}`);
    expect(a.message).toContain(`about ${formatBytes(Math.round((own.bytes * n) / count))} here`);
    // It is in the report the target got.
    expect(full.report.advice.map((x) => x.rule)).toContain('tcache-held');
  });

  it('says 16 per size from glibc 2.43 (7 before) when the version is 2.43+', () => {
    const t = full.input.tcache!;
    // The same caches as glibc 2.43 fills them: 16 per size where this glibc keeps its own default.
    const as243 = { ...full.input, tcache: { ...t, count: 16, defaultCount: 16, previousDefault: { count: 7, changedIn: '2.43' }, glibcVersion: '2.43', bytes: Math.round((t.bytes * 16) / t.count!) } };
    const a = advise(as243).find((x) => x.rule === 'tcache-held')!;
    expect(a.message).toContain('A thread keeps up to 16 chunks of each size (glibc 2.43\'s default; 7 before 2.43)');
    expect(a.message).toContain('GLIBC_TUNABLES=glibc.malloc.tcache_count=7 would keep at most 7');
    expect(a.evidence.suggestedTcacheCount).toBe(7);
    // A count raised above the version's default by a tunable: back to that default.
    const raised = { ...full.input, tcache: { ...t, count: 64, countSource: 'GLIBC_TUNABLES glibc.malloc.tcache_count', bytes: Math.round((t.bytes * 64) / t.count!) } };
    const r = advise(raised).find((x) => x.rule === 'tcache-held')!;
    expect(r.message).toContain('A thread keeps up to 64 chunks of each size (tcache_count 64, set by GLIBC_TUNABLES glibc.malloc.tcache_count)');
    expect(r.evidence.suggestedTcacheCount).toBe(t.defaultCount);
  });

  it('follows its thresholds: 32 MiB alone, or 8 MiB that is a tenth of arena resident memory', () => {
    const i = full.input;
    const t = i.tcache!;
    const a = i.arenas!;
    const at = (bytes: number, resident: number): string[] => rules({ ...i, tcache: { ...t, bytes }, arenas: { ...a, resident } });
    expect(at(minTcacheBytesForAdvice, minTcacheBytesForAdvice / tcacheShareOfArenas)).toContain('tcache-held');
    expect(at(minTcacheBytesForAdvice - 1, (minTcacheBytesForAdvice - 1) * 2)).not.toContain('tcache-held');
    expect(at(minTcacheBytesForAdvice, minTcacheBytesForAdvice / tcacheShareOfArenas + 4096)).not.toContain('tcache-held');
    expect(at(tcacheBytesForAdvice, 100 * tcacheBytesForAdvice)).toContain('tcache-held');
    expect(at(tcacheBytesForAdvice - 1, 100 * tcacheBytesForAdvice)).not.toContain('tcache-held');
    // tcache turned off (tcache_count 0), or no tcache in this glibc: nothing to say.
    expect(rules({ ...i, tcache: { ...t, count: 0 } })).not.toContain('tcache-held');
    expect(rules({ ...i, tcache: null })).not.toContain('tcache-held');
  });

  it('prints the tcache section as text and JSON (report --json)', async () => {
    const text = renderReport(full.report);
    const own = sum(full.own);
    expect(text).toContain(`  41 tcaches hold ${formatBytes(own.bytes)} in ${own.chunks} chunks; up to ${full.report.tcache!.count} chunks of each size per thread`);
    for (const row of full.report.tcache!.perThread) {
      expect(text).toMatch(new RegExp(`^  ${hex(row.address)} +${hex(row.arena)}${row.mainArena ? ' main' : ''} +${row.chunks} +${formatBytes(row.bytes).replace('.', '\\.')}$`, 'm'));
    }
    const r = await runCli(['report', String(full.t.pid), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.tcache.structs).toBe(41);
    expect({ chunks: json.tcache.chunks, bytes: json.tcache.bytes }).toEqual(own);
    expect(pairs(json.tcache.perThread)).toEqual(pairs(full.own));
    for (const row of json.tcache.perThread) {
      expect(row.address).toMatch(/^0x[0-9a-f]+$/);
      expect(row.arena).toMatch(/^0x[0-9a-f]+$/);
    }
    expect(JSON.parse(JSON.stringify(reportJson(full.report))).tcache.count).toBe(full.report.tcache!.count);
    expect(json.advice.map((x: { rule: string }) => x.rule)).toContain('tcache-held');
  });
});

describe('tcache-held stays silent', () => {
  it('on a few threads whose full tcaches hold little', async () => {
    const few = await fill(['--threads', '3']);
    expect(few.report.tcache!.structs).toBe(4);
    expect({ chunks: few.report.tcache!.chunks, bytes: few.report.tcache!.bytes }).toEqual(sum(few.own));
    expect(few.report.tcache!.bytes).toBeLessThan(minTcacheBytesForAdvice);
    expect(few.report.advice.map((x) => x.rule)).not.toContain('tcache-held');
    await few.t.stop();
  });

  it('on 41 threads with full tcaches whose live memory dwarfs them', async () => {
    // 6 MiB of live data per thread: the same caches are under a tenth of what the arenas keep resident.
    const busy = await fill(['--threads', '40', '--keep-kib', '6144']);
    const tc = busy.report.tcache!;
    expect({ chunks: tc.chunks, bytes: tc.bytes }).toEqual(sum(busy.own));
    expect(tc.bytes).toBeLessThan(tcacheBytesForAdvice);
    expect(tc.bytes).toBeLessThan(tcacheShareOfArenas * busy.report.arenas!.resident);
    expect(busy.report.advice.map((x) => x.rule)).not.toContain('tcache-held');
    await busy.t.stop();
  });
});
