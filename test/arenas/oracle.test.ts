// The arena engine against glibc's own account of itself (issue 3, part 7):
// targets park all threads and record malloc_info(), mallinfo and their
// complete list of live allocations; arenascope must agree per arena, on
// every glibc tested live (2.31, 2.36, 2.41), and the symbol-free path must
// give exactly what the debug-symbol path gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMallocSnapshot } from '../../src/engine/malloc.js';
import type { ArenaSnapshot, MallocSnapshot } from '../../src/model/snapshot.js';
import { ensureGlibc, testedGlibcVersions } from '../helpers/glibc.js';
import type { MallocInfoArena } from '../helpers/mallocInfo.js';
import { startTarget, type RunningTarget } from '../helpers/targets.js';
import { readTruth, type OracleTruth } from '../helpers/truth.js';

interface Scenario {
  name: string;
  args: string[];
  env?: Record<string, string>;
  /** glibc versions it applies to (default all). */
  when?: (version: string) => boolean;
  /** The oracle's per-thread list predictions hold (each thread its own fresh arena, default tunables, no bulk phase). */
  predicts?: boolean;
  /**
   * How the walk must read the free lists of every arena (ArenaSnapshot.listsReadBy): with stale
   * safe-linked pointers in live chunks the fastbin inference must fail its proof and fall back to
   * walking; a long unsorted bin must be taken as what the bins do not name.
   */
  lists?: { fastbins: 'inferred' | 'walked'; unsorted: 'walked' | 'remainder' };
}

const minor = (v: string) => Number(v.split('.')[1]);

const scenarios: Scenario[] = [
  {
    name: 'threads with their own arenas, tcache full and partial, fastbins, sorted bins, mmapped chunks',
    args: ['--threads', '4', '--keep', '40', '--size', '200', '--free-pattern', 'tcache-full,tcache-partial,fastbin,bins,mmapped'],
    predicts: true,
    lists: { fastbins: 'inferred', unsorted: 'walked' },
  },
  {
    name: 'shared arenas beyond arena_max (MALLOC_ARENA_MAX=2)',
    args: ['--threads', '5', '--keep', '30', '--size', '100', '--free-pattern', 'tcache-full,fastbin,bins'],
    env: { MALLOC_ARENA_MAX: '2' },
  },
  {
    name: 'a long unsorted bin beside a short large bin, and chunks taken back unwritten from the tcache and fastbins',
    args: ['--threads', '2', '--keep', '10', '--size', '64', '--free-pattern', 'unsorted-long,stale-links'],
    lists: { fastbins: 'walked', unsorted: 'remainder' },
  },
  {
    name: 'an arena grown past one heap',
    args: ['--threads', '2', '--second-heap', '1', '--keep', '10', '--size', '64'],
  },
  {
    name: 'glibc.malloc.hugetlb=2 (8 MiB heaps, main arena without brk)',
    args: ['--threads', '3', '--keep', '20', '--size', '300', '--free-pattern', 'bins'],
    env: { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=2' },
    when: (v) => minor(v) >= 35,
  },
];

function sum(a: ArenaSnapshot, list: 'unsorted' | 'small' | 'large'): { chunks: number; raw: number } {
  const bins = (a.bins ?? []).filter((b) => b.kind === list);
  return { chunks: bins.reduce((s, b) => s + b.chunks, 0), raw: bins.reduce((s, b) => s + b.rawSizeSum, 0) };
}

/** The arena whose heaps contain address, or null (mmapped chunks belong to no arena). */
function arenaOf(snapshot: MallocSnapshot, address: number): ArenaSnapshot | null {
  return snapshot.arenas.find((a) => a.heaps.some((h) => address >= h.start && address < h.start + h.size)) ?? null;
}

/**
 * What only the route may change: its name, the time, and `reads` (the routes
 * read different libc pages while locating main_arena, so they spare different
 * non-resident ones).
 */
function stripLocatedBy(s: MallocSnapshot) {
  const { locatedBy: _l, takenAt: _t, freeze: _f, reads: _r, ...rest } = s;
  return rest;
}

for (const version of testedGlibcVersions()) {
  describe(`arena engine on glibc ${version}`, () => {
    for (const sc of scenarios) {
      if (sc.when && !sc.when(version)) continue;
      describe(sc.name, () => {
        let target: RunningTarget;
        let truth: OracleTruth;
        let withSyms: MallocSnapshot;
        let symbolFree: MallocSnapshot;

        beforeAll(async () => {
          const glibc = ensureGlibc(version);
          target = await startTarget('oracle', sc.args, { glibc: version, env: sc.env ?? {} });
          truth = readTruth(target.outDir);
          const debugDirs = glibc.debugDir ? [glibc.debugDir] : [];
          withSyms = (await readMallocSnapshot(target.pid, { debugDirs, withBins: true, withHistogram: true })).snapshot;
          symbolFree = (await readMallocSnapshot(target.pid, { useDebuginfo: false, withBins: true, withHistogram: true })).snapshot;
        });
        afterAll(async () => {
          await target?.stop();
        });

        it('locates main_arena by debug symbols and without them, with identical results', () => {
          expect(withSyms.locatedBy).toBe('debuginfo');
          expect(symbolFree.locatedBy).not.toBe('debuginfo');
          expect(stripLocatedBy(symbolFree)).toEqual(stripLocatedBy(withSyms));
          expect(withSyms.glibcVersion).toBe(truth.info.glibcVersion);
        });

        it('has one arena per malloc_info heap, in ring order, each equal on fast, rest and system', () => {
          const mi = truth.mallocInfo.arenas;
          expect(withSyms.arenas).toHaveLength(mi.length);
          withSyms.arenas.forEach((a, i) => {
            const m: MallocInfoArena = mi[i]!;
            expect(a.main).toBe(i === 0);
            expect(a.free.fastbins).toEqual({ chunks: m.fast.count, bytes: m.fast.size });
            // rest = top (2.31+) + every chunk in bins 1..127, sizes with their flag bits (reference §10)
            const u = sum(a, 'unsorted');
            const s = sum(a, 'small');
            const l = sum(a, 'large');
            expect(u.chunks).toBe(a.free.unsorted.chunks);
            expect(s.chunks).toBe(a.free.smallbins.chunks);
            expect(l.chunks).toBe(a.free.largebins.chunks);
            expect({ count: 1 + u.chunks + s.chunks + l.chunks, size: a.top.size + u.raw + s.raw + l.raw }).toEqual(m.rest);
            // The unsorted bin on its own (malloc_info's <unsorted> line, absent when empty).
            const mu = m.sizes.find((x) => x.kind === 'unsorted');
            expect({ count: u.chunks, total: u.raw }).toEqual({ count: mu?.count ?? 0, total: mu?.total ?? 0 });
            expect(a.systemMem).toBe(m.systemCurrent);
            expect(a.maxSystemMem).toBe(m.systemMax);
            if (!a.main) {
              expect(a.heaps.reduce((t, h) => t + h.size, 0)).toBe(m.aspaceTotal);
              expect(a.heaps.reduce((t, h) => t + h.mprotectSize, 0)).toBe(m.aspaceMprotect);
              expect(a.heaps).toHaveLength(m.subheaps!);
            }
          });
          expect(withSyms.params).not.toBeNull(); // mp_ read at the debug symbol's address
          expect(withSyms.params!.mmappedChunks).toBe(truth.mallocInfo.mmap!.count);
          expect(withSyms.params!.mmappedBytes).toBe(truth.mallocInfo.mmap!.size);
          expect(withSyms.params!.mmappedChunks).toBe(truth.mallinfo.hblks);
          expect(withSyms.params!.mmappedBytes).toBe(truth.mallinfo.hblkhd);
        });

        it('walks in-use chunks equal to what the target knows it holds, per arena', () => {
          const expected = new Map<ArenaSnapshot, { chunks: number; bytes: number }>();
          let mmapped = 0;
          for (const a of truth.live) {
            const owner = arenaOf(withSyms, a.ptr - 0x10);
            if (!owner) {
              mmapped++;
              continue;
            }
            const e = expected.get(owner) ?? { chunks: 0, bytes: 0 };
            e.chunks++;
            e.bytes += a.usable + 8; // in-use, not mmapped: usable = chunksize - SIZE_SZ
            expected.set(owner, e);
          }
          expect(mmapped).toBe(truth.mallocInfo.mmap!.count);
          for (const a of withSyms.arenas) {
            expect(a.inUse, `arena 0x${a.address.toString(16)}`).toEqual(expected.get(a) ?? { chunks: 0, bytes: 0 });
          }
          // one tcache_perthread_struct per thread that allocated (glibc-internal, not in the live table)
          const threads = new Set(truth.live.map((a) => a.thread));
          const internal = withSyms.arenas.reduce((t, a) => t + a.internal.chunks, 0);
          expect(internal).toBe(minor(version) >= 26 ? threads.size : 0);
        });

        it('accounts for every byte: inUse + internal + free + top + overhead = system, without anomalies', () => {
          for (const a of withSyms.arenas) {
            expect(a.anomalies).toEqual({ examples: [], counts: [], total: 0, torn: { total: 0, counts: [] } });
            expect(a.approximate).toBe(false);
            expect(a.identityHolds).toBe(true);
            const f = a.free;
            const free = (f.fastbins?.bytes ?? 0) + f.unsorted.bytes + f.smallbins.bytes + f.largebins.bytes + f.tcache.bytes;
            expect(a.inUse.bytes + a.internal.bytes + free + a.top.size + a.overhead).toBe(a.systemMem);
            expect(a.overhead).toBeGreaterThanOrEqual(0);
          }
          // mallinfo's in-use total counts tcache and fastbin chunks as used (uordblks = system - free lists in bins - top)
          const system = withSyms.arenas.reduce((t, a) => t + a.systemMem, 0);
          expect(system).toBe(truth.mallinfo.arena);
        });

        const lists = sc.lists;
        if (lists) it(`reads the lists as planned: fastbins ${lists.fastbins} (glibc 2.32+), unsorted ${lists.unsorted}`, () => {
          // Safe-linking (2.32+) is what lets fastbin members be inferred; before it they are walked.
          const fastbins = minor(version) >= 32 ? lists.fastbins : 'walked';
          const patterned = withSyms.arenas.filter((a) => (a.free.fastbins?.chunks ?? 0) + a.free.unsorted.chunks > 0);
          expect(patterned.length).toBeGreaterThan(0);
          for (const a of patterned) {
            expect(a.listsReadBy.fastbins, `arena 0x${a.address.toString(16)}`).toBe((a.free.fastbins?.chunks ?? 0) > 0 ? fastbins : a.listsReadBy.fastbins);
            if (a.free.unsorted.chunks > 0) expect(a.listsReadBy.unsorted, `arena 0x${a.address.toString(16)}`).toBe(lists.unsorted);
          }
        });

        if (sc.predicts) it('matches the per-thread tcache and bin predictions', () => {
          const workers = truth.info.workers;
          const count = (xs: { count: number }[]) => xs.reduce((t, x) => t + x.count, 0);
          withSyms.arenas.forEach((a, i) => {
            const thread = i === 0 ? 0 : workers + 1 - i; // new arenas are linked right after main_arena
            const e = truth.info.expect.find((x) => x.thread === thread)!;
            expect(a.free.tcache.chunks).toBe(count(e.tcache));
            expect(a.free.fastbins?.chunks ?? 0).toBe(count(e.fastbins));
            expect(a.free.smallbins.chunks).toBe(count(e.smallbins));
            expect(a.free.largebins.chunks).toBe(count(e.largebins));
          });
        });

        it('size-class histogram sums to the in-use and free totals', () => {
          for (const a of withSyms.arenas) {
            const h = a.histogram ?? [];
            expect(h.reduce((t, r) => t + r.inUseBytes, 0)).toBe(a.inUse.bytes + a.internal.bytes);
            const f = a.free;
            expect(h.reduce((t, r) => t + r.freeBytes, 0)).toBe((f.fastbins?.bytes ?? 0) + f.unsorted.bytes + f.smallbins.bytes + f.largebins.bytes + f.tcache.bytes);
          }
        });
      });
    }
  });
}
