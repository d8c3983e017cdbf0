// Looking never adds to the target's memory. The oracle target holds arenas
// with never-touched pages (the tail of each thread heap and of [heap]) and
// trimmed ones (malloc_trim(0) gives back the inside of its free chunks with
// MADV_DONTNEED). Every command, and what the TUI samples, must leave the
// pages of those arenas as they were: a read of such a page either allocates
// it (some kernels) or maps the shared zero page, which pagemap then shows as
// present (standard kernels); both count here. The test itself reads only
// /proc/PID/{smaps,status,pagemap}, never the target's memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sampleProcess } from '../../src/engine/sample.js';
import { scanTargetStrings } from '../../src/engine/strings.js';
import { defaultStringScanOptions } from '../../src/model/strings.js';
import { startTarget, type RunningTarget } from '../helpers/targets.js';
import { runCli } from '../support/nativeTarget.js';
import { anonFootprint, arenaHeapRanges, type Footprint } from '../support/footprint.js';

const threads = 3;
let target: RunningTarget;
let dir: string;
let heaps: Array<{ start: number; end: number }>;

// A fresh target for every check: a page one command made resident would hide
// what the next one does.
beforeEach(async () => {
  // Workers keep 60000-byte chunks and free ~4 MB of touched ones between them;
  // `trim` then releases the inside of those free chunks.
  target = await startTarget('oracle', ['--threads', String(threads), '--keep', '40', '--size', '60000', '--resident-free', '4000000', '--free-pattern', 'tcache-full,bins']);
  target.send('trim');
  await target.waitFor(/^TRIMMED [01]$/);
  heaps = arenaHeapRanges(target.pid);
});

afterEach(async () => {
  await target?.stop();
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'arenascope-footprint-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The pages of every arena heap, and RssAnon, before and after fn. */
async function across(fn: () => Promise<void>): Promise<{ before: Footprint; after: Footprint }> {
  const before = anonFootprint(target.pid, heaps);
  await fn();
  const after = anonFootprint(target.pid, heaps);
  return { before, after };
}

function expectUntouched({ before, after }: { before: Footprint; after: Footprint }): void {
  // One page per arena is the allowance the contract gives; nothing moves in a parked target.
  const allowance = heaps.length;
  for (const [i, h] of before.heaps.entries()) {
    const a = after.heaps[i]!;
    expect(a.presentPages - h.presentPages, `present pages of heap 0x${h.start.toString(16)}`).toBeLessThanOrEqual(1);
    expect(a.rssKb - h.rssKb, `smaps Rss of heap 0x${h.start.toString(16)}`).toBeLessThanOrEqual(4);
  }
  expect(after.rssAnonKb - before.rssAnonKb, 'RssAnon').toBeLessThanOrEqual(allowance * 4);
}

describe('a target whose arenas hold never-touched and trimmed pages', () => {
  it('has such pages in every arena heap (the precondition of the checks below)', () => {
    expect(heaps.length).toBe(threads + 1);
    const f = anonFootprint(target.pid, heaps);
    for (const h of f.heaps) {
      const pages = (h.end - h.start) / 4096;
      expect(pages - h.presentPages, `non-present pages in 0x${h.start.toString(16)}`).toBeGreaterThanOrEqual(16);
    }
  });

  const cli: Array<[string, (pid: number) => string[]]> = [
    ['maps', (pid) => ['maps', String(pid), '--json']],
    ['arenas', (pid) => ['arenas', String(pid), '--json']],
    ['arenas symbol-free with bins and histogram', (pid) => ['arenas', String(pid), '--json', '--no-debuginfo', '--bins', '--histogram']],
    ['arenas --freeze', (pid) => ['arenas', String(pid), '--json', '--freeze']],
    ['strings (every heap)', (pid) => ['strings', String(pid), '--json']],
    ['strings --live', (pid) => ['strings', String(pid), '--json', '--live']],
    ['strings --free', (pid) => ['strings', String(pid), '--json', '--free']],
    ['strings --suspicious --grep', (pid) => ['strings', String(pid), '--json', '--suspicious', '2', '--grep', 'a.*b']],
    ['report', (pid) => ['report', String(pid), '--json', '--no-attach']],
  ];
  for (const [name, args] of cli) {
    it(`leaves them untouched: ${name}`, async () => {
      let code = -1;
      let stderr = '';
      expectUntouched(
        await across(async () => {
          const r = await runCli(args(target.pid));
          code = r.code;
          stderr = r.stderr;
        }),
      );
      expect(code, stderr).toBe(0);
    });
  }

  it('leaves them untouched: dump of every arena heap, and says how much it did not read', async () => {
    const records: Array<{ zeroBytes: number; bytesRead: number; size: number }> = [];
    expectUntouched(
      await across(async () => {
        for (const [i, h] of heaps.entries()) {
          const r = await runCli(['dump', String(target.pid), '--region', `0x${h.start.toString(16)}`, '-o', join(dir, `heap${i}.bin`), '--json']);
          expect(r.code, r.stderr).toBe(0);
          records.push(JSON.parse(r.stdout));
        }
      }),
    );
    // The non-present pages counted in the precondition were written as zeros without being read.
    for (const rec of records) {
      expect(rec.zeroBytes).toBeGreaterThanOrEqual(16 * 4096);
      expect(rec.bytesRead).toBe(rec.size);
    }
  });

  it('leaves them untouched: what the TUI samples (walk with bins, histogram and a heap map; the residency join; string scan)', async () => {
    let sampledArenas = 0;
    let scanned = 0;
    expectUntouched(
      await across(async () => {
        const first = await sampleProcess(target.pid, { withBins: true, withHistogram: true, withResidency: true });
        expect(first.mallocError).toBeNull();
        const arena = first.malloc!.arenas.find((a) => !a.main)!.address;
        const s = await sampleProcess(target.pid, { withBins: true, withHistogram: true, heapMap: { arena, cells: 800 } });
        sampledArenas = s.malloc!.arenas.length;
        const r = await scanTargetStrings(target.pid, { kind: 'default' }, defaultStringScanOptions, undefined, { regionMap: undefined });
        scanned = r.scanned.bytes;
      }),
    );
    expect(sampledArenas).toBe(threads + 1);
    expect(scanned).toBeGreaterThan(0);
  });
});
