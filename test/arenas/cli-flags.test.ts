// `arenas --bins`, `--histogram` and `--no-debuginfo` through the CLI, on an
// oracle target: every non-empty bin against malloc_info's own <size> lines,
// tcache totals against the oracle's per-thread predictions, and the in-use
// side of the histogram against the oracle's list of live allocations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../helpers/targets.js';
import { readTruth, type OracleTruth } from '../helpers/truth.js';
import { runCli, type CliResult } from '../support/nativeTarget.js';

interface Bin {
  kind: 'fast' | 'unsorted' | 'small' | 'large';
  chunks: number;
  bytes: number;
  rawSizeSum: number;
}
interface Arena {
  main: boolean;
  free: { tcache: { chunks: number; bytes: number } };
  inUse: { chunks: number; bytes: number };
  internal: { chunks: number; bytes: number };
  bins?: Bin[];
  tcaches?: Array<{ address: string; chunks: number; bytes: number }>;
  histogram?: Array<{ size: number; inUseChunks: number; inUseBytes: number; freeChunks: number; freeBytes: number }>;
}
interface ArenasJson {
  locatedBy: string;
  arenas: Arena[];
  [k: string]: unknown;
}

function parse(r: CliResult): ArenasJson {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ArenasJson;
}

describe('arenas --bins / --histogram / --no-debuginfo on an oracle with every kind of free list', () => {
  let target: RunningTarget;
  let truth: OracleTruth;
  const arenas = (...extra: string[]) => runCli(['arenas', String(target.pid), '--json', ...extra]);
  /** Tool arena i (ring order, as malloc_info) belongs to thread: main 0, then the newest worker first. */
  const threadOf = (i: number) => (i === 0 ? 0 : truth.info.workers + 1 - i);

  beforeAll(async () => {
    target = await startTarget('oracle', ['--threads', '3', '--keep', '30', '--size', '200', '--free-pattern', 'tcache-full,tcache-partial,fastbin,bins']);
    truth = readTruth(target.outDir);
    // every allocation is in an arena: the in-use comparison below needs no mmapped chunk
    expect(truth.mallocInfo.mmap!.count).toBe(0);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('without the flags: no bins and no histogram', async () => {
    for (const a of parse(await arenas()).arenas) {
      expect(a.bins).toBeUndefined();
      expect(a.histogram).toBeUndefined();
    }
  });

  it('--bins: every non-empty bin is one of malloc_info\'s <size> lines (count and total), and the tcaches hold the predicted chunks', async () => {
    const j = parse(await arenas('--bins'));
    const mi = truth.mallocInfo.arenas;
    expect(j.arenas).toHaveLength(mi.length);
    j.arenas.forEach((a, i) => {
      const key = (count: number, total: number) => `${count}x${total}`;
      const ours = (a.bins ?? []).filter((b) => b.chunks > 0);
      // malloc_info's total: chunk size x count for a fastbin, the raw size fields (flag bits included) for bins 1-127
      const total = (b: Bin) => (b.kind === 'fast' ? b.bytes : b.rawSizeSum);
      expect(ours.map((b) => key(b.chunks, total(b))).sort(), `arena ${i}`).toEqual(mi[i]!.sizes.filter((s) => s.count > 0).map((s) => key(s.count, s.total)).sort());
      expect(ours.filter((b) => b.kind === 'unsorted').map((b) => key(b.chunks, b.rawSizeSum))).toEqual(mi[i]!.sizes.filter((s) => s.kind === 'unsorted' && s.count > 0).map((s) => key(s.count, s.total)));
      const predicted = truth.info.expect.find((e) => e.thread === threadOf(i))!.tcache.reduce((t, c) => t + c.count, 0);
      expect(a.tcaches).toHaveLength(1);
      expect(a.tcaches![0]!.chunks).toBe(predicted);
      expect(a.tcaches![0]!.bytes).toBe(a.free.tcache.bytes);
    });
  });

  it('--histogram: in-use chunks per size are the live allocations of the arena\'s thread, plus its one internal chunk', async () => {
    const j = parse(await arenas('--histogram'));
    j.arenas.forEach((a, i) => {
      const expected = new Map<number, number>();
      for (const l of truth.live.filter((x) => x.thread === threadOf(i))) {
        const size = l.usable + 8; // in use, not mmapped: usable = chunk size - SIZE_SZ
        expected.set(size, (expected.get(size) ?? 0) + 1);
      }
      const extra: Array<[number, number]> = [];
      for (const row of a.histogram ?? []) {
        const diff = row.inUseChunks - (expected.get(row.size) ?? 0);
        if (diff !== 0) extra.push([row.size, diff]);
        expected.delete(row.size);
      }
      expect([...expected.entries()].filter(([, n]) => n > 0), `arena ${i}: live sizes missing from the histogram`).toEqual([]);
      // the one chunk the target did not allocate itself: glibc's tcache_perthread_struct
      expect(extra, `arena ${i}`).toEqual([[a.internal.bytes, 1]]);
      expect(a.internal.chunks).toBe(1);
      expect((a.histogram ?? []).reduce((t, r) => t + r.inUseBytes, 0)).toBe(a.inUse.bytes + a.internal.bytes);
    });
  });

  it('text output shows the bin, tcache and size-class tables only when asked', async () => {
    const plain = await runCli(['arenas', String(target.pid)]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).not.toMatch(/^bins of /m);
    expect(plain.stdout).not.toMatch(/^size classes of /m);
    expect(plain.stdout).not.toMatch(/^tcache 0x/m);
    const both = await runCli(['arenas', String(target.pid), '--bins', '--histogram']);
    expect(both.code, both.stderr).toBe(0);
    expect(both.stdout.match(/^bins of /gm)).toHaveLength(truth.mallocInfo.arenas.length);
    expect(both.stdout.match(/^size classes of /gm)).toHaveLength(truth.mallocInfo.arenas.length);
    expect(both.stdout.match(/^tcache 0x/gm)).toHaveLength(truth.mallocInfo.arenas.length);
  });

  it('--no-debuginfo: located without symbols, the same JSON otherwise', async () => {
    const withSymbols = parse(await arenas('--bins', '--histogram'));
    const without = parse(await arenas('--bins', '--histogram', '--no-debuginfo'));
    expect(withSymbols.locatedBy).toBe('debuginfo');
    expect(without.locatedBy).not.toBe('debuginfo');
    // reads: the two routes read different libc pages while locating main_arena, so they spare different ones.
    expect({ ...without, locatedBy: null, reads: null }).toEqual({ ...withSymbols, locatedBy: null, reads: null });
  });
});
