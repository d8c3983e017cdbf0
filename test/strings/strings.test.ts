// `arenascope strings` on real targets: planted strings with known counts,
// kept and freed, ASCII and UTF-16LE, in one arena and across arenas, across
// scan-block boundaries and at a region's very end (an mmapped chunk, laid out
// anew in 2.43), on every tested glibc; --redact on planted credentials.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanTargetStrings } from '../../src/engine/strings.js';
import { readMallocSnapshot } from '../../src/engine/malloc.js';
import { readMaps } from '../../src/proc/maps.js';
import { defaultStringScanOptions, type StringScanOptions, type StringScanResult } from '../../src/model/strings.js';
import { testedGlibcVersions } from '../helpers/glibc.js';
import { startTarget, type RunningTarget } from '../helpers/targets.js';
import { readTruth, type OracleTruth } from '../helpers/truth.js';
import { runCli } from '../support/nativeTarget.js';

const kept = 'KEPT-MARKER-ALPHA-7f3a';
const freed = 'FREED-MARKER-BETA-91c2';
const wide = 'WIDE-MARKER-GAMMA';
const straddle = 'STRADDLE-MARKER-DELTA-5e';
const regionEnd = 'REGION-END-MARKER-EPSILON';
// Planted credentials for --redact: a key=value secret and a random-looking API token.
const password = 'Hunter2Secret42';
const credential = `CRED-MARKER password=${password}`;
const token = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
const tokenLine = `TOKEN-MARKER ${token}`;

function countOf(r: StringScanResult, text: string): number {
  return r.strings.filter((s) => s.text === text).reduce((t, s) => t + s.count, 0);
}

const options = (o: Partial<StringScanOptions> = {}): StringScanOptions => ({ ...defaultStringScanOptions, top: 200, samples: 50, ...o });

describe.each(testedGlibcVersions())('strings on a live target (glibc %s)', (glibc) => {
  let target: RunningTarget;
  let truth: OracleTruth;
  beforeAll(async () => {
    target = await startTarget('oracle', [
      '--threads', '3',
      '--plant-kept', `${kept}:40`,
      '--plant-freed', `${freed}:30`,
      '--plant-kept', `${wide}:25:utf16`,
      '--plant-kept', `${credential}:5`,
      '--plant-kept', `${tokenLine}:6`,
      '--plant-in', 'spread',
      '--plant-straddle', straddle,
      '--plant-region-end', regionEnd,
    ], { glibc });
    truth = readTruth(target.outDir);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('counts planted strings exactly across all arenas, and per arena', async () => {
    const all = await scanTargetStrings(target.pid, { kind: 'arenas' }, options({ grep: 'MARKER' }));
    expect(countOf(all, kept)).toBe(40);
    expect(countOf(all, freed)).toBe(30);
    expect(countOf(all, wide)).toBe(25);
    // per arena: the sum over arenas equals the whole, and more than one arena holds them
    const { snapshot } = await readMallocSnapshot(target.pid);
    let sum = 0;
    let arenasWithPlants = 0;
    for (const a of snapshot.arenas) {
      const r = await scanTargetStrings(target.pid, { kind: 'arena', address: a.address }, options({ grep: kept }));
      const n = countOf(r, kept);
      sum += n;
      if (n > 0) arenasWithPlants++;
      for (const s of r.samples) expect(s.arena).toBe(a.address);
    }
    expect(sum).toBe(40);
    expect(arenasWithPlants).toBe(3);
  });

  it('--live keeps what the target holds, --free what it freed', async () => {
    const live = await scanTargetStrings(target.pid, { kind: 'arenas' }, options({ grep: 'MARKER', filter: 'live' }));
    expect(countOf(live, kept)).toBe(40);
    expect(countOf(live, freed)).toBe(0);
    for (const s of live.samples) expect(s.chunk?.inUse).toBe(true);
    const free = await scanTargetStrings(target.pid, { kind: 'arenas' }, options({ grep: 'MARKER', filter: 'free' }));
    expect(countOf(free, freed)).toBe(30);
    expect(countOf(free, kept)).toBe(0);
    for (const s of free.samples) expect(s.chunk?.inUse).toBe(false);
    // each sample's chunk really holds the planted text's address
    for (const s of [...live.samples, ...free.samples]) {
      expect(s.address).toBeGreaterThanOrEqual(s.chunk!.start + 16);
      expect(s.address).toBeLessThan(s.chunk!.start + s.chunk!.size + 8);
    }
  });

  it('finds strings that straddle 256 KiB and 1 MiB boundaries once, whole', async () => {
    const copies = truth.plants.filter((p) => p.state === 'straddle').length;
    expect(copies).toBeGreaterThan(0);
    const r = await scanTargetStrings(target.pid, { kind: 'arenas' }, options({ grep: straddle }));
    expect(countOf(r, straddle)).toBe(copies);
  });

  it('finds a string ending on the last byte of its region', async () => {
    const p = truth.plants.find((x) => x.state === 'region-end')!;
    expect(p.addr + p.bytes).toBe(p.vmaEnd);
    const r = await scanTargetStrings(target.pid, { kind: 'region', address: p.vmaStart }, options({ grep: regionEnd }));
    expect(countOf(r, regionEnd)).toBe(1);
    expect(r.samples.map((s) => s.address)).toContain(p.addr);
  });

  it('names the owning arena of --region samples from the heap_info of the scanned heap alone', async () => {
    const { snapshot } = await readMallocSnapshot(target.pid);
    const thread = snapshot.arenas.filter((a) => !a.main);
    expect(thread.length).toBe(3);
    for (const a of thread) {
      const heap = a.heaps[0]!;
      const r = await scanTargetStrings(target.pid, { kind: 'region', address: heap.start + 4096 }, options({ grep: 'MARKER' }));
      expect(r.scanned.ranges[0]!.start).toBeLessThanOrEqual(heap.start);
      expect(r.samples.length).toBeGreaterThan(0);
      for (const s of r.samples) expect(s.arena).toBe(a.address);
    }
    // outside glibc heaps (here libc's own file mapping) a sample has no owner
    const libc = readMaps(target.pid).find((e) => /libc[.-]/.test(e.path) && e.perms.startsWith('r'))!;
    const m = await scanTargetStrings(target.pid, { kind: 'region', address: libc.start }, options({ minLength: 4 }));
    expect(m.samples.length).toBeGreaterThan(0);
    for (const s of m.samples) expect(s.arena).toBeNull();
  });

  it('prints the JSON the issue specifies: pid, scanned ranges, counts, samples with chunk and arena, size classes', async () => {
    const r = await runCli(['strings', String(target.pid), '--all-arenas', '--grep', 'MARKER', '--json', '--top', '10']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.pid).toBe(target.pid);
    expect(out.scanned.bytes).toBeGreaterThan(0);
    expect(out.scanned.ranges[0].start).toMatch(/^0x/);
    expect(typeof out.approximate).toBe('boolean');
    expect(out.strings.find((s: { text: string }) => s.text === kept).count).toBe(40);
    for (const s of out.samples) {
      expect(s.address).toMatch(/^0x/);
      expect(s.arena).toMatch(/^0x/);
      expect(typeof s.chunk.inUse).toBe('boolean');
    }
    expect(out.bySizeClass.length).toBeGreaterThan(0);
  });

  it('--redact masks the planted password and API token in strings and samples, JSON and text, and leaves other text alone', async () => {
    const args = ['strings', String(target.pid), '--all-arenas', '--grep', 'MARKER', '--top', '10', '--samples', '200'];
    const count = (out: { strings: Array<{ text: string; count: number }> }, text: string): number => out.strings.find((s) => s.text === text)?.count ?? 0;
    // Without --redact the secrets are there to be found, verbatim.
    const plain = await runCli([...args, '--json']);
    expect(plain.code, plain.stderr).toBe(0);
    const before = JSON.parse(plain.stdout);
    expect(count(before, credential)).toBe(5);
    expect(count(before, tokenLine)).toBe(6);
    expect(before.samples.filter((s: { text: string }) => s.text === credential)).toHaveLength(5);

    const redacted = await runCli([...args, '--json', '--redact']);
    expect(redacted.code, redacted.stderr).toBe(0);
    expect(redacted.stdout).not.toContain(password);
    expect(redacted.stdout).not.toContain(token);
    const after = JSON.parse(redacted.stdout);
    expect(count(after, 'CRED-MARKER password=[REDACTED]')).toBe(5);
    expect(count(after, 'TOKEN-MARKER [REDACTED]')).toBe(6);
    const maskedSamples = after.samples.filter((s: { text: string }) => s.text === 'CRED-MARKER password=[REDACTED]');
    expect(maskedSamples.map((s: { address: string }) => s.address).sort()).toEqual(
      before.samples.filter((s: { text: string }) => s.text === credential).map((s: { address: string }) => s.address).sort(),
    );
    // Ordinary text is untouched.
    expect(count(after, kept)).toBe(40);
    expect(count(after, freed)).toBe(30);

    const text = await runCli([...args, '--redact']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).not.toContain(password);
    expect(text.stdout).not.toContain(token);
    expect(text.stdout).toContain('CRED-MARKER password=[REDACTED]');
    expect(text.stdout).toContain('TOKEN-MARKER [REDACTED]');
  });

  it('rejects --live with --free as a usage error (exit 2)', async () => {
    const bad = await runCli(['strings', String(target.pid), '--live', '--free']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/choose --live or --free, not both/);
  });
});

describe('strings --suspicious', () => {
  it('scans the heaps holding the most resident memory, or those that grew most over a baseline', async () => {
    // worker 2 keeps 8 MiB, the others a little: its heap is the suspicious one
    const target = await startTarget('oracle', ['--threads', '3', '--keep', '40', '--size', '200', '--keep-in', 'workers', '--resident-free', '8000000', '--pattern-in', '2']);
    try {
      const { snapshot } = await readMallocSnapshot(target.pid);
      const biggest = snapshot.arenas.filter((a) => !a.main).sort((a, b) => b.rss - a.rss)[0]!;
      const r = await scanTargetStrings(target.pid, { kind: 'suspicious', top: 1 }, options());
      expect(r.scanned.ranges).toEqual(biggest.heaps.map((h) => ({ start: h.start, end: h.start + h.size })));
      // with a baseline that already held the big heap, growth ranks the others first
      const baseline = new Map(biggest.heaps.map((h) => [h.start, Number.MAX_SAFE_INTEGER] as [number, number]));
      const g = await scanTargetStrings(target.pid, { kind: 'suspicious', top: 1 }, options(), undefined, { baseline });
      expect(g.scanned.ranges[0]!.start).not.toBe(biggest.heaps[0]!.start);
    } finally {
      await target.stop();
    }
  });
});

describe('strings --region on a heap that madvise split into several mappings', () => {
  it('names the owning arena from the heap_info in the heap\'s first mapping', async () => {
    // The target advised [heap + 2 MiB, heap + 4 MiB) MADV_HUGEPAGE: its own mapping, holding no heap_info,
    // in the middle of a 6 MiB chunk filled with 'Z' (as glibc's madvise_thp splits a heap that grows).
    const { buildC, startNative } = await import('../support/nativeTarget.js');
    const target = await startNative(buildC('test/targets/foundation/thp_arena.c'));
    try {
      const field = (k: string) => Number(target.fields.find((f) => f.startsWith(`${k}=`))!.slice(k.length + 1));
      const heap = field('heap');
      const advised = field('advised');
      const mapping = readMaps(target.pid).find((e) => e.start === advised)!;
      expect(mapping.end - mapping.start).toBe(field('advisedLength'));
      const { snapshot } = await readMallocSnapshot(target.pid);
      const arena = snapshot.arenas.find((a) => a.heaps.some((h) => h.start === heap))!;
      const r = await scanTargetStrings(target.pid, { kind: 'region', address: advised }, options());
      expect(r.scanned.ranges).toEqual([{ start: mapping.start, end: mapping.end }]);
      expect(r.samples.length).toBeGreaterThan(0);
      for (const s of r.samples) expect(s.arena).toBe(arena.address);
    } finally {
      await target.stop();
    }
  });
});
