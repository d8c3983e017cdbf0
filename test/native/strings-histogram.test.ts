// The histogram stays bounded: exact while distinct strings fit, then
// Space-Saving with its guarantees (count >= true, count - countError <= true).
import { describe, expect, it } from 'vitest';

import { imageSource, rng, scan } from './strings-helpers.js';

const BASE = 0x7f3400000000;

describe('scanStrings histogram bounds', () => {
  it('stays bounded over 3 million distinct strings and keeps a planted heavy hitter on top', async () => {
    const distinct = 3_000_000;
    const planted = 'PLANTED-HEAVY-HITTER';
    const plantedCount = 10_000;
    // Strings are NUL-separated; 8..12 characters: base-36 index padded with
    // '_' to a length that cycles, so every string is different.
    const buf = Buffer.alloc(distinct * 13 + plantedCount * (planted.length + 1));
    let at = 0;
    const every = distinct / plantedCount;
    for (let i = 0; i < distinct; i++) {
      const len = 8 + (i % 5);
      at += buf.write(i.toString(36).padStart(len, '_'), at, 'latin1') + 1;
      if (i % every === 0) at += buf.write(planted, at, 'latin1') + 1;
    }
    const data = buf.subarray(0, at);
    const maxDistinct = 200_000;
    const r = await scan(imageSource([{ address: BASE, data }]), [{ start: BASE, end: BASE + data.length }], {
      maxDistinct,
      top: 5,
      samples: 0,
    });
    expect(r.stringsFound).toBe(distinct + plantedCount);
    expect(r.approximate).toBe(true);
    expect(r.histogram.capacity).toBe(maxDistinct);
    expect(r.histogram.entries).toBeLessThanOrEqual(maxDistinct);
    expect(r.histogram.keyBytes).toBeLessThanOrEqual(r.histogram.keyByteBudget);
    // Slots, entries, heap and keys for 200k entries: tens of MiB, not the
    // ~hundreds an exact table of 3M strings would need.
    expect(r.histogram.memoryBytes).toBeLessThan(64 << 20);
    const top = r.strings[0]!;
    expect(top.text).toBe(planted);
    expect(top.count).toBeGreaterThanOrEqual(plantedCount);
    expect(top.count - top.countError).toBeLessThanOrEqual(plantedCount);
    // HyperLogLog, 2^14 registers: standard error ~0.8%.
    expect(Math.abs(r.distinct - (distinct + 1)) / (distinct + 1)).toBeLessThan(0.04);
  }, 120_000);

  it('keeps Space-Saving guarantees for every reported entry on a skewed stream', async () => {
    // Zipf-like counts over 5000 keys, shuffled, with a table of 300 entries.
    const next = rng(77);
    const truth = new Map<string, number>();
    const stream: string[] = [];
    for (let k = 0; k < 5000; k++) {
      const key = `key-${k.toString().padStart(5, '0')}`;
      const n = Math.max(1, Math.floor(4000 / (k + 1)));
      truth.set(key, n);
      for (let i = 0; i < n; i++) stream.push(key);
    }
    for (let i = stream.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [stream[i], stream[j]] = [stream[j]!, stream[i]!];
    }
    const data = Buffer.from(stream.join('\0'), 'latin1');
    const r = await scan(imageSource([{ address: BASE, data }]), [{ start: BASE, end: BASE + data.length }], {
      maxDistinct: 300,
      top: 300,
    });
    expect(r.approximate).toBe(true);
    expect(r.stringsFound).toBe(stream.length);
    expect(r.histogram.entries).toBeLessThanOrEqual(300);
    for (const s of r.strings) {
      const t = truth.get(s.text)!;
      expect(s.count).toBeGreaterThanOrEqual(t);
      expect(s.count - s.countError).toBeLessThanOrEqual(t);
    }
    // Any key more frequent than the largest evicted count must be present.
    const reported = new Set(r.strings.map((s) => s.text));
    let mustBeThere = 0;
    for (const [key, t] of truth) {
      if (t > r.evictedCountBound) {
        mustBeThere++;
        expect(reported.has(key), key).toBe(true);
      }
    }
    expect(mustBeThere).toBeGreaterThan(10);
  });

  it('stays exact below the entry cap and switches when the key byte budget runs out', async () => {
    // Keys are stored in size-class blocks: 600 characters take 640 bytes.
    const keys = Array.from({ length: 2000 }, (_, i) => `exact-${i}-`.padEnd(600, 'x'));
    const data = Buffer.from(keys.concat(keys).join('\0'), 'latin1');
    const range = [{ start: BASE, end: BASE + data.length }];
    const src = imageSource([{ address: BASE, data }]);
    const exact = await scan(src, range, { maxDistinct: 2000, top: 5000 });
    expect(exact.approximate).toBe(false);
    expect(exact.distinct).toBe(2000);
    expect(exact.strings.length).toBe(2000);
    expect(exact.strings.every((s) => s.count === 2 && s.countError === 0 && s.bytes === 1200)).toBe(true);
    // 2000 keys need 1.25 MiB of key blocks; give them 1 MiB.
    const budget = await scan(src, range, { maxDistinct: 2000, maxDistinctBytes: 1 << 20, top: 5000 });
    expect(budget.approximate).toBe(true);
    expect(budget.histogram.keyBytes).toBeLessThanOrEqual(1 << 20);
    expect(budget.histogram.entries).toBeLessThanOrEqual(Math.floor((1 << 20) / 640));
    for (const s of budget.strings) {
      expect(s.count).toBeGreaterThanOrEqual(2);
      expect(s.count - s.countError).toBeLessThanOrEqual(2);
    }
  });

  it('handles keys of mixed sizes under a tight key budget', async () => {
    // Short and 4 KiB keys alternate so freed blocks are often the wrong size.
    const parts: string[] = [];
    const truth = new Map<string, number>();
    const next = rng(5);
    for (let i = 0; i < 4000; i++) {
      const big = next() < 0.3;
      const k = Math.floor(next() * (big ? 400 : 3000));
      const key = big ? `big-${k}-`.padEnd(4096, 'b') : `small-${k}`;
      truth.set(key, (truth.get(key) ?? 0) + 1);
      parts.push(key);
    }
    const data = Buffer.from(parts.join('\0'), 'latin1');
    const r = await scan(imageSource([{ address: BASE, data }]), [{ start: BASE, end: BASE + data.length }], {
      maxDistinct: 100000,
      maxDistinctBytes: 1 << 20,
      top: 100000,
    });
    expect(r.approximate).toBe(true);
    expect(r.stringsFound).toBe(4000);
    expect(r.histogram.keyBytes).toBeLessThanOrEqual(1 << 20);
    for (const s of r.strings) {
      const t = truth.get(s.text)!;
      expect(t).toBeGreaterThan(0);
      expect(s.count).toBeGreaterThanOrEqual(t);
      expect(s.count - s.countError).toBeLessThanOrEqual(t);
    }
  });

  it('counts only grep matches in approximate mode too', async () => {
    const parts: string[] = [];
    for (let i = 0; i < 50_000; i++) parts.push(`noise-${i}`, i % 5 === 0 ? 'needle-string' : `other-${i}`);
    const data = Buffer.from(parts.join('\0'), 'latin1');
    const r = await scan(imageSource([{ address: BASE, data }]), [{ start: BASE, end: BASE + data.length }], {
      maxDistinct: 100,
      grep: 'needle|noise-1234\\b',
    });
    expect(r.stringsFound).toBe(10_000 + 1);
    expect(r.grepRejected).toBe(100_000 - 10_001);
    expect(r.strings[0]).toMatchObject({ text: 'needle-string', count: 10_000, countError: 0 });
    expect(r.approximate).toBe(false);
  });
});
