// Cancelling long native work (issue 15): on a real heap of about 4.8 million
// chunks, a walk or a string scan whose AbortSignal is aborted (before the
// call, right after it, or while the native job is visibly inside the heap)
// rejects with ECANCELED (exit 130); the target is left exactly as it was, a
// walk after the cancel gives the totals of a walk before it, and the addon's
// MemorySource that ran the cancelled jobs still reads, walks and scans.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMallocSnapshot, layoutForNative } from '../../src/engine/malloc.js';
import { scanTargetStrings } from '../../src/engine/strings.js';
import { ArenascopeError, ExitCode } from '../../src/errors.js';
import { layoutCandidates } from '../../src/glibc/layouts.js';
import { MemoryReader } from '../../src/memory/reader.js';
import type { ArenaSnapshot, MallocSnapshot } from '../../src/model/snapshot.js';
import { defaultStringScanOptions } from '../../src/model/strings.js';
import { loadNative } from '../../src/native/loader.js';
import { readMemory } from '../helpers/heapWalk.js';
import { anonFootprint, arenaHeapRanges } from '../support/footprint.js';
import { assertRunningUntraced } from '../support/inspection.js';
import { buildC, startNative, type RunningTarget } from '../support/nativeTarget.js';

/** Settles p and returns its rejection (null when it resolved). */
async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => e,
  );
}

function expectCanceled(err: unknown): void {
  expect(err, 'the job finished instead of being cancelled').not.toBeNull();
  expect(err).toBeInstanceOf(ArenascopeError);
  expect((err as ArenascopeError).code).toBe('ECANCELED');
  expect((err as ArenascopeError).exitCode).toBe(ExitCode.interrupted);
}

/** What an arena holds, without the fields that say how or when it was read. */
function totals(a: ArenaSnapshot) {
  return { address: a.address, inUse: a.inUse, internal: a.internal, free: a.free, top: a.top, systemMem: a.systemMem, identityHolds: a.identityHolds };
}

/**
 * A FIFO for the walk's chunk listing (listChunks): the walk writes into it
 * with blocking writes, so it cannot get past the first 64 KiB before this
 * side reads, and `started` resolves once it has written something: the
 * native job is then inside the heap for certain. Everything is drained
 * until close(), which the caller calls once the walk has settled.
 */
function listingFifo(dir: string) {
  const path = join(dir, `chunks-${Math.random().toString(36).slice(2)}.fifo`);
  execFileSync('mkfifo', [path]);
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY);
  const socket = new Socket({ fd: readFd, readable: true, writable: false });
  let lines = 0;
  socket.on('data', (d: Buffer) => {
    for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines++;
  });
  const started = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    fd: writeFd,
    started,
    lines: () => lines,
    async close(): Promise<void> {
      closeSync(writeFd); // the reader sees EOF after the last byte
      await closed;
    },
  };
}

/** sha256 of the target's heaps, read through /proc/PID/mem (non-resident pages are not read). */
function heapDigest(pid: number, heaps: Array<{ start: number; end: number }>): string {
  const h = createHash('sha256');
  const piece = 32 << 20;
  for (const r of heaps) for (let a = r.start; a < r.end; a += piece) h.update(readMemory(pid, a, Math.min(piece, r.end - a)));
  return h.digest('hex');
}

describe('cancelling a walk or a scan of a big heap', () => {
  let target: RunningTarget;
  let dir: string;
  let before: MallocSnapshot;
  let heaps: Array<{ start: number; end: number }>;
  let digestBefore: string;
  let footprintBefore: ReturnType<typeof anonFootprint>;

  beforeAll(async () => {
    // 256 MiB of 0x20-0x50 chunks in the main arena alone, a quarter freed in
    // shuffled order: about 4.8 million chunks, a walk of a noticeable
    // fraction of a second (test/targets/reliability/busy_heap.c).
    target = await startNative(buildC('test/targets/reliability/busy_heap.c'), ['256', '0', 'shuffled', 'small']);
    dir = mkdtempSync(join(tmpdir(), 'arenascope-cancel-'));
    heaps = arenaHeapRanges(target.pid);
    footprintBefore = anonFootprint(target.pid, heaps);
    digestBefore = heapDigest(target.pid, heaps);
    before = (await readMallocSnapshot(target.pid)).snapshot;
  }, 120_000);
  afterAll(async () => {
    await target?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the target is big enough to cancel in the middle of, and walks exactly', () => {
    expect(before.arenas).toHaveLength(1);
    const a = before.arenas[0]!;
    expect(a.anomalies.total).toBe(0);
    expect(before.anomalies.total).toBe(0);
    expect(a.identityHolds).toBe(true);
    // 256 MiB / 56 bytes per chunk (busy_heap.c's small mode), a quarter freed
    const free = Object.values(a.free).reduce((t, f) => t + f.chunks, 0);
    expect(a.inUse.chunks + free).toBeGreaterThan(4_500_000);
  });

  describe('a walk (readMallocSnapshot)', () => {
    it('rejects with ECANCELED when its signal is already aborted', async () => {
      expectCanceled(await rejectionOf(readMallocSnapshot(target.pid, { signal: AbortSignal.abort() })));
    });

    it('rejects with ECANCELED when its signal is aborted right after the call', async () => {
      const c = new AbortController();
      const walk = readMallocSnapshot(target.pid, { signal: c.signal });
      c.abort();
      expectCanceled(await rejectionOf(walk));
    });

    it('rejects with ECANCELED when its signal is aborted while the native walk is in the heap, and stops there', async () => {
      const fifo = listingFifo(dir);
      const c = new AbortController();
      const walk = rejectionOf(readMallocSnapshot(target.pid, { signal: c.signal, listChunks: { fd: fifo.fd } }));
      await fifo.started;
      c.abort();
      const err = await walk;
      await fifo.close();
      expectCanceled(err);
      // It stopped: far fewer chunks listed than the heap has (the walk looks
      // at the flag every 65536 chunks).
      const a = before.arenas[0]!;
      expect(fifo.lines()).toBeGreaterThan(0);
      expect(fifo.lines()).toBeLessThan(a.inUse.chunks / 4);
    });
  });

  describe('a string scan (scanTargetStrings)', () => {
    const options = { ...defaultStringScanOptions, top: 5, samples: 0 };
    const region = () => ({ kind: 'region' as const, address: heaps[0]!.start });

    it('rejects with ECANCELED when its signal is already aborted: with a walk first, and without one', async () => {
      expectCanceled(await rejectionOf(scanTargetStrings(target.pid, { kind: 'default' }, options, undefined, { signal: AbortSignal.abort() })));
      expectCanceled(await rejectionOf(scanTargetStrings(target.pid, region(), options, undefined, { signal: AbortSignal.abort() })));
    });

    it('rejects with ECANCELED when its signal is aborted right after the call (the native scan already queued)', async () => {
      // A region needs no walk: the scan is handed to the addon before the
      // promise is returned, so this abort reaches a running native job.
      const c = new AbortController();
      const scan = scanTargetStrings(target.pid, region(), options, undefined, { signal: c.signal });
      c.abort();
      expectCanceled(await rejectionOf(scan));
    });

    it('rejects with ECANCELED when its signal is aborted at the scan\'s first progress report, after a whole walk', async () => {
      const c = new AbortController();
      let seen: { done: number; total: number } | null = null;
      const err = await rejectionOf(
        scanTargetStrings(
          target.pid,
          { kind: 'default' },
          options,
          (done, total) => {
            // The first report comes after 4 MiB of the 256 MiB heap; the
            // scan is far from its end when the abort reaches it.
            if (seen) return;
            seen = { done, total };
            c.abort();
          },
          { signal: c.signal },
        ),
      );
      expect(seen).not.toBeNull();
      expect(seen!.done).toBeLessThan(seen!.total);
      expectCanceled(err);
    });
  });

  it('after cancelled jobs the target is untouched, and a walk gives exactly the totals of the walk before them', async () => {
    // One more cancel mid-walk, then look.
    const fifo = listingFifo(dir);
    const c = new AbortController();
    const walk = rejectionOf(readMallocSnapshot(target.pid, { signal: c.signal, listChunks: { fd: fifo.fd } }));
    await fifo.started;
    c.abort();
    const err = await walk;
    await fifo.close();
    expectCanceled(err);

    assertRunningUntraced(target.pid);
    expect(anonFootprint(target.pid, heaps)).toEqual(footprintBefore);
    expect(heapDigest(target.pid, heaps)).toBe(digestBefore);
    const after = (await readMallocSnapshot(target.pid)).snapshot;
    expect(after.anomalies.total).toBe(0);
    expect(after.arenas.map(totals)).toEqual(before.arenas.map(totals));
    expect(after.totals).toEqual(before.totals);
  }, 120_000);

  it('a MemorySource whose walks and scans were cancelled still reads, walks and scans', async () => {
    const native = loadNative();
    const reader = MemoryReader.forProcess(target.pid);
    const minor = Number(before.glibcVersion.split('.')[1]);
    const layout = layoutCandidates(minor).find((l) => l.name === before.layout);
    expect(layout, `layout ${before.layout}`).toBeDefined();
    const walkOptions = { mainArena: before.mainArena, mp: before.mallocPar, heapMaxSize: before.heapMaxSize };
    const ranges = heaps.map((h) => ({ start: h.start, end: h.end }));
    const scanOptions = { minLength: 6, encoding: 'ascii' as const, top: 5, samples: 0 };

    // Cancelled before the job, and right after it was queued, several times
    // over: a job that leaked the source's lock would leave the next one waiting.
    for (let i = 0; i < 3; i++) {
      const early = new native.CancelToken();
      early.cancel();
      expect(early.canceled).toBe(true);
      expect(await rejectionOf(native.walkArenas(reader.native, layoutForNative(layout!), { ...walkOptions, cancel: early }))).toMatchObject({ code: 'ECANCELED' });
      const late = new native.CancelToken();
      expect(late.canceled).toBe(false);
      const walk = native.walkArenas(reader.native, layoutForNative(layout!), { ...walkOptions, cancel: late });
      late.cancel();
      expect(await rejectionOf(walk)).toMatchObject({ code: 'ECANCELED' });
      const scanToken = new native.CancelToken();
      const scan = native.scanStrings(reader.native, ranges, { ...scanOptions, cancel: scanToken });
      scanToken.cancel();
      expect(await rejectionOf(scan)).toMatchObject({ code: 'ECANCELED' });
    }

    // The same source reads what /proc/PID/mem holds...
    const at = heaps[0]!.start;
    const read = reader.native.read(at, 1 << 16);
    expect(read.holes).toEqual([]);
    expect(read.data.equals(readMemory(target.pid, at, 1 << 16))).toBe(true);
    // ...walks to the engine's totals...
    const walked = await native.walkArenas(reader.native, layoutForNative(layout!), walkOptions);
    expect(walked.anomalyTotal).toBe(0);
    expect(walked.arenas.map((a) => ({ inUse: a.inUse, internal: a.internal, free: a.free }))).toEqual(
      before.arenas.map((a) => ({ inUse: a.inUse, internal: a.internal, free: a.free })),
    );
    // ...and scans the whole heap (busy_heap writes "busy heap text N of thread 0" in every chunk).
    const scanned = await native.scanStrings(reader.native, ranges, scanOptions);
    expect(scanned.bytesScanned).toBe(ranges.reduce((t, r) => t + r.end - r.start, 0));
    expect(scanned.stringsFound).toBeGreaterThan(1_000_000);
    expect(reader.counters().pagemapUsed).toBe(true);
  }, 120_000);
});
