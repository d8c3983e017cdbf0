// Every option of `arenascope strings`, through the CLI, on real targets. The
// counts, addresses and owners come from the targets: the oracle's
// plants.tsv (every planted copy with its address, thread and VMA), heap_info
// read through /proc/PID/mem, and grow_arenas' own report of its heaps.
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMaps, readMemory } from '../helpers/heapWalk.js';
import { startTarget, type RunningTarget as OracleTarget } from '../helpers/targets.js';
import { readTruth, type OracleTruth, type PlantedString } from '../helpers/truth.js';
import { buildC, runCli, startNative, type CliResult, type RunningTarget } from '../support/nativeTarget.js';

const alpha = 'ALPHA-ASCII-MARKER';
const wide = 'WIDE-UTF16-MARKER';
const freedText = 'FREED-TEXT-MARKER';
const password = 'password=Tr0ub4dor-and-3';
const token = 'xK9pQ2mZ7vR4tY8wB3nL6cF1hJ5sD0gA';
const tokenLine = `bearer-token ${token}`;

const hex = (n: number) => `0x${n.toString(16)}`;
const HEAP_MAX = 64 * 1024 * 1024;

interface StringsJson {
  scanned: { ranges: Array<{ start: string; end: string }>; bytes: number };
  strings: Array<{ text: string; count: number; bytes: number }>;
  samples: Array<{ address: string; text: string; chunk: { start: string; size: number; inUse: boolean } | null; arena: string | null }>;
}

function json(r: CliResult): StringsJson {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StringsJson;
}

const countOf = (j: StringsJson, text: string) => j.strings.filter((s) => s.text === text).reduce((t, s) => t + s.count, 0);

describe('strings options on an oracle with planted text in two thread arenas', () => {
  let target: OracleTarget;
  let truth: OracleTruth;
  const strings = (...args: string[]) => runCli(['strings', String(target.pid), '--json', ...args]);
  /** Planted copies of text (kept or freed), from plants.tsv. */
  const plantsOf = (text: string): PlantedString[] => truth.plants.filter((p) => p.spec >= 0 && truth.info.plantSpecs[p.spec]!.text === text);

  beforeAll(async () => {
    target = await startTarget('oracle', [
      '--threads', '2',
      '--plant-in', 'spread',
      '--plant-kept', `${alpha}:24`,
      '--plant-kept', `${wide}:9:utf16`,
      '--plant-freed', `${freedText}:6`,
      '--plant-kept', `${password}:5`,
      '--plant-kept', `${tokenLine}:4`,
    ]);
    truth = readTruth(target.outDir);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('the plants are where the target says, spread over both workers', () => {
    expect(plantsOf(alpha)).toHaveLength(24);
    expect(new Set(plantsOf(alpha).map((p) => p.thread))).toEqual(new Set([1, 2]));
    for (const p of plantsOf(alpha)) expect(readMemory(target.pid, p.addr, p.bytes).toString('latin1')).toBe(alpha);
  });

  it('--redact masks the password value and the random token, and nothing else', async () => {
    const grep = ['--all-arenas', '--grep', 'password|bearer|ALPHA', '--top', '50', '--samples', '50'];
    const plain = await strings(...grep);
    expect(plain.code, plain.stderr).toBe(0);
    expect(countOf(json(plain), password)).toBe(plantsOf(password).length);
    expect(countOf(json(plain), tokenLine)).toBe(plantsOf(tokenLine).length);
    const masked = await strings(...grep, '--redact');
    const j = json(masked);
    expect(masked.stdout).not.toContain('Tr0ub4dor');
    expect(masked.stdout).not.toContain(token);
    expect(countOf(j, 'password=[REDACTED]')).toBe(plantsOf(password).length);
    expect(countOf(j, 'bearer-token [REDACTED]')).toBe(plantsOf(tokenLine).length);
    expect(countOf(j, alpha)).toBe(plantsOf(alpha).length);
    expect(j.samples.some((s) => s.text === 'password=[REDACTED]')).toBe(true);
    const text = await runCli(['strings', String(target.pid), ...grep, '--redact']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('password=[REDACTED]');
    expect(text.stdout).not.toContain('Tr0ub4dor');
    expect(text.stdout).not.toContain(token);
  });

  it('--encoding ascii, utf16le, both (the default)', async () => {
    const nAlpha = plantsOf(alpha).length;
    const nWide = plantsOf(wide).length;
    expect(plantsOf(wide).every((p) => p.encoding === 'utf16' && p.bytes === 2 * wide.length)).toBe(true);
    const count = async (...extra: string[]) => {
      const j = json(await strings('--all-arenas', '--grep', 'MARKER', ...extra));
      return [countOf(j, alpha), countOf(j, wide)];
    };
    expect(await count()).toEqual([nAlpha, nWide]);
    expect(await count('--encoding', 'both')).toEqual([nAlpha, nWide]);
    expect(await count('--encoding', 'ascii')).toEqual([nAlpha, 0]);
    expect(await count('--encoding', 'utf16le')).toEqual([0, nWide]);
    expect((await strings('--encoding', 'utf8')).code).toBe(2);
  });

  it('--min-len: a run as long as the planted text is reported, one character more is not', async () => {
    const len = plantsOf(alpha)[0]!.bytes;
    expect(len).toBe(alpha.length);
    const at = async (n: number) => countOf(json(await strings('--all-arenas', '--grep', alpha, '--min-len', String(n))), alpha);
    expect(await at(len)).toBe(plantsOf(alpha).length);
    expect(await at(len + 1)).toBe(0);
    expect((await strings('--min-len', '0')).code).toBe(2);
  });

  it('--samples N lists N planted copies (20 by default, 0 for none), each at a planted address', async () => {
    const addresses = new Set(plantsOf(alpha).map((p) => p.addr));
    expect(addresses.size).toBeGreaterThan(20);
    for (const [extra, n] of [[[], 20], [['--samples', '5'], 5], [['--samples', '0'], 0], [['--samples', '100'], addresses.size]] as const) {
      const j = json(await strings('--all-arenas', '--grep', alpha, ...extra));
      expect(j.samples, extra.join(' ')).toHaveLength(n);
      for (const s of j.samples) {
        expect(s.text).toBe(alpha);
        expect(addresses.has(parseInt(s.address, 16))).toBe(true);
      }
      expect(new Set(j.samples.map((s) => s.address)).size).toBe(n);
    }
  });

  it('--top K lists at most K distinct strings, the most frequent first', async () => {
    const j = json(await strings('--all-arenas', '--grep', 'MARKER|password|bearer', '--top', '2'));
    expect(j.strings.map((s) => s.text)).toEqual([alpha, wide]);
    expect(j.strings.map((s) => s.count)).toEqual([plantsOf(alpha).length, plantsOf(wide).length]);
  });

  it('--arena ADDR scans that arena alone: heap_info.ar_ptr of each worker heap, read from /proc/PID/mem', async () => {
    for (const thread of [1, 2]) {
      const mine = plantsOf(alpha).filter((p) => p.thread === thread);
      const heap = mine[0]!.addr - (mine[0]!.addr % HEAP_MAX);
      const arena = Number(readMemory(target.pid, heap, 8).readBigUInt64LE(0));
      const j = json(await strings('--arena', hex(arena), '--grep', alpha, '--samples', '100'));
      expect(countOf(j, alpha)).toBe(mine.length);
      for (const r of j.scanned.ranges) {
        expect(parseInt(r.start, 16)).toBeGreaterThanOrEqual(heap);
        expect(parseInt(r.end, 16)).toBeLessThanOrEqual(heap + HEAP_MAX);
      }
      expect(j.samples).toHaveLength(mine.length);
      for (const s of j.samples) expect(s.arena).toBe(hex(arena));
    }
    const none = await strings('--arena', '0x1000');
    expect(none.code, none.stderr).toBe(2);
    expect(none.stderr).toMatch(/has no arena at 0x1000/);
  });

  it('--range START-END, END also as START+LENGTH, scans exactly that range', async () => {
    const sorted = plantsOf(alpha).filter((p) => p.thread === 1).sort((a, b) => a.addr - b.addr);
    expect(sorted.length).toBeGreaterThanOrEqual(5);
    const start = sorted[1]!.addr;
    const end = sorted[3]!.addr + sorted[3]!.bytes;
    const inside = plantsOf(alpha).filter((p) => p.addr >= start && p.addr + p.bytes <= end).length;
    expect(inside).toBe(3);
    // END written as START+LENGTH, as --help allows
    for (const range of [`${hex(start)}-${hex(end)}`, `${hex(start)}-${hex(start)}+${end - start}`]) {
      const j = json(await strings('--range', range, '--grep', alpha));
      expect(j.scanned.ranges).toEqual([{ start: hex(start), end: hex(end) }]);
      expect(j.scanned.bytes).toBe(end - start);
      expect(countOf(j, alpha), range).toBe(inside);
    }
    expect((await strings('--range', `${hex(end)}-${hex(start)}`)).code).toBe(2);
  });

  it('--region ADDR scans the whole mapping that holds ADDR', async () => {
    const p = plantsOf(alpha).find((x) => x.thread === 2)!;
    const j = json(await strings('--region', hex(p.addr), '--grep', alpha));
    expect(j.scanned.ranges).toEqual([{ start: hex(p.vmaStart), end: hex(p.vmaEnd) }]);
    expect(countOf(j, alpha)).toBe(plantsOf(alpha).filter((x) => x.vmaStart === p.vmaStart).length);
  });

  it('with no selection (as --all-arenas): every arena heap and the main heap, so every planted copy', async () => {
    const all = json(await strings('--grep', 'MARKER'));
    expect(json(await strings('--all-arenas', '--grep', 'MARKER')).scanned).toEqual(all.scanned);
    const ranges = all.scanned.ranges.map((r) => [parseInt(r.start, 16), parseInt(r.end, 16)] as const);
    const heapVma = readMaps(target.pid).find((m) => m.path === '[heap]')!;
    expect(ranges.some(([start]) => start >= heapVma.start && start < heapVma.end)).toBe(true);
    for (const p of [...plantsOf(alpha), ...plantsOf(freedText)]) expect(ranges.some(([a, b]) => p.addr >= a && p.addr + p.bytes <= b)).toBe(true);
    expect(countOf(all, alpha)).toBe(plantsOf(alpha).length);
    expect(countOf(all, freedText)).toBe(plantsOf(freedText).length);
  });

  it('--live keeps the copies the target holds, --free the copies it freed', async () => {
    const live = json(await strings('--all-arenas', '--grep', 'MARKER', '--live'));
    expect(countOf(live, alpha)).toBe(plantsOf(alpha).length);
    expect(countOf(live, freedText)).toBe(0);
    const free = json(await strings('--all-arenas', '--grep', 'MARKER', '--free'));
    expect(plantsOf(freedText).every((p) => p.state === 'freed')).toBe(true);
    expect(countOf(free, freedText)).toBe(plantsOf(freedText).length);
    expect(countOf(free, alpha)).toBe(0);
  });
});

/** Resolves with the first stdout line of child matching re (generous deadline: only bounds a hang). */
function nextLine(child: ChildProcess, re: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms`)), timeoutMs);
    const onData = (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => re.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(line);
      }
    };
    child.stdout!.on('data', onData);
  });
}

describe('strings --suspicious N --baseline FILE', () => {
  let target: RunningTarget;
  let dir: string;
  const heap = (i: number) => parseInt(target.fields.find((f) => f.startsWith(`heap${i}=`))!.split('=')[1]!, 16);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'arenascope-baseline-'));
    // worker 1 holds 8 MiB, workers 2 and 3 1 MiB each, worker 4 2 MiB
    target = await startNative(buildC('test/targets/cli/grow_arenas.c'), ['8', '1', '1', '2']);
  });
  afterAll(async () => {
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ranks by resident memory without a baseline (top N, 3 by default) and by growth since `maps --json` with one', async () => {
    const maps = await runCli(['maps', String(target.pid), '--json']);
    expect(maps.code, maps.stderr).toBe(0);
    const baseline = join(dir, 'before.json');
    writeFileSync(baseline, maps.stdout);
    // worker 3 grows by 4 MiB: still below worker 1's 8 MiB, but the only growth
    const grown = nextLine(target.child, /^GROWN 3$/);
    target.child.stdin!.write('grow 3 4\n');
    await grown;

    const byRss = json(await runCli(['strings', String(target.pid), '--json', '--suspicious', '1', '--grep', 'GROW-WORKER']));
    expect(byRss.scanned.ranges.map((r) => parseInt(r.start, 16))).toEqual([heap(1)]);
    expect(byRss.strings.map((s) => s.text)).toEqual(['GROW-WORKER-1']);

    const byGrowth = json(await runCli(['strings', String(target.pid), '--json', '--suspicious', '1', '--baseline', baseline, '--grep', 'GROW-WORKER']));
    expect(byGrowth.scanned.ranges.map((r) => parseInt(r.start, 16))).toEqual([heap(3)]);
    expect(byGrowth.strings.map((s) => s.text)).toEqual(['GROW-WORKER-3']);
    // 5 MiB of 64 KiB blocks, each starting with the text
    expect(countOf(byGrowth, 'GROW-WORKER-3')).toBe(5 * 16);

    // --suspicious 2 takes the next one too; without N, 3: worker 2's 1 MiB heap is the one left out
    const two = json(await runCli(['strings', String(target.pid), '--json', '--suspicious', '2', '--grep', 'GROW-WORKER']));
    expect(two.scanned.ranges.map((r) => parseInt(r.start, 16))).toEqual([heap(1), heap(3)]);
    const three = json(await runCli(['strings', String(target.pid), '--json', '--suspicious', '--grep', 'GROW-WORKER']));
    expect(three.scanned.ranges.map((r) => parseInt(r.start, 16))).toEqual([heap(1), heap(3), heap(4)]);
    expect(three.strings.map((s) => s.text).sort()).toEqual(['GROW-WORKER-1', 'GROW-WORKER-3', 'GROW-WORKER-4']);
  });

  it('rejects a baseline that is not `maps --json` output as a usage error', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"arenas": []}');
    const r = await runCli(['strings', String(target.pid), '--suspicious', '1', '--baseline', bad]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/not the output of 'arenascope maps --json'/);
  });
});
