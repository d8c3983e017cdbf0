// The pagemap reader against a target that touches exactly every third page
// of a fresh mapping, read in small odd-sized batches so batch edges land
// everywhere; counts over arbitrary sub-ranges against a brute-force count.
import { afterAll, describe, expect, it } from 'vitest';
import { countBits, normalizeRanges, readResidency, ResidencyMap } from '../../src/proc/pagemap.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { anonymousBytes, buildTarget, spawnTarget, stopAll } from './helpers.js';

function readRawEntries(pid: number, base: number, pages: number): Buffer {
  const fd = openSync(`/proc/${pid}/pagemap`, 'r');
  const b = Buffer.alloc(pages * 8);
  readSync(fd, b, 0, b.length, (base / 4096) * 8);
  closeSync(fd);
  return b;
}

/**
 * Whether the page an entry maps is the shared zero page, from the entry's PFN
 * (bits 0-54, visible to root) and KPF_ZERO_PAGE (bit 24) of /proc/kpageflags:
 * an independent look at what the kernel did when the target only read a page.
 * Standard kernels map the zero page there; others allocate a real page.
 */
function isZeroPage(raw: Buffer, index: number): boolean {
  const entry = raw.readBigUInt64LE(index * 8);
  const pfn = Number(entry & ((1n << 55n) - 1n));
  if (pfn === 0) throw new Error('no PFN in pagemap: this test needs root (CAP_SYS_ADMIN)');
  const fd = openSync('/proc/kpageflags', 'r');
  const flags = Buffer.alloc(8);
  try {
    readSync(fd, flags, 0, 8, pfn * 8);
  } finally {
    closeSync(fd);
  }
  return (flags.readBigUInt64LE(0) & (1n << 24n)) !== 0n;
}

afterAll(stopAll);

describe('readResidency', () => {
  it('sees exactly the written pages as resident, and a read-only page as resident only when it is not the zero page', async () => {
    const pages = 1000;
    const t = spawnTarget(buildTarget('pages'), [String(pages)]);
    const [addrText, psText] = (await t.nextLine()).split(' ');
    const base = Number(addrText);
    const ps = Number(psText);
    expect(ps).toBe(4096);
    // Pages the target only read are present in pagemap (bit 63) either way: the
    // zero page on standard kernels, a fresh page on kernels without one.
    const raw = readRawEntries(t.pid, base, pages);
    const resident = (i: number) => i % 3 === 0 || (i % 3 === 1 && !isZeroPage(raw, i));
    for (let i = 1; i < pages; i += 3) expect(raw.readUInt32LE(i * 8 + 4) >>> 31).toBe(1);
    const zeroPages = Array.from({ length: pages }, (_, i) => i).filter((i) => i % 3 === 1 && isZeroPage(raw, i)).length;
    const residentPages = Array.from({ length: pages }, (_, i) => i).filter(resident).length;
    const map = readResidency(t.pid, [{ start: base, end: base + pages * ps }], { batchPages: 7 });
    for (let i = 0; i < pages; i++) expect(map.isPresent(base + i * ps), `page ${i}`).toBe(resident(i));
    expect(map.totalPresentPages()).toBe(residentPages);
    expect(map.totalZeroPages()).toBe(zeroPages);
    // RSS counts the resident pages and not the zero page.
    expect(anonymousBytes(t.pid)).toBeGreaterThanOrEqual(residentPages * ps);
    expect(anonymousBytes(t.pid)).toBeLessThan((residentPages + 64) * ps);
    const unfiltered = readResidency(t.pid, [{ start: base, end: base + pages * ps }], { dropZeroPages: false });
    expect(unfiltered.totalPresentPages()).toBe(Math.ceil(pages / 3) + Math.ceil((pages - 1) / 3));
    // Sub-ranges with unaligned ends count the pages they touch.
    for (const [from, to] of [
      [0, 1],
      [1, 3],
      [5, 500],
      [3, 4],
      [999, 1000],
      [17, 803],
    ] as const) {
      let expected = 0;
      for (let i = from; i < to; i++) if (resident(i)) expected++;
      expect(map.presentPages(base + from * ps + 100, base + (to - 1) * ps + 5)).toBe(expected);
    }
    // Outside the read ranges nothing is present.
    expect(map.presentPages(base - 10 * ps, base)).toBe(0);
    expect(map.covers(base, base + pages * ps)).toBe(true);
    expect(map.covers(base - ps, base + ps)).toBe(false);
    await t.stop();
  });

  it('reads the same with one batch as with many', async () => {
    const t = spawnTarget(buildTarget('pages'), ['300']);
    const base = Number((await t.nextLine()).split(' ')[0]);
    const one = readResidency(t.pid, [{ start: base, end: base + 300 * 4096 }]);
    const many = readResidency(t.pid, [{ start: base, end: base + 100 * 4096 }, { start: base + 100 * 4096, end: base + 300 * 4096 }], { batchPages: 13 });
    expect(many.ranges).toHaveLength(1); // touching ranges merge
    expect(Buffer.from(many.ranges[0]!.present)).toEqual(Buffer.from(one.ranges[0]!.present));
    await t.stop();
  });
});

describe('bitmaps', () => {
  it('counts bits over any window', () => {
    const bits = new Uint8Array([0b10110101, 0xff, 0x00, 0b00000001]);
    const brute = (a: number, b: number): number => {
      let n = 0;
      for (let i = a; i < b; i++) if (bits[i >> 3]! & (1 << (i & 7))) n++;
      return n;
    };
    for (let a = 0; a <= 32; a++) for (let b = a; b <= 32; b++) expect(countBits(bits, a, b)).toBe(brute(a, b));
  });

  it('builds a map from raw entries: bit 63 present, bit 62 swapped', () => {
    const e = Buffer.alloc(8 * 4);
    e.writeUInt32LE(0x80000000, 4); // page 0 present
    e.writeUInt32LE(0x40000000, 12); // page 1 swapped
    e.writeUInt32LE(0x80000000 + 0x1234, 28); // page 3 present, PFN bits set
    const m = ResidencyMap.fromEntries(0x10000, e);
    expect([0, 1, 2, 3].map((i) => m.isPresent(0x10000 + i * 4096))).toEqual([true, false, false, true]);
    expect(m.swappedPages(0x10000, 0x14000)).toBe(1);
  });

  it('merges and page-aligns ranges', () => {
    expect(normalizeRanges([{ start: 0x2001, end: 0x3000 }, { start: 0x1000, end: 0x2002 }, { start: 0x9000, end: 0x9000 }])).toEqual([{ start: 0x1000, end: 0x3000 }]);
  });
});
