// Proves the test infrastructure itself: the targets build and run under every tested glibc
// (host, 2.31, 2.41, 2.43, 2.44) through that glibc's own loader, and what they record is the truth.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureGlibc, testedGlibcVersions } from './helpers/glibc.js';
import { readMaps, readMemory, walkHeaps, type MapsEntry } from './helpers/heapWalk.js';
import { requestedBytesByThread } from './helpers/live.js';
import type { MallocInfoArena } from './helpers/mallocInfo.js';
import { startTarget, type RunningTarget } from './helpers/targets.js';
import type { ClassCount, OracleTruth, ThreadExpectation } from './helpers/truth.js';

const MIB = 1024 * 1024;
const HEAP_MAX = 64 * MIB;

function minorOf(version: string): number {
  return Number(version.split('.')[1]);
}

/** The tcache_perthread_struct's chunk: uint16_t counts[64] + 64 pointers (2.30-2.41); uint16_t num_slots[76] + 76 pointers (2.42+). */
function tcacheStructChunk(version: string): number {
  return minorOf(version) >= 42 ? 0x300 : 0x290;
}

function u64(buf: Buffer, offset = 0): number {
  return Number(buf.readBigUInt64LE(offset));
}

function sizeField(pid: number, userPtr: number): number {
  return u64(readMemory(pid, userPtr - 8, 8));
}

function countOccurrences(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) count++;
  return count;
}

/** Resident KiB of the VMAs starting in [start, end) according to /proc/PID/smaps. */
function residentKib(pid: number, start: number, end: number): number {
  let total = 0;
  let inside = false;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (header) {
      const s = Number.parseInt(header[1] as string, 16);
      inside = s >= start && s < end;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && inside) total += Number(rss[1]);
  }
  return total;
}

function libcMapping(maps: MapsEntry[]): MapsEntry {
  const libc = maps.find((m) => /\/libc(-[\d.]+)?\.so(\.6)?$/.test(m.path));
  if (!libc) throw new Error('no libc mapping');
  return libc;
}

/** First heaps of thread arenas: 64 MiB-aligned rw-p VMAs whose heap_info.ar_ptr points just past heap_info. */
function threadFirstHeaps(pid: number, maps: MapsEntry[], heapInfoSize: number): MapsEntry[] {
  return maps.filter(
    (m) => m.perms === 'rw-p' && m.path === '' && m.start % HEAP_MAX === 0 && u64(readMemory(pid, m.start, 8)) === m.start + heapInfoSize,
  );
}

function heapInfoSizeFor(version: string): number {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 2 || minor >= 35 ? 0x30 : 0x20;
}

function expectBinLines(arena: MallocInfoArena, e: ThreadExpectation, version: string): void {
  // Fastbin lines: to = chunk size of the first chunk, count = list length (malloc.c __malloc_info).
  for (const c of e.fastbins) {
    expect(arena.sizes).toContainEqual({ kind: 'size', from: c.chunkSize - 15, to: c.chunkSize, total: c.chunkSize * c.count, count: c.count });
  }
  // glibc 2.43 removed fastbins and malloc_info's fast totals with them.
  if (minorOf(version) >= 43) {
    expect(arena.fast).toBeNull();
    expect(e.fastbins).toEqual([]);
  } else {
    expect(arena.fast!.count).toBe(e.fastbins.reduce((s, c) => s + c.count, 0));
  }
  // Bin lines report raw size fields: chunk | PREV_INUSE, since each chunk follows a guard in use.
  for (const c of [...e.smallbins, ...e.largebins]) {
    const raw = c.chunkSize | 1;
    expect(arena.sizes).toContainEqual({ kind: 'size', from: raw, to: raw, total: raw * c.count, count: c.count });
  }
  const unsortedExpected = e.unsorted.reduce((s, c: ClassCount) => s + c.count, 0);
  const unsorted = arena.sizes.filter((s) => s.kind === 'unsorted').reduce((s, l) => s + l.count, 0);
  expect(unsorted).toBe(unsortedExpected);
}

function expectCleanRecording(t: OracleTruth): void {
  expect(t.info.mallocCallsDuringSnapshot).toBe(0);
  expect(t.info.mallocCallsSinceParked).toBe(0);
  expect(t.info.foreignFrees).toBe(0);
  expect(t.info.tableOverflow).toBe(false);
  expect(t.info.mallocInfoTruncated).toBe(false);
  expect(t.live.length).toBe(t.info.liveCount);
}

describe.each(testedGlibcVersions())('glibc %s', (version) => {
  const layout = ensureGlibc(version);
  const heapInfoSize = heapInfoSizeFor(version);

  describe('oracle with 3 worker threads keeping 10 x 100 bytes each', () => {
    let target: RunningTarget;
    let truth: OracleTruth;
    beforeAll(async () => {
      target = await startTarget('oracle', ['--threads', '3', '--keep', '10', '--size', '100'], { glibc: version });
      truth = target.truth();
    });
    afterAll(async () => {
      await target?.stop();
    });

    it('reports READY with its pid and the glibc version it runs under', () => {
      expect(truth.info.pid).toBe(target.pid);
      expect(truth.info.glibcVersion).toBe(version);
      expect(truth.info.workers).toBe(3);
      expectCleanRecording(truth);
    });

    it('maps libc from the expected glibc directory', () => {
      const libc = libcMapping(readMaps(target.pid));
      expect(fs.realpathSync(path.dirname(libc.path))).toBe(fs.realpathSync(layout.libDir));
    });

    it('lists one thread per index with live tids', () => {
      expect(truth.threads.map((t) => t.index)).toEqual([0, 1, 2, 3]);
      const tasks = new Set(fs.readdirSync(`/proc/${target.pid}/task`).map(Number));
      for (const t of truth.threads) expect(tasks.has(t.tid)).toBe(true);
      expect(truth.threads[0]?.tid).toBe(target.pid);
    });

    it('malloc_info has one heap per thread arena and its trailer sums the arenas', () => {
      const info = truth.mallocInfo;
      expect(info.version).toBe(1);
      expect(info.arenas.map((a) => a.nr)).toEqual([0, 1, 2, 3]);
      for (const arena of info.arenas.slice(1)) expect(arena.subheaps).toBe(1);
      expect(info.arenas[0]?.subheaps).toBeUndefined();
      const sum = (f: (a: MallocInfoArena) => number) => info.arenas.reduce((s, a) => s + f(a), 0);
      expect(info.totals.systemCurrent).toBe(sum((a) => a.systemCurrent));
      expect(info.totals.rest.count).toBe(sum((a) => a.rest.count));
      expect(info.totals.aspaceTotal).toBe(sum((a) => a.aspaceTotal));
      expect(threadFirstHeaps(target.pid, readMaps(target.pid), heapInfoSize)).toHaveLength(3);
    });

    it('live table holds exactly the kept bytes for every thread', () => {
      const keep = requestedBytesByThread(truth.live, 'keep');
      expect([...keep.entries()].sort((a, b) => a[0] - b[0])).toEqual([
        [0, 1000],
        [1, 1000],
        [2, 1000],
        [3, 1000],
      ]);
      for (const e of truth.info.expect) expect(e.keepBytes).toBe(1000);
      for (const a of truth.live) expect(a.usable).toBeGreaterThanOrEqual(a.requested);
    });
  });

  it('live table + one tcache_perthread_struct per thread = every in-use heap chunk', async () => {
    // With tcache and fastbins disabled, a chunk reads as in use (next chunk's PREV_INUSE)
    // exactly when it is allocated, so the walk can be compared with the recorder 1:1.
    const target = await startTarget(
      'oracle',
      ['--threads', '2', '--keep', '20', '--size', '200', '--free-pattern', 'tcache-full,fastbin,bins,mmapped',
        '--resident-free', '300000', '--plant-kept', 'K:4', '--plant-freed', 'F:4', '--plant-in', 'spread'],
      { glibc: version, env: { GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0:glibc.malloc.mxfast=0' } },
    );
    try {
      const truth = target.truth();
      expectCleanRecording(truth);
      const walk = walkHeaps(target.pid, version);
      expect(walk.regions.filter((r) => r.kind === 'main')).toHaveLength(1);
      expect(walk.regions.filter((r) => r.kind === 'thread')).toHaveLength(2);
      const inUse = new Map(walk.chunks.filter((c) => c.inUse).map((c) => [c.address + 16, c]));
      const inHeap = (p: number) => walk.regions.some((r) => p >= r.firstChunk && p < r.end);
      const live = truth.live.filter((a) => inHeap(a.ptr));
      const mmapped = truth.live.filter((a) => !inHeap(a.ptr));
      for (const a of mmapped) expect(sizeField(target.pid, a.ptr) & 7).toBe(2); // IS_MMAPPED only
      const livePtrs = new Set(live.map((a) => a.ptr));
      const missing = live.filter((a) => !inUse.has(a.ptr));
      expect(missing).toEqual([]);
      const unrecorded = [...inUse.values()].filter((c) => !livePtrs.has(c.address + 16));
      // The only ones: the tcache structs the threads point at. Up to 2.42 each thread's first
      // malloc made one (the first chunk of its heap) even with tcache_count=0; 2.43's
      // tcache_init makes none then, and the threads keep pointing at libc's __tcache_dummy.
      const tcaches = truth.threads.map((t) => t.tcache!).filter(inHeap);
      expect(unrecorded.map((c) => c.address + 16).sort()).toEqual([...tcaches].sort());
      for (const c of unrecorded) expect(c.size).toBe(tcacheStructChunk(version));
      if (minorOf(version) < 43) expect(unrecorded.map((c) => c.address).sort()).toEqual(walk.regions.map((r) => r.firstChunk).sort());
      else expect(unrecorded).toEqual([]);
    } finally {
      await target.stop();
    }
  });

  it('with default tunables every heap chunk is live, a tcache struct, or freed by the scenario', async () => {
    const target = await startTarget(
      'oracle',
      ['--threads', '2', '--keep', '20', '--size', '200', '--free-pattern', 'tcache-full,tcache-partial,fastbin,bins,mmapped',
        '--resident-free', '300000', '--plant-kept', 'K:4', '--plant-freed', 'F:12', '--plant-in', 'spread'],
      { glibc: version },
    );
    try {
      const truth = target.truth();
      expectCleanRecording(truth);
      const walk = walkHeaps(target.pid, version);
      const live = new Set(truth.live.map((a) => a.ptr));
      const freedBy = new Map(truth.freed.map((f) => [f.ptr, f.what]));
      const tcaches = new Set(truth.threads.map((t) => t.tcache!));
      const tally = (chunks: typeof walk.chunks) => {
        const counts: Record<string, number> = {};
        for (const c of chunks) {
          const what = freedBy.get(c.address + 16) ?? (tcaches.has(c.address + 16) && c.size === tcacheStructChunk(version) ? 'tcache-struct' : `unknown-0x${c.size.toString(16)}`);
          counts[what] = (counts[what] ?? 0) + 1;
        }
        return counts;
      };
      // tcache_fill chunks of a size fill its tcache bin (7; 16 from 2.43); the 5 fastbin
      // chunks beyond it stay in a fastbin, or from 2.43 (no fastbins) in the unsorted bin.
      const fill = truth.info.tcacheFill;
      expect(fill).toBe(minorOf(version) >= 43 ? 16 : 7);
      const fastbins = truth.info.fastbinMaxChunk > 0;
      // Chunks in tcache and fastbins still read as in use (their next chunk's PREV_INUSE stays set: malloc.c _int_free); nothing else may.
      expect(tally(walk.chunks.filter((c) => c.inUse && !live.has(c.address + 16)))).toEqual({
        'tcache-struct': 3,
        'bins-tcache': 3 * fill,
        'tcache-full': 3 * fill,
        'tcache-partial': 9,
        'fastbin-tcache': 3 * fill,
        ...(fastbins ? { fastbin: 15 } : {}),
        plant: 12, // 0x50-byte chunks, 6 per worker: all fit in the tcache bin
      });
      // Chunks reading as free are exactly the scenario's binned ones: glibc left no free chunk of its own.
      expect(tally(walk.chunks.filter((c) => !c.inUse))).toEqual({ 'bins-small': 9, 'bins-large': 15, resident: 15, ...(fastbins ? {} : { fastbin: 15 }) });
    } finally {
      await target.stop();
    }
  });

  it('free patterns land in the tcache and bins the scenario predicts', async () => {
    const target = await startTarget(
      'oracle',
      ['--threads', '2', '--free-pattern', 'tcache-full,tcache-partial,fastbin,bins,mmapped', '--resident-free', '200000'],
      { glibc: version },
    );
    try {
      const truth = target.truth();
      expectCleanRecording(truth);
      const [mainExpect, workerExpect] = [truth.info.expect[0], truth.info.expect[1]];
      if (!mainExpect || !workerExpect) throw new Error('missing expectations');
      expect(truth.info.expect[2]).toEqual({ ...workerExpect, thread: 2 });
      for (const e of truth.info.expect) expect(e.layoutVerified).toBe(true);
      const arenas = truth.mallocInfo.arenas;
      expect(arenas).toHaveLength(3);
      expectBinLines(arenas[0] as MallocInfoArena, mainExpect, version);
      expectBinLines(arenas[1] as MallocInfoArena, workerExpect, version);
      expectBinLines(arenas[2] as MallocInfoArena, workerExpect, version);

      // tcache counters at the start of each thread's tcache chunk (the one its TLS points at):
      // uint16_t counts[64], chunks held (2.30-2.41); uint16_t num_slots[76], free slots left
      // of tcache_count (2.42+). Up to 2.42 it is the first chunk of the thread's heap.
      const walk = walkHeaps(target.pid, version);
      for (const thread of truth.threads) {
        const e = truth.info.expect[thread.index]!;
        const tcache = thread.tcache!;
        expect(sizeField(target.pid, tcache) & ~7).toBe(tcacheStructChunk(version));
        if (minorOf(version) < 43) expect(walk.regions.map((r) => r.firstChunk + 16)).toContain(tcache);
        const counts = readMemory(target.pid, tcache, 128);
        for (const c of e.tcache) {
          const counter = counts.readUInt16LE(((c.chunkSize - 0x20) / 16) * 2);
          expect(counter).toBe(minorOf(version) >= 42 ? truth.info.tcacheFill - c.count : c.count);
        }
      }

      // mmapped chunks: malloc_info's trailer equals the recorded ones; each mapping is
      // chunksize (+ 16 from 2.43, mmap_size()) long.
      const mmapped = truth.live.filter((a) => (sizeField(target.pid, a.ptr) & 2) === 2);
      expect(mmapped).toHaveLength(truth.info.expect.reduce((s, e) => s + e.mmappedCount, 0));
      const mapping = (a: (typeof mmapped)[number]) => (sizeField(target.pid, a.ptr) & ~7) + truth.info.mmapTrailer;
      expect(truth.mallocInfo.mmap).toEqual({ count: mmapped.length, size: mmapped.reduce((s, a) => s + mapping(a), 0) });
      expect(truth.mallinfo.hblks).toBe(mmapped.length);
    } finally {
      await target.stop();
    }
  });

  it('--second-heap grows a thread arena past HEAP_MAX_SIZE into a second heap', async () => {
    const target = await startTarget('oracle', ['--threads', '2', '--keep', '1', '--second-heap', '1'], { glibc: version });
    try {
      const truth = target.truth();
      expectCleanRecording(truth);
      expect(requestedBytesByThread(truth.live, 'bulk').get(1)).toBe(70_000_000);
      // Worker 1 created the first (oldest) arena, which is last in main_arena's ring.
      const [, newest, oldest] = truth.mallocInfo.arenas;
      expect(newest?.subheaps).toBe(1);
      expect(oldest?.subheaps).toBe(2);
      expect(oldest?.aspaceTotal).toBeGreaterThan(70_000_000);
      const maps = readMaps(target.pid);
      const first = threadFirstHeaps(target.pid, maps, heapInfoSize);
      expect(first).toHaveLength(2);
      const heapsPerArena = first.map(
        (f) => maps.filter((m) => m.perms === 'rw-p' && m.start % HEAP_MAX === 0 && u64(readMemory(target.pid, m.start, 8)) === f.start + heapInfoSize).length,
      );
      expect(heapsPerArena.sort()).toEqual([1, 2]);
    } finally {
      await target.stop();
    }
  });

  it('trim command runs malloc_trim(0), re-records, and releases the resident free pages', async () => {
    const target = await startTarget('oracle', ['--resident-free', '4000000', '--pattern-in', 'main'], { glibc: version });
    try {
      const before = target.truth();
      expectCleanRecording(before);
      expect(before.info.snapshot).toBe(1);
      const heap = readMaps(target.pid).find((m) => m.path === '[heap]');
      if (!heap) throw new Error('no [heap]');
      // mtrim releases the whole pages of each free chunk lying past chunk + 0x30 (malloc.c mtrim).
      let trimmableKib = 0;
      for (const f of before.freed.filter((x) => x.what === 'resident')) {
        const chunk = f.ptr - 16;
        const start = Math.ceil((chunk + 0x30) / 4096) * 4096;
        const end = Math.floor((chunk + f.chunk) / 4096) * 4096;
        if (end > start) trimmableKib += (end - start) / 1024;
      }
      expect(trimmableKib).toBeGreaterThan(3000);
      const rssBefore = residentKib(target.pid, heap.start, heap.end);
      target.send('trim');
      expect(await target.waitFor(/^TRIMMED /)).toBe('TRIMMED 1');
      const after = target.truth();
      expect(after.info.snapshot).toBe(2);
      expect(after.info.trimResult).toBe(1);
      expectCleanRecording(after);
      const rssAfter = residentKib(target.pid, heap.start, heap.end);
      expect(rssBefore - rssAfter).toBeGreaterThanOrEqual(trimmableKib * 0.95);
    } finally {
      await target.stop();
    }
  });

  it('planted strings occur in heap memory exactly where and as often as plants.tsv says', async () => {
    const specs = ['KEPT_ASCII_PLANT:5', 'KEPT_WIDE_PLANT:3:utf16', 'FREED_ASCII_PLANT:9', 'FREED_WIDE_PLANT:8:utf16'];
    const target = await startTarget(
      'oracle',
      ['--threads', '2', '--plant-kept', specs[0] as string, '--plant-kept', specs[1] as string,
        '--plant-freed', specs[2] as string, '--plant-freed', specs[3] as string, '--plant-in', 'spread',
        '--plant-straddle', 'STRADDLING_PLANT', '--plant-region-end', 'REGION_END_PLANT:utf16'],
      { glibc: version },
    );
    try {
      const truth = target.truth();
      expectCleanRecording(truth);
      expect(truth.info.straddleMissed).toBe(0);
      expect(truth.info.plantSpecs.map((s) => s.count)).toEqual([5, 3, 9, 8]);
      for (const [i, spec] of truth.info.plantSpecs.entries()) {
        const rows = truth.plants.filter((p) => p.spec === i);
        expect(rows).toHaveLength(spec.count);
        expect(new Set(rows.map((r) => r.thread))).toEqual(new Set([1, 2]));
        for (const r of rows) expect(r.state).toBe(spec.state);
      }
      const freedChunks = new Set(truth.freed.map((f) => f.ptr));
      const liveChunks = new Set(truth.live.filter((a) => a.kind === 'plant').map((a) => a.ptr));
      for (const p of truth.plants.filter((x) => x.state === 'freed')) expect(freedChunks.has(p.chunk)).toBe(true);
      for (const p of truth.plants.filter((x) => x.state === 'kept')) expect(liveChunks.has(p.chunk)).toBe(true);

      // Scan every heap VMA plus the VMAs holding plants: each text occurs exactly as often as listed.
      const maps = readMaps(target.pid);
      const walk = walkHeaps(target.pid, version);
      const wanted = (m: MapsEntry) =>
        walk.regions.some((r) => r.vmaStart === m.start) || truth.plants.some((p) => p.addr >= m.start && p.addr < m.end);
      const memory = maps.filter(wanted).map((m) => readMemory(target.pid, m.start, m.end - m.start));
      const texts = [
        ...truth.info.plantSpecs.map((s, i) => ({ text: s.text, encoding: s.encoding, spec: i })),
        { text: 'STRADDLING_PLANT', encoding: 'ascii' as const, spec: -1 },
        { text: 'REGION_END_PLANT', encoding: 'utf16' as const, spec: -2 },
      ];
      for (const t of texts) {
        const needle = Buffer.from(t.text, t.encoding === 'utf16' ? 'utf16le' : 'latin1');
        const found = memory.reduce((s, buf) => s + countOccurrences(buf, needle), 0);
        expect(found, t.text).toBe(truth.plants.filter((p) => p.spec === t.spec).length);
        for (const p of truth.plants.filter((x) => x.spec === t.spec)) {
          expect(readMemory(target.pid, p.addr, p.bytes).equals(needle)).toBe(true);
        }
      }

      const straddles = truth.plants.filter((p) => p.state === 'straddle');
      const crosses = (p: (typeof straddles)[number], unit: number, origin: number) =>
        Math.floor((p.addr + p.bytes - 1 - origin) / unit) > Math.floor((p.addr - origin) / unit);
      expect(straddles.some((p) => crosses(p, MIB, 0))).toBe(true);
      expect(straddles.some((p) => crosses(p, 256 * 1024, 0) && !crosses(p, MIB, 0))).toBe(true);
      for (const p of straddles) expect(crosses(p, 256 * 1024, 0) || crosses(p, 256 * 1024, p.vmaStart)).toBe(true);

      const [end] = truth.plants.filter((p) => p.state === 'region-end');
      if (!end) throw new Error('no region-end plant');
      expect(end.addr + end.bytes).toBe(end.vmaEnd);
      expect(maps.some((m) => m.end === end.vmaEnd && m.start === end.vmaStart)).toBe(true);
    } finally {
      await target.stop();
    }
  });

  it('heartbeat thread keeps counting and never allocates', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'arenascope-hb-')), 'beat');
    const target = await startTarget('oracle', ['--threads', '1', '--keep', '1', '--heartbeat', file], { glibc: version });
    try {
      const truth = target.truth();
      expectCleanRecording(truth);
      expect(truth.threads.find((t) => t.role === 'heartbeat')?.index).toBe(-1);
      expect(truth.mallocInfo.arenas).toHaveLength(2); // main + the worker, none for the heartbeat
      const read = () => u64(fs.readFileSync(file), 0);
      const first = read();
      const advanced = await new Promise<boolean>((resolve) => {
        const deadline = Date.now() + 10_000;
        const poll = () => {
          if (read() > first) resolve(true);
          else if (Date.now() > deadline) resolve(false);
          else setTimeout(poll, 20);
        };
        poll();
      });
      expect(advanced).toBe(true);
    } finally {
      await target.stop();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  it.each(['main', 'thread'])('corrupt damages its %s arena as announced and stays alive', async (arena) => {
    // glibc 2.43 removed fastbins: the fastbin modes need an older one.
    const fastbins = minorOf(version) < 43;
    const target = await startTarget(
      'corrupt',
      ['--mode', `size-huge,size-zero,smallbin-cycle,${fastbins ? 'fastbin-wild,fastbin-cycle,' : ''}tcache-wild`, '--arena', arena],
      { glibc: version },
    );
    try {
      const r = target.ready;
      const addr = (k: string) => Number.parseInt((r[k] ?? '').replace(/^0x/, ''), 16);
      const safeLinking = r.safeLinking === '1';
      expect(safeLinking).toBe(version !== '2.31');
      const reveal = (field: number, stored: number) => (safeLinking ? Number(BigInt(stored) ^ BigInt(Math.floor(field / 4096))) : stored);
      const pid = target.pid;
      expect(u64(readMemory(pid, addr('sizeHuge') + 8, 8))).toBe(0x7ffffffffff1);
      expect(u64(readMemory(pid, addr('sizeZero') + 8, 8))).toBe(1);
      const tcacheWild = addr('tcacheWild');
      expect(reveal(tcacheWild, u64(readMemory(pid, tcacheWild, 8)))).toBe(addr('wild'));
      if (fastbins) {
        const fastWild = addr('fastbinWild') + 16;
        expect(reveal(fastWild, u64(readMemory(pid, fastWild, 8)))).toBe(addr('wild'));
        const cycleA = addr('fastbinCycle');
        const cycleB = reveal(cycleA + 16, u64(readMemory(pid, cycleA + 16, 8)));
        expect(reveal(cycleB + 16, u64(readMemory(pid, cycleB + 16, 8)))).toBe(cycleA);
      } else {
        expect(r.fastbinWild).toBeUndefined();
        expect(r.fastbinCycle).toBeUndefined();
      }
      // The small-bin fd chain returns to its start after 3 steps without meeting the bin.
      let c = addr('smallbinCycle');
      const seen = new Set<number>();
      for (let i = 0; i < 3; i++) {
        seen.add(c);
        c = u64(readMemory(pid, c + 16, 8));
      }
      expect(c).toBe(addr('smallbinCycle'));
      expect(seen.size).toBe(3);
      expect(fs.existsSync(`/proc/${pid}`)).toBe(true);
    } finally {
      await target.stop();
    }
  });

  it('many_maps creates unmerged single-page VMAs, a PROT_NONE hole and a beyond-EOF file hole', async () => {
    const target = await startTarget('many_maps', ['--maps', '20000', '--hole', '8'], { glibc: version });
    try {
      const r = target.ready;
      const hex = (k: string) => Number.parseInt((r[k] ?? '').replace(/^0x/, ''), 16);
      const maps = readMaps(target.pid);
      const inMaps = maps.filter((m) => m.start >= hex('mapsFirst') && m.end <= hex('mapsEnd'));
      expect(inMaps).toHaveLength(20000);
      for (const m of inMaps) expect(m.end - m.start).toBe(4096);
      const region = maps.filter((m) => m.start >= hex('region') && m.end <= hex('regionEnd'));
      expect(region.map((m) => m.perms)).toEqual(['rw-p', '---p', 'rw-p']);
      expect(region[1]?.start).toBe(hex('hole'));
      expect(readMemory(target.pid, hex('region'), 4096).every((b) => b === 1)).toBe(true);
      // /proc/PID/mem reads with FOLL_FORCE, so even the PROT_NONE page is readable there
      // (process_vm_readv would fail with EFAULT): it still holds its fill byte.
      const holePage = (hex('hole') - hex('region')) / 4096;
      expect(readMemory(target.pid, hex('hole'), 16).every((b) => b === holePage + 1)).toBe(true);
      expect(readMemory(target.pid, hex('fileRegion') + 4096, 4096).every((b) => b === 0x42)).toBe(true);
      expect(() => readMemory(target.pid, hex('fileHole'), 16)).toThrow();
    } finally {
      await target.stop();
    }
  });
});
