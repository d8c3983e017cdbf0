// The native memory sources: page-granular holes from a live process, the
// image-backed source used by parsers' tests and fuzzers, and typed errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryReader } from '../../src/memory/reader.js';
import { buildC, startNative, type RunningTarget } from '../support/nativeTarget.js';

const page = 4096;

describe('ProcessMemorySource', () => {
  let target: RunningTarget;
  let start: number;
  let hole: number;
  beforeAll(async () => {
    target = await startNative(buildC('test/targets/foundation/region.c'), ['8', '3']);
    [start, , hole] = target.fields.map((f) => parseInt(f, 16)) as [number, number, number];
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('returns what it could read and the unreadable page as a hole', async () => {
    const reader = MemoryReader.forProcess(target.pid);
    const r = await reader.readAsync(start, 8 * page);
    expect(r.holes).toEqual([{ start: hole, end: hole + page }]);
    expect(r.bytesRead).toBe(7 * page);
    expect(r.data.readBigUInt64LE(page)).toBe((BigInt(page) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn);
    expect(r.data.subarray(hole - start, hole - start + page).every((b) => b === 0)).toBe(true);
    // a read starting mid-page inside the hole reports only the part asked for
    const mid = reader.read(hole + 100, 200);
    expect(mid.holes).toEqual([{ start: hole + 100, end: hole + 300 }]);
  });

  it('fails a vanished process with ESRCH', async () => {
    const t = await startNative(buildC('test/targets/foundation/region.c'), ['1']);
    const reader = MemoryReader.forProcess(t.pid);
    await t.stop();
    await expect(reader.readAsync(parseInt(t.fields[0]!, 16), page)).rejects.toMatchObject({ code: 'ESRCH' });
  });
});

describe('ImageMemorySource', () => {
  it('serves segments and reports gaps as holes', () => {
    const a = Buffer.alloc(0x100, 0xaa);
    const b = Buffer.alloc(0x80, 0xbb);
    const reader = MemoryReader.fromImage([
      { address: 0x10000, data: a },
      { address: 0x10200, data: b },
    ]);
    const r = reader.read(0x100f0, 0x200);
    expect(r.bytesRead).toBe(0x10 + 0x80);
    expect(r.holes).toEqual([
      { start: 0x10100, end: 0x10200 },
      { start: 0x10280, end: 0x102f0 },
    ]);
    expect(r.data[0]).toBe(0xaa);
    expect(r.data[0x110]).toBe(0xbb);
    expect(r.data[0x20]).toBe(0);
    // 0xaaaa...aa is above 2^53: not a pointer, so readU64 refuses it
    expect(reader.readU64(0x10000)).toBeNull();
    expect(reader.readU64(0x10200)).toBeNull();
    expect(reader.readU64(0x10100)).toBeNull(); // a hole
  });

  it('lets a segment added over earlier ones replace their bytes, and keeps the rest readable', () => {
    // Found by the image-source fuzzer: a segment nested inside an earlier one
    // hid the earlier one's tail (reported as a hole).
    const reader = MemoryReader.fromImage([
      { address: 0x20000, data: Buffer.alloc(0x1000, 0x11) },
      { address: 0x20400, data: Buffer.alloc(0x100, 0x22) },
      { address: 0x20f00, data: Buffer.alloc(0x200, 0x33) },
    ]);
    const r = reader.read(0x20000, 0x1100);
    expect(r.holes).toEqual([]);
    expect(r.bytesRead).toBe(0x1100);
    expect(r.data[0x3ff]).toBe(0x11);
    expect(r.data[0x400]).toBe(0x22);
    expect(r.data[0x4ff]).toBe(0x22);
    expect(r.data[0x500]).toBe(0x11);
    expect(r.data[0xeff]).toBe(0x11);
    expect(r.data[0xf00]).toBe(0x33);
    expect(r.data[0x10ff]).toBe(0x33);
    const tail = reader.read(0x20450, 0x200);
    expect(tail.holes).toEqual([]);
    expect(tail.data[0xaf]).toBe(0x22);
    expect(tail.data[0xb0]).toBe(0x11);
  });

  it('validates arguments in TS before they cross the boundary', () => {
    const reader = MemoryReader.fromImage([]);
    expect(() => reader.read(-1, 8)).toThrow(/bad address/);
    expect(() => reader.read(0, 2 ** 60)).toThrow(/bad length/);
  });
});
