// Swapped-out pages are not read unless --read-swapped: reading one swaps it
// back in, which is exactly what a target at its memory limit cannot afford.
// The target pages out the inside of its 64 KiB chunks (headers stay
// resident); pagemap's swapped bit (62) is the truth, read by the test.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { swappedPages } from '../support/footprint.js';
import { buildC, runCli, startNative, type RunningTarget } from '../support/nativeTarget.js';
import { ensureSwap } from '../support/swap.js';

const needle = 'SWAPPED-NEEDLE-0123456789';
const chunks = 48;
let removeSwap: () => void = () => {};
let dir: string;
let target: RunningTarget;
let range: { start: number; end: number };
let pagedOut: number;

beforeAll(() => {
  removeSwap = ensureSwap();
  dir = mkdtempSync(join(tmpdir(), 'arenascope-swap-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeSwap();
});

beforeEach(async () => {
  target = await startNative(buildC('test/targets/reliability/swapped_heap.c'), [String(chunks), needle]);
  const [, first, end, paged] = target.fields;
  range = { start: parseInt(first!, 16), end: parseInt(end!, 16) };
  pagedOut = Number(paged);
});

afterEach(async () => {
  await target?.stop();
});

function swappedNow(): number {
  return swappedPages(target.pid, range.start, range.end);
}

describe('a heap whose chunk contents are in swap', () => {
  it('really is in swap (the precondition of the checks below)', () => {
    // 15 whole pages inside each 64 KiB chunk's user data.
    expect(pagedOut).toBe(chunks * 15 * 4096);
    expect(swappedNow()).toBeGreaterThanOrEqual((chunks * 15) / 2);
  });

  it('arenas walks it exactly without swapping anything in, and counts what it skipped', async () => {
    const before = swappedNow();
    const r = await runCli(['arenas', String(target.pid), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.anomalies).toEqual([]);
    for (const a of j.arenas) expect(a.anomalies).toEqual([]);
    const arena = j.arenas.find((a: { main: boolean; inUse: { bytes: number } }) => !a.main && a.inUse.bytes >= chunks * 64 * 1024);
    expect(arena).toBeDefined();
    // The walk reads in blocks around the chunk headers: the swapped pages in those blocks were skipped, not read.
    expect(j.reads.swappedBytes).toBeGreaterThan(0);
    expect(j.reads.swappedBytes % 4096).toBe(0);
    expect(swappedNow()).toBe(before);
  });

  it('strings does not find what is only in swap, says how much it skipped, and leaves it there', async () => {
    const before = swappedNow();
    const r = await runCli(['strings', String(target.pid), '--json', '--range', `0x${range.start.toString(16)}-0x${range.end.toString(16)}`, '--grep', needle]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.strings).toEqual([]);
    expect(j.reads.swappedBytes).toBe(before * 4096);
    expect(swappedNow()).toBe(before);
    const text = await runCli(['strings', String(target.pid), '--range', `0x${range.start.toString(16)}-0x${range.end.toString(16)}`, '--grep', needle]);
    expect(text.stdout).toMatch(/swapped out and not read .*--read-swapped/);
  });

  it('strings --read-swapped finds the needle in every chunk (and swaps the pages in)', async () => {
    const r = await runCli(['strings', String(target.pid), '--json', '--read-swapped', '--range', `0x${range.start.toString(16)}-0x${range.end.toString(16)}`, '--grep', needle]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.strings).toEqual([{ text: needle, count: chunks, bytes: chunks * needle.length }]);
    expect(j.reads.swappedBytes).toBe(0);
    expect(swappedNow()).toBe(0);
  });

  it('dump lists swapped pages among its holes and counts them; --read-swapped dumps the real bytes', async () => {
    const before = swappedNow();
    const out = join(dir, `skip-${target.pid}.bin`);
    const r = await runCli(['dump', String(target.pid), `0x${range.start.toString(16)}`, `0x${range.end.toString(16)}`, '-o', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rec = JSON.parse(r.stdout);
    expect(rec.swappedBytes).toBe(before * 4096);
    expect(rec.holeBytes).toBe(before * 4096);
    expect(swappedNow()).toBe(before);
    const full = join(dir, `full-${target.pid}.bin`);
    const r2 = await runCli(['dump', String(target.pid), `0x${range.start.toString(16)}`, `0x${range.end.toString(16)}`, '-o', full, '--json', '--read-swapped']);
    expect(r2.code, r2.stderr).toBe(0);
    const rec2 = JSON.parse(r2.stdout);
    expect(rec2.swappedBytes).toBe(0);
    expect(rec2.holes).toEqual([]);
    // The pattern the target wrote, byte for byte, in every chunk (each chunk's user data starts 0x10 after the one before ends).
    const bytes = readFileSync(full);
    for (let i = 0; i < chunks; i++) {
      const user = i * (64 * 1024 + 16);
      for (const j of [4096, 20000, 40000, 60000]) expect(bytes[user + j]).toBe(0x80 | ((j * 7 + i) & 0x7f));
      expect(bytes.subarray(user + 32768, user + 32768 + needle.length).toString()).toBe(needle);
    }
  });
});
