// native.d.ts (and the test addon's nativeTest.d.ts) against what the addon
// really returns: every function is called on a real target (the oracle, under
// the host glibc) and, where it needs one, on a memory image; each result is
// compared, recursively, with the declared type read by the TypeScript
// compiler (declaredShape.ts). Fails on a field returned but not declared, a
// declared field missing, a null where the type has none, a value of another
// primitive type or outside a literal union, and on a declared field that no
// call ever returned (with a value other than null) or, declared nullable, never
// returned null: every declaration here is shown true at least once.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMallocSnapshot, layoutForNative } from '../../src/engine/malloc.js';
import { layoutCandidates } from '../../src/glibc/layouts.js';
import { loadNative } from '../../src/native/loader.js';
import type { NativeMemorySource } from '../../src/native/native.js';
import { buildHeapImage } from '../helpers/heapImage.js';
import { readMaps } from '../helpers/heapWalk.js';
import { startTarget, type RunningTarget } from '../helpers/targets.js';
import { Coverage, Declarations, compareShape, type Shape } from './declaredShape.js';
import { busyProcess } from './scenarios.js';
import { knownLayouts, testAddon } from './testAddon.js';

const production = new Declarations(join(import.meta.dirname, '..', '..', 'src', 'native', 'native.d.ts'));
const testing = new Declarations(join(import.meta.dirname, 'nativeTest.d.ts'));

/** The results of each declared function, checked together so coverage spans all its calls. */
class Results {
  private readonly values = new Map<string, { shape: Shape; values: unknown[] }>();
  constructor(private readonly decls: Declarations, private readonly owner: string) {}
  add(member: string, value: unknown): void {
    const entry = this.values.get(member) ?? { shape: this.decls.returnShape(this.owner, member), values: [] };
    entry.values.push(value);
    this.values.set(member, entry);
  }
  called(): string[] {
    return [...this.values.keys()].sort();
  }
  /** Mismatches, then declared paths never seen, for every member called. */
  problems(): string[] {
    const out: string[] = [];
    for (const [member, { shape, values }] of this.values) {
      const coverage = new Coverage();
      coverage.declare(shape, member);
      for (const v of values) out.push(...compareShape(v, shape, member, coverage));
      out.push(...coverage.neverSeen().map((p) => (p.endsWith(' (null)') ? `${p.slice(0, -7)}: declared nullable, but no call returned null` : `${p}: declared, but no call returned it`)));
    }
    return [...new Set(out)]; // once per path, not once per array element
  }
}

const native = loadNative();
let target: RunningTarget;
let dir: string;
const prod = new Results(production, 'NativeAddon');
const sources = new Results(production, 'NativeMemorySource');
const statics = new Results(production, 'NativeMemorySourceStatic');
const tests = new Results(testing, 'NativeTestAddon');
const callbacks: Array<{ member: string; args: unknown[] }> = [];

/** Calls every function once or more and keeps what each returned. */
async function exercise(): Promise<void> {
  const pid = target.pid;
  const { snapshot } = await readMallocSnapshot(pid);
  const minor = Number(snapshot.glibcVersion.split('.')[1]);
  const layout = layoutForNative(layoutCandidates(minor).find((l) => l.name === snapshot.layout)!);
  const maps = readMaps(pid);
  const libcData = maps.findIndex((m) => m.path.endsWith('/libc.so.6') && m.perms === 'rw-p');
  // libc's .bss continues in the anonymous mapping right after its rw-p segment.
  const bss = maps[libcData + 1]!;
  const libc = { start: maps[libcData]!.start, end: bss.path === '' && bss.start === maps[libcData]!.end ? bss.end : maps[libcData]!.end };
  const heap = maps.find((m) => m.path === '[heap]')!;
  // The page after [heap]'s end: brk grows into a gap, so nothing is mapped there (checked).
  const unmapped = heap.end;
  if (maps.some((m) => m.start < unmapped + 0x2000 && m.end > unmapped)) throw new Error('the two pages after [heap] are mapped');
  const threadHeap = snapshot.arenas.find((a) => !a.main)!.heaps[0]!.start;

  // Sources: a process, an image, a file. The reads take [heap]'s last page and the two
  // unmapped ones after it: holes.
  const proc = native.MemorySource.forProcess(pid);
  statics.add('forProcess', proc);
  const segments = [{ address: 0x10000, data: Buffer.alloc(0x3000, 0x41) }];
  const image = native.MemorySource.fromImage(segments);
  statics.add('fromImage', image);
  const file = join(dir, 'image.bin');
  writeFileSync(file, Buffer.alloc(0x2000, 0x42));
  statics.add('fromFile', native.MemorySource.fromFile(file, 0x20000));
  for (const src of [proc, image]) sources.add('describe', src.describe());
  sources.add('read', proc.read(heap.end - 0x1000, 0x3000));
  sources.add('readAsync', await proc.readAsync(heap.end - 0x1000, 0x3000));
  sources.add('read', image.read(0x10000, 0x100));
  for (const src of [proc, image, native.MemorySource.forProcess(pid, { readSwapped: true })]) sources.add('counters', src.counters());

  // dumpRange, with its progress callback's arguments.
  const fd = openSync(join(dir, 'dump.bin'), 'w');
  try {
    prod.add('dumpRange', await native.dumpRange(proc, heap.start, heap.end + 0x2000, fd, (...args) => callbacks.push({ member: 'dumpRange', args })));
  } finally {
    closeSync(fd);
  }

  // freeze / thaw / thawAll: thaw answers null once nothing is frozen.
  prod.add('freeze', native.freeze(pid));
  prod.add('thaw', native.thaw(pid));
  prod.add('thaw', native.thaw(pid));
  prod.add('thawAll', native.thawAll());

  // The walker: every option on, every option off, and mp_ at an unmapped address (mp: null).
  const where = { mainArena: snapshot.mainArena, mp: snapshot.mallocPar };
  // Every option on: residency, the main arena's heap map, the chunk map, a chunk listing into a file.
  const listFd = openSync(join(dir, 'chunks.ndjson'), 'w');
  let full;
  try {
    full = await native.walkArenas(proc, layout, {
      ...where,
      withBins: true,
      withHistogram: true,
      withTcacheDetail: true,
      chunkMap: true,
      confirm: false,
      residency: { brkStart: heap.start, brkEnd: heap.end, thpPagesize: 0, pad: 0, consolidateFastbins: true },
      heapMap: { arena: snapshot.mainArena, cells: 64 },
      listChunks: { fd: listFd, arena: 0 },
      cancel: new native.CancelToken(),
    });
  } finally {
    closeSync(listFd);
  }
  prod.add('walkArenas', full);
  prod.add('walkArenas', await native.walkArenas(proc, layout, where));
  prod.add('walkArenas', await native.walkArenas(proc, layout, { ...where, mp: unmapped }));
  // Every layout release range on a synthetic image: the fields older glibc has (max_total_mem) or lacks.
  for (const entry of knownLayouts()) {
    const img = buildHeapImage(busyProcess(entry.layout).spec);
    prod.add('walkArenas', await native.walkArenas(native.MemorySource.fromImage(img.segments), entry.layout, { mainArena: img.mainArena, mp: img.mp }));
  }
  // Anomalies an arena keeps (a size field broken in a synthetic heap, seen by
  // both reads), and torn reads (the same heap broken for the first read only).
  const entry = knownLayouts().at(-1)!;
  const clean = buildHeapImage(busyProcess(entry.layout).spec);
  const broken = buildHeapImage(busyProcess(entry.layout).spec);
  broken.write64(broken.chunk.get('a1.tc')! + 8, 0x7ffffffffff1);
  const at = { mainArena: clean.mainArena, mp: clean.mp };
  const corrupt = await native.walkArenas(native.MemorySource.fromImage(broken.segments), entry.layout, at);
  if (!corrupt.arenas.some((a) => a.anomalyTotal > 0)) throw new Error('the broken image walked clean');
  prod.add('walkArenas', corrupt);
  // The broken arena's malloc_state is read when the ring is walked and again after the arena: the heap mends in between.
  const brokenArena = corrupt.arenas.find((a) => a.anomalyTotal > 0)!.address;
  // The test addon's sources are its own class: its walkArenas (the production module, linked in again) reads them.
  const moving = await testAddon.walkArenas(testAddon.changingImage(broken.segments, clean.segments, brokenArena, 2), entry.layout, at);
  if (!moving.arenas.some((a) => a.torn.total > 0)) throw new Error('the changing image showed no torn read');
  prod.add('walkArenas', moving);
  // A tcache list broken for the first read only (read before main_arena's second read, read
  // again after it): torn at the top level, where the tcache structs' problems are reported.
  if (entry.layout.tcacheBins > 0) {
    const tcBroken = buildHeapImage(busyProcess(entry.layout).spec);
    tcBroken.write64(tcBroken.chunk.get('a1.tc')! + 0x10 + entry.layout.tcacheEntriesOffset, 0xdead0000);
    const tornTcache = await testAddon.walkArenas(testAddon.changingImage(tcBroken.segments, clean.segments, clean.mainArena, 2), entry.layout, at);
    if (tornTcache.torn.total === 0) throw new Error('the changing tcache showed no torn read');
    prod.add('walkArenas', tornTcache);
  }
  prod.add('scanForMainArena', await native.scanForMainArena(proc, libc.start, libc.end, layout, snapshot.heapMaxSize));

  // Strings: plain, and attributed to chunks with grep.
  const ranges = snapshot.arenas.flatMap((a) => a.heaps.map((h) => ({ start: h.start, end: h.start + h.size })));
  const options = { minLength: 6, encoding: 'both' as const, top: 20, samples: 20 };
  prod.add('scanStrings', await native.scanStrings(proc, ranges, options, (...args) => callbacks.push({ member: 'scanStrings', args })));
  prod.add('scanStrings', await native.scanStrings(proc, ranges, { ...options, grep: 'SHAPE', chunkMap: full.chunkMap!, chunkFilter: 'live', cancel: new native.CancelToken() }));

  // The test addon's own entry points, on the same process (its own source object).
  const testProc: NativeMemorySource = testAddon.MemorySource.forProcess(pid);
  tests.add('scanForMallocPar', await testAddon.scanForMallocPar(testProc, libc.start, libc.end, layout));
  tests.add('readHeapInfo', testAddon.readHeapInfo(testProc, threadHeap, layout));
  tests.add('readHeapInfo', testAddon.readHeapInfo(testProc, unmapped, layout)); // null
  // heap_info has no pagesize before 2.35: the oldest layout's image answers null there.
  const oldest = knownLayouts()[0]!;
  const oldImage = buildHeapImage(busyProcess(oldest.layout).spec);
  const oldHeap = oldImage.expected.find((a) => !a.main)!.heaps[0]!.start;
  tests.add('readHeapInfo', testAddon.readHeapInfo(testAddon.MemorySource.fromImage(oldImage.segments), oldHeap, oldest.layout));
  tests.add('knownMallocLayouts', testAddon.knownMallocLayouts());
  tests.add('failingSource', testAddon.failingSource('bad_alloc'));
  tests.add('errorCodes', testAddon.errorCodes());
  tests.add('changingImage', testAddon.changingImage([], [], 0, 0));
  tests.add(
    'spanResidency',
    testAddon.spanResidency({ rangeStart: 0x10000, rangeEnd: 0x14000, absent: [3], swapped: [], chunks: [{ start: 0x10010, end: 0x14000, cls: 'top' }], thpPagesize: 0, pad: 0, consolidateFastbins: true, mainTopTrims: true }),
  );
  // Present in sanitizer builds only (it is optional in the declaration).
  if (testAddon.leakCheck) tests.add('leakCheck', testAddon.leakCheck());
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'arenascope-shape-'));
  target = await startTarget('oracle', [
    '--threads', '2', '--keep', '20', '--size', '200',
    '--free-pattern', 'tcache-full,fastbin,bins,mmapped',
    '--plant-kept', 'ARENASCOPE_SHAPE_PLANT:8', '--plant-kept', 'SHAPE_WIDE_PLANT:4:utf16',
  ]);
  await exercise();
}, 120_000);

afterAll(async () => {
  await target?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('native.d.ts against the production addon', () => {
  it('declares exactly the functions the addon exports, and each was called here', () => {
    expect(Object.keys(native).sort()).toEqual(production.members('NativeAddon'));
    // The two classes are covered by their instances' methods (sources) and test/native/cancel.test.ts.
    expect(prod.called()).toEqual(production.members('NativeAddon').filter((m) => m !== 'MemorySource' && m !== 'CancelToken'));
    expect(statics.called()).toEqual(production.members('NativeMemorySourceStatic'));
    expect(sources.called()).toEqual(production.members('NativeMemorySource'));
  });

  it('matches every result: keys, null-ness and types, every declared field seen', () => {
    expect([...prod.problems(), ...statics.problems(), ...sources.problems()]).toEqual([]);
  });

  it('matches the arguments of the progress callbacks', () => {
    for (const member of ['dumpRange', 'scanStrings']) {
      const params = production.callbackParameters('NativeAddon', member, member === 'dumpRange' ? 4 : 3);
      const calls = callbacks.filter((c) => c.member === member);
      expect(calls.length).toBeGreaterThan(0);
      const coverage = new Coverage();
      params.forEach((p, i) => coverage.declare(p, `${member} callback arg ${i}`));
      const problems = calls.flatMap((c) => [
        ...(c.args.length === params.length ? [] : [`${member}: callback got ${c.args.length} arguments, ${params.length} declared`]),
        ...params.flatMap((p, i) => compareShape(c.args[i], p, `${member} callback arg ${i}`, coverage)),
      ]);
      expect([...problems, ...coverage.neverSeen()]).toEqual([]);
    }
  });
});

describe('nativeTest.d.ts against the test addon', () => {
  it('declares exactly the functions the test addon exports', () => {
    const declared = testing.members('NativeTestAddon').filter((m) => m !== 'leakCheck' || testAddon.leakCheck);
    expect(Object.keys(testAddon).sort()).toEqual(declared);
    const own = declared.filter((m) => !production.members('NativeAddon').includes(m));
    expect(tests.called()).toEqual(own);
  });

  it('matches every result of its test-only functions', () => {
    expect(tests.problems()).toEqual([]);
  });
});
