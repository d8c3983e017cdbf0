// Live smoke test on the system glibc: a 4-thread fixture builds known heap
// state, prints malloc_info() and its own accounting, then sleeps. The
// walker, given main_arena from scanForMainArena over libc's writable data and
// mp_ from the debug symbol, must agree with glibc's own numbers.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { childEnv } from '../support/childEnv.js';

import { addon } from './rawAddon.js';
import { knownLayouts } from './testAddon.js';
const layout = knownLayouts().find((l) => l.name === '2.35-2.41')!.layout;
const fixtureSource = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures', 'arena_threads.c');

interface Mapping {
  start: number;
  end: number;
  perms: string;
  offset: number;
  path: string;
}

function readMaps(pid: number): Mapping[] {
  return fs
    .readFileSync(`/proc/${pid}/maps`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [range, perms, offset, , , ...rest] = line.split(/\s+/);
      const [start, end] = range!.split('-').map((x) => parseInt(x, 16));
      return { start: start!, end: end!, perms: perms!, offset: parseInt(offset!, 16), path: rest.join(' ') };
    });
}

interface HeapInfoXml {
  sizes: { tag: string; from: number; to: number; total: number; count: number }[];
  fast: { count: number; size: number };
  rest: { count: number; size: number };
  system: { current: number; max: number };
  aspace: { total: number; mprotect: number; subheaps?: number };
}

function attrs(s: string): Record<string, string> {
  return Object.fromEntries([...s.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/** malloc_info() XML of glibc 2.31+ (malloc.c __malloc_info). */
function parseMallocInfo(xml: string): { heaps: HeapInfoXml[]; mmap: { count: number; size: number } } {
  const heaps: HeapInfoXml[] = [];
  for (const m of xml.matchAll(/<heap nr="(\d+)">([\s\S]*?)<\/heap>/g)) {
    const body = m[2]!;
    const h: HeapInfoXml = {
      sizes: [],
      fast: { count: 0, size: 0 },
      rest: { count: 0, size: 0 },
      system: { current: 0, max: 0 },
      aspace: { total: 0, mprotect: 0 },
    };
    for (const e of body.matchAll(/<(size|unsorted|total|system|aspace) ([^>]*)\/>/g)) {
      const a = attrs(e[2]!);
      if (e[1] === 'size' || e[1] === 'unsorted') {
        h.sizes.push({ tag: e[1], from: +a.from!, to: +a.to!, total: +a.total!, count: +a.count! });
      } else if (e[1] === 'total') {
        h[a.type === 'fast' ? 'fast' : 'rest'] = { count: +a.count!, size: +a.size! };
      } else if (e[1] === 'system') {
        h.system[a.type === 'current' ? 'current' : 'max'] = +a.size!;
      } else {
        h.aspace[a.type as 'total' | 'mprotect' | 'subheaps'] = +a.size!;
      }
    }
    heaps.push(h);
  }
  const tail = xml.slice(xml.lastIndexOf('</heap>'));
  const mm = attrs(/<total type="mmap" ([^>]*)\/>/.exec(tail)![1]!);
  return { heaps, mmap: { count: +mm.count!, size: +mm.size! } };
}

function symbolOffset(libcPath: string, name: string): number {
  const out = execFileSync('gdb', ['-batch', '-ex', `info address ${name}`, libcPath], { encoding: 'utf8', env: childEnv() });
  const m = /is static storage at address (0x[0-9a-f]+)/.exec(out);
  if (!m) throw new Error(`gdb could not place ${name}: ${out}`);
  return parseInt(m[1]!, 16);
}

interface Fixture {
  child: ChildProcess;
  pid: number;
  output: string;
}

async function startFixture(binary: string, dir: string, env: Record<string, string>): Promise<Fixture> {
  const outPath = path.join(dir, `out-${Object.keys(env).length}-${Date.now()}.txt`);
  const fd = fs.openSync(outPath, 'w');
  const child = spawn(binary, [], { stdio: ['ignore', fd, 'inherit'], env: childEnv(env) });
  fs.closeSync(fd);
  const deadline = Date.now() + 50_000; // bounds a hang only: the fixture prints READY at once
  while (Date.now() < deadline) {
    const text = fs.readFileSync(outPath, 'utf8');
    if (text.includes('READY\n')) return { child, pid: child.pid!, output: text };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error('fixture did not become ready');
}

async function locateAndWalk(pid: number) {
  const maps = readMaps(pid);
  const libcMaps = maps.filter((m) => /\/libc\.so\.6$/.test(m.path));
  const bias = libcMaps.find((m) => m.offset === 0)!.start;
  const rwIndex = maps.findIndex((m) => /\/libc\.so\.6$/.test(m.path) && m.perms === 'rw-p');
  const rw = maps[rwIndex]!;
  const after = maps[rwIndex + 1];
  // libc's .bss continues in the anonymous mapping right after its rw-p segment.
  const end = after && after.path === '' && after.start === rw.end ? after.end : rw.end;
  const src = addon.MemorySource.forProcess(pid);
  const mp = bias + symbolOffset(libcMaps[0]!.path, 'mp_');
  // 2.35-2.41: heap_max is 4 * mp_.hp_pagesize once huge pages are configured.
  const hpPagesize = Number(src.read(mp + layout.mpHpPagesize, 8).data.readBigUInt64LE(0));
  const heapMax = hpPagesize ? 4 * hpPagesize : 64 * 1024 * 1024;
  const candidates = await addon.scanForMainArena(src, rw.start, end, layout, heapMax);
  const result = await addon.walkArenas(src, layout, {
    mainArena: candidates[0].address,
    mp,
    withBins: true,
    withTcacheDetail: true,
  });
  return { candidates, result, bias, libcPath: libcMaps[0]!.path };
}

/** malloc_info's <size>/<unsorted> lines rebuilt from the walker's bins (fastbins, bins 2..127, unsorted last). */
function sizeLines(bins: any[]) {
  const fast = bins
    .filter((b) => b.kind === 'fast')
    .map((b) => ({ tag: 'size', from: b.maxSize - 15, to: b.maxSize, total: b.chunks * b.maxSize, count: b.chunks }));
  const line = (tag: string) => (b: any) => ({ tag, from: b.minRawSize, to: b.maxRawSize, total: b.rawSizeSum, count: b.chunks });
  const regular = bins.filter((b) => b.kind === 'small' || b.kind === 'large').sort((x, y) => x.index - y.index);
  const unsorted = bins.filter((b) => b.kind === 'unsorted');
  return [...fast, ...regular.map(line('size')), ...unsorted.map(line('unsorted'))];
}

function expectMatchesMallocInfo(result: any, info: ReturnType<typeof parseMallocInfo>) {
  expect(result.arenas).toHaveLength(info.heaps.length);
  result.arenas.forEach((a: any, i: number) => {
    const h = info.heaps[i]!;
    expect(a.anomalies).toEqual([]);
    expect(a.identityHolds).toBe(true);
    expect(a.systemMem).toBe(h.system.current);
    expect(a.maxSystemMem).toBe(h.system.max);
    expect({ count: a.free.fastbins.chunks, size: a.free.fastbins.bytes }).toEqual(h.fast);
    const binned = a.bins.filter((b: any) => b.kind !== 'fast');
    expect({
      count: 1 + binned.reduce((s: number, b: any) => s + b.chunks, 0),
      size: a.top.size + binned.reduce((s: number, b: any) => s + b.rawSizeSum, 0),
    }).toEqual(h.rest);
    expect(sizeLines(a.bins)).toEqual(h.sizes);
    if (a.main) {
      expect({ total: a.systemMem, mprotect: a.systemMem }).toEqual(h.aspace);
    } else {
      expect({
        total: a.heaps.reduce((s: number, x: any) => s + x.size, 0),
        mprotect: a.heaps.reduce((s: number, x: any) => s + x.mprotectSize, 0),
        subheaps: a.heaps.length,
      }).toEqual(h.aspace);
    }
  });
  expect({ count: result.mp.nMmaps, size: result.mp.mmappedMem }).toEqual(info.mmap);
}

describe('live process on the system glibc', () => {
  let dir: string;
  let binary: string;
  const running: Fixture[] = [];

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arenascope-walker-'));
    binary = path.join(dir, 'arena_threads');
    execFileSync('gcc', ['-O1', '-pthread', '-o', binary, fixtureSource], { env: childEnv() });
  }, 60_000);

  afterAll(() => {
    for (const f of running) f.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('agrees with malloc_info and the threads own accounting', async () => {
    const fx = await startFixture(binary, dir, {});
    running.push(fx);
    const { candidates, result, bias, libcPath } = await locateAndWalk(fx.pid);
    // The scan finds exactly the symbol's main_arena.
    expect(candidates.map((c: any) => c.address)).toEqual([bias + symbolOffset(libcPath, 'main_arena')]);
    expect(result.ringClosed).toBe(true);
    expect(result.anomalies).toEqual([]);
    expect(result.approximate).toBe(false);
    expectMatchesMallocInfo(result, parseMallocInfo(fx.output));

    // Each thread's arena holds exactly the chunks the thread still owns,
    // its tcache is the first chunk of its arena, and each of the three
    // sizes it freed more than tcache_count times filled one tcache bin.
    const tcacheCount = result.mp.tcacheCount;
    const accounts = [...fx.output.matchAll(/^ACCOUNT (\d+) (\d+) (\d+) (\d+)$/gm)];
    expect(accounts).toHaveLength(4);
    for (const m of accounts) {
      const pointer = Number(m[4]);
      const arena = result.arenas.find((a: any) =>
        a.heaps.some((h: any) => pointer >= h.start && pointer < h.start + h.size),
      );
      expect(arena.main).toBe(false);
      expect(arena.inUse).toEqual({ chunks: Number(m[2]), bytes: Number(m[3]) });
      const cachedBytes = tcacheCount * (0x20 + 0x70 + 0x3f0);
      expect(arena.free.tcache).toEqual({ chunks: 3 * tcacheCount, bytes: cachedBytes });
      expect(arena.tcaches).toHaveLength(1);
      expect(arena.tcaches[0]).toMatchObject({
        address: arena.heaps[0].firstChunk + 0x10,
        foundBy: 'first-chunk',
        chunks: 3 * tcacheCount,
        bytes: cachedBytes,
      });
      expect(arena.internal).toEqual({ chunks: 1, bytes: layout.tcacheChunkSize });
    }
    const main = result.arenas[0];
    expect(main.tcaches.map((t: any) => t.foundBy)).toEqual(['sbrk-base']);
    expect(main.heaps[0].start).toBe(result.mp.sbrkBase);
  }, 60_000);

  it('follows hugetlb=2: non-contiguous main arena and 4 x hp_pagesize heaps', async () => {
    const fx = await startFixture(binary, dir, {
      GLIBC_TUNABLES: 'glibc.malloc.hugetlb=2',
      ARENA_FIXTURE_MAIN_BYTES: String(1536 * 1024),
    });
    running.push(fx);
    const { result } = await locateAndWalk(fx.pid);
    expect(result.mp.hpPagesize).toBeGreaterThan(0);
    expect(result.heapMaxSize).toBe(4 * result.mp.hpPagesize);
    expect(result.anomalies).toEqual([]);
    const main = result.arenas[0];
    expect(main.flags & 2).toBe(2); // NONCONTIGUOUS_BIT
    expect(main.heaps.length).toBeGreaterThanOrEqual(2);
    expectMatchesMallocInfo(result, parseMallocInfo(fx.output));
  }, 60_000);
});
