// The arena engine against glibc's own account of itself (issue 3, part 7):
// targets park all threads and record malloc_info(), mallinfo, their
// complete list of live allocations and each thread's own tcache pointer;
// arenascope must agree per arena, on every glibc tested live (2.31, 2.36,
// 2.41, 2.43, 2.44), and the symbol-free path must give exactly what the
// debug-symbol path gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { residencyRows } from '../../src/analysis/residency.js';
import { readMallocSnapshot } from '../../src/engine/malloc.js';
import type { ArenaSnapshot, MallocSnapshot } from '../../src/model/snapshot.js';
import type { RegionMap } from '../../src/target/regionMap.js';
import { ensureGlibc, testedGlibcVersions } from '../helpers/glibc.js';
import type { MallocInfoArena } from '../helpers/mallocInfo.js';
import { startTarget, type RunningTarget } from '../helpers/targets.js';
import { readTruth, type OracleTruth } from '../helpers/truth.js';
import { anonymousBytes } from '../report/helpers.js';

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
  lists?: {
    fastbins: 'inferred' | 'walked';
    unsorted: 'walked' | 'remainder';
    /** Chunks stay in the unsorted bin (otherwise only fastbins show the plan, and 2.43+ has none). */
    leavesUnsorted?: boolean;
  };
  /** Frees mmapped chunks below tcache_max_bytes: from 2.43 a tcache keeps them (older releases unmap them). */
  tcachesMmapped?: boolean;
}

const minor = (v: string) => Number(v.split('.')[1]);
/** glibc 2.43 removed fastbins: malloc_info then prints no <total type="fast">. */
const hasFastbins = (v: string) => minor(v) < 43;

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
    lists: { fastbins: 'walked', unsorted: 'remainder', leavesUnsorted: true },
  },
  {
    name: 'an arena grown past one heap',
    args: ['--threads', '2', '--second-heap', '1', '--keep', '10', '--size', '64'],
  },
  {
    // 2.43+ free() puts an mmapped chunk below tcache_max_bytes in a tcache bin (older
    // releases unmap it); the fixed mmap threshold keeps a freed one from raising it.
    name: 'mmapped chunks freed with tcache_max at 1 MiB (2.43+: kept in the tcache, outside every arena)',
    args: ['--threads', '2', '--keep', '10', '--size', '100', '--free-pattern', 'tcache-partial,mmapped,mmapped-freed'],
    env: { GLIBC_TUNABLES: 'glibc.malloc.tcache_max=1048576:glibc.malloc.mmap_threshold=131072' },
    tcachesMmapped: true,
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
        let regionMap: RegionMap;
        let symbolFree: MallocSnapshot;

        beforeAll(async () => {
          const glibc = ensureGlibc(version);
          target = await startTarget('oracle', sc.args, { glibc: version, env: sc.env ?? {} });
          truth = readTruth(target.outDir);
          const debugDirs = glibc.debugDir ? [glibc.debugDir] : [];
          ({ snapshot: withSyms, regionMap } = await readMallocSnapshot(target.pid, { debugDirs, withBins: true, withHistogram: true }));
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

        it('has one arena per malloc_info heap, in ring order, each equal on fast (before 2.43), rest and system', () => {
          const mi = truth.mallocInfo.arenas;
          expect(withSyms.arenas).toHaveLength(mi.length);
          // 2.43+ prints no fast totals at all (no fastbins), in the heaps or the trailer.
          expect(truth.mallocInfo.totals.fast === null).toBe(!hasFastbins(version));
          withSyms.arenas.forEach((a, i) => {
            const m: MallocInfoArena = mi[i]!;
            expect(a.main).toBe(i === 0);
            // No fastbins from 2.43: malloc_info has no fast totals and the snapshot says null, not zero.
            expect(a.free.fastbins).toEqual(m.fast ? { chunks: m.fast.count, bytes: m.fast.size } : null);
            // rest = top (2.31+) + every chunk in bins 1..127, sizes with their flag bits (malloc.c __malloc_info)
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

        it('finds every mmapped chunk in the region map, as many and as large as mp_.n_mmaps and mp_.mmapped_mem', () => {
          // 2.43+ sizes an mmapped chunk 16 bytes short of its mapping (mmap_size()). A chunk
          // mapped right below an arena heap shares its VMA (kind arena-heap).
          const found = regionMap.regions.flatMap((r) => (r.mmappedChunks ? [r.mmappedChunks] : []));
          const count = found.reduce((t, c) => t + c.count, 0);
          const bytes = found.reduce((t, c) => t + c.bytes, 0);
          expect({ count, size: bytes }).toEqual(truth.mallocInfo.mmap);
          expect({ count, size: bytes }).toEqual({ count: withSyms.params!.mmappedChunks, size: withSyms.params!.mmappedBytes });
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
          // mp_.n_mmaps: the mmapped chunks the target holds, and those a tcache holds (2.43+)
          const tcachedMmapped = withSyms.arenas.flatMap((a) => a.tcaches ?? []).reduce((t, c) => t + c.mmapped.chunks, 0);
          expect(mmapped + tcachedMmapped).toBe(truth.mallocInfo.mmap!.count);
          for (const a of withSyms.arenas) {
            expect(a.inUse, `arena 0x${a.address.toString(16)}`).toEqual(expected.get(a) ?? { chunks: 0, bytes: 0 });
          }
        });

        it('finds exactly the tcaches the threads point at, each in the arena holding it', () => {
          // Each thread's own TLS tcache pointer: one inside an arena heap is its
          // tcache_perthread_struct (glibc-internal, not in the live table); one outside
          // every heap means no tcache yet (NULL up to 2.42, __tcache_dummy from 2.43).
          expect(truth.threads.every((t) => t.tcache !== null)).toBe(true);
          const pointed = truth.threads.map((t) => t.tcache!).filter((p) => arenaOf(withSyms, p - 0x10) !== null);
          expect(new Set(pointed).size).toBe(pointed.length);
          const found = withSyms.arenas.flatMap((a) => (a.tcaches ?? []).map((t) => ({ arena: a, address: t.address })));
          expect(found.map((t) => t.address).sort((x, y) => x - y)).toEqual([...pointed].sort((x, y) => x - y));
          for (const t of found) expect(arenaOf(withSyms, t.address - 0x10)).toBe(t.arena);
          // the struct's own chunk is all that is internal
          for (const a of withSyms.arenas) expect(a.internal.chunks, `arena 0x${a.address.toString(16)}`).toBe(a.tcaches?.length ?? 0);
          if (minor(version) >= 26 && minor(version) < 43) {
            // up to 2.42 every thread that allocated made its tcache at its first malloc
            expect(pointed).toHaveLength(new Set(truth.live.map((a) => a.thread)).size);
          }
        });

        it('tcaches hold the mmapped chunks the target freed into them, and only those (2.43+)', () => {
          const freedMmapped = truth.freed.filter((f) => f.what === 'mmapped-freed');
          expect(freedMmapped.length > 0).toBe(Boolean(sc.tcachesMmapped));
          const tcached = withSyms.arenas.flatMap((a) => a.tcaches ?? []).reduce((t, c) => ({ chunks: t.chunks + c.mmapped.chunks, bytes: t.bytes + c.mmapped.bytes }), { chunks: 0, bytes: 0 });
          // A freed mmapped chunk whose mapping is still there, holding no live allocation
          // (a later mmap may reuse the address), is one a tcache kept.
          const live = new Set(truth.live.map((a) => a.ptr));
          const kept = freedMmapped.filter((f) => !live.has(f.ptr) && regionMap.regions.some((r) => r.mmappedChunks && f.ptr >= r.start && f.ptr < r.end));
          expect(tcached).toEqual({ chunks: kept.length, bytes: kept.reduce((t, f) => t + f.chunk, 0) });
          expect(kept).toHaveLength(minor(version) >= 43 ? freedMmapped.length : 0);
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
          // mallinfo2 (malloc.c int_mallinfo) sums over arenas: top and the bins' chunks are free
          // (ordblks, fordblks), fastbin chunks are also counted apart (smblks, fsmblks; 0 from 2.43),
          // tcache chunks count as used (uordblks = system - fordblks); keepcost is main's top.
          const sum = (f: (a: ArenaSnapshot) => number) => withSyms.arenas.reduce((t, a) => t + f(a), 0);
          const system = sum((a) => a.systemMem);
          const fordblks = sum((a) => a.top.size + (a.free.fastbins?.bytes ?? 0) + a.free.unsorted.bytes + a.free.smallbins.bytes + a.free.largebins.bytes);
          expect({
            arena: system,
            ordblks: sum((a) => 1 + a.free.unsorted.chunks + a.free.smallbins.chunks + a.free.largebins.chunks),
            smblks: sum((a) => a.free.fastbins?.chunks ?? 0),
            fsmblks: sum((a) => a.free.fastbins?.bytes ?? 0),
            fordblks,
            uordblks: system - fordblks,
            keepcost: withSyms.arenas.find((a) => a.main)!.top.size,
          }).toEqual({
            arena: truth.mallinfo.arena,
            ordblks: truth.mallinfo.ordblks,
            smblks: truth.mallinfo.smblks,
            fsmblks: truth.mallinfo.fsmblks,
            fordblks: truth.mallinfo.fordblks,
            uordblks: truth.mallinfo.uordblks,
            keepcost: truth.mallinfo.keepcost,
          });
        });

        const lists = sc.lists;
        if (lists) it(`reads the lists as planned: fastbins ${lists.fastbins} (glibc 2.32-2.42), unsorted ${lists.unsorted}`, () => {
          // Safe-linking (2.32+) is what lets fastbin members be inferred; before it they are
          // walked; from 2.43 there are none to read.
          const fastbins = !hasFastbins(version) ? 'none' : minor(version) >= 32 ? lists.fastbins : 'walked';
          if (fastbins === 'none') for (const a of withSyms.arenas) expect(a.listsReadBy.fastbins).toBe('none');
          const patterned = withSyms.arenas.filter((a) => (a.free.fastbins?.chunks ?? 0) + a.free.unsorted.chunks > 0);
          expect(patterned.length > 0).toBe(hasFastbins(version) || Boolean(lists.leavesUnsorted));
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

    it('estimates what malloc_trim(0) releases within 5% of the resident memory it really frees', async () => {
      // Freed 60000-byte chunks between kept ones, touched, in the main arena and two thread
      // arenas (mtrim's page rule, malloc.c; systrim for main's top); then the target's own trim.
      const target = await startTarget('oracle', ['--threads', '2', '--keep', '10', '--size', '100', '--resident-free', '4000000'], { glibc: version });
      try {
        const { snapshot } = await readMallocSnapshot(target.pid, { withResidency: true });
        const rows = residencyRows(snapshot);
        expect(rows).not.toBeNull();
        expect(snapshot.anomalies.total + snapshot.arenas.reduce((t, a) => t + a.anomalies.total, 0)).toBe(0);
        const estimate = rows!.reduce((t, r) => t + r.reclaimable.total, 0);
        const before = anonymousBytes(target.pid);
        target.send('trim');
        expect(await target.waitFor(/^TRIMMED /)).toBe('TRIMMED 1');
        const released = before - anonymousBytes(target.pid);
        expect(released).toBeGreaterThan(3 * 4000000 * 0.8);
        expect(Math.abs(estimate - released)).toBeLessThanOrEqual(0.05 * released);
      } finally {
        await target.stop();
      }
    });
  });
}
