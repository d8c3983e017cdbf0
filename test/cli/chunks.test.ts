// `arenascope chunks <pid>` (src/commands/chunks.ts) on real targets: stdout
// is one JSON object per chunk (arena, address, size, state:
// native/ptmalloc/chunk_sink.cc) and stderr one summary line. Per arena the
// lines count and size exactly what `arenascope arenas --json` reports for
// each state, and tile every heap chunk after chunk; `--arena` keeps one
// arena's lines; an arena that does not exist is a usage error in one line;
// and a reader that closes the pipe early (`| head -n 5`) ends the command at
// once with exit 0 and nothing on stderr.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { startTarget, type RunningTarget as OracleTarget } from '../helpers/targets.js';
import { inspectorShellPrefix } from '../support/sanitizer.js';
import { buildC, repoRoot, runCli, startNative, type CliResult, type RunningTarget } from '../support/nativeTarget.js';

const execFileAsync = promisify(execFile);

interface Line {
  arena: string;
  address: string;
  size: number;
  state: string;
}

interface Totals {
  chunks: number;
  bytes: number;
}

interface ArenaJson {
  address: string;
  heaps: Array<{ start: string; size: number }>;
  inUse: Totals;
  internal: Totals;
  free: Record<'fastbins' | 'tcache' | 'unsorted' | 'smallbins' | 'largebins' | 'unlisted', Totals>;
  top: { address: string; size: number };
  overhead: number;
  systemMem: number;
  identityHolds: boolean;
  anomalies: unknown[];
  anomalyTotal: number;
}

/** Each state a line can carry, and where `arenas --json` counts it. */
const stateTotals: Record<string, (a: ArenaJson) => Totals> = {
  'in-use': (a) => a.inUse,
  internal: (a) => a.internal,
  fastbin: (a) => a.free.fastbins,
  tcache: (a) => a.free.tcache,
  unsorted: (a) => a.free.unsorted,
  'small-bin': (a) => a.free.smallbins,
  'large-bin': (a) => a.free.largebins,
  'free-unlisted': (a) => a.free.unlisted,
  top: (a) => ({ chunks: 1, bytes: a.top.size }),
};

function parseLines(r: CliResult): Line[] {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.endsWith('\n')).toBe(true);
  return r.stdout
    .slice(0, -1)
    .split('\n')
    .map((text) => {
      const l = JSON.parse(text) as Line;
      expect(Object.keys(l)).toEqual(['arena', 'address', 'size', 'state']);
      return l;
    });
}

function expectOneLine(r: CliResult, code: number, message: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

describe('chunks on an oracle with three arenas, every free list and a second heap', () => {
  let target: OracleTarget;
  let arenas: ArenaJson[];
  let full: CliResult;
  let lines: Line[];

  beforeAll(async () => {
    // Worker 1's arena grows a second heap; every thread frees into the
    // tcache, fastbins, small and large bins, and leaves ~200 kB unsorted.
    target = await startTarget('oracle', [
      '--threads', '2',
      '--keep', '20',
      '--size', '200',
      '--free-pattern', 'tcache-full,tcache-partial,fastbin,bins,mmapped',
      '--resident-free', '200000',
      '--second-heap', '1',
    ]);
    const a = await runCli(['arenas', String(target.pid), '--json']);
    expect(a.code, a.stderr).toBe(0);
    arenas = (JSON.parse(a.stdout) as { arenas: ArenaJson[] }).arenas;
    full = await runCli(['chunks', String(target.pid)]);
    lines = parseLines(full);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('the target is what the test needs: three exact arenas, one with two heaps', () => {
    expect(arenas).toHaveLength(3);
    for (const a of arenas) {
      expect(a.anomalies).toEqual([]);
      expect(a.anomalyTotal).toBe(0);
      expect(a.identityHolds).toBe(true);
    }
    expect(arenas.some((a) => a.heaps.length === 2)).toBe(true);
  });

  it('prints one JSON line per chunk and a one-line summary on stderr', () => {
    expect(full.stderr).toBe(`${lines.length} chunks listed from 3 arenas\n`);
    for (const l of lines) {
      expect(l.arena).toMatch(/^0x[0-9a-f]+$/);
      expect(l.address).toMatch(/^0x[0-9a-f]+$/);
      expect(Number.isSafeInteger(l.size) && l.size >= 0x20 && l.size % 16 === 0, JSON.stringify(l)).toBe(true);
      expect(Object.keys(stateTotals)).toContain(l.state);
    }
  });

  it('per arena, the lines of each state count and size what arenas --json reports', () => {
    expect(new Set(lines.map((l) => l.arena))).toEqual(new Set(arenas.map((a) => a.address)));
    for (const a of arenas) {
      const mine = lines.filter((l) => l.arena === a.address);
      const listed: Record<string, Totals> = {};
      const expected: Record<string, Totals> = {};
      for (const [state, of] of Object.entries(stateTotals)) {
        const these = mine.filter((l) => l.state === state);
        listed[state] = { chunks: these.length, bytes: these.reduce((t, l) => t + l.size, 0) };
        expected[state] = of(a);
      }
      expect(listed, a.address).toEqual(expected);
      // Not a comparison of zeros: the scenario puts chunks in every list.
      for (const state of ['in-use', 'internal', 'fastbin', 'tcache', 'unsorted', 'small-bin', 'large-bin', 'top']) {
        expect(listed[state]!.chunks, `${a.address} ${state}`).toBeGreaterThan(0);
      }
      // With the overhead (heap headers, fenceposts), the lines are every byte the arena has.
      expect(mine.reduce((t, l) => t + l.size, 0) + a.overhead).toBe(a.systemMem);
    }
  });

  it('the chunks of an arena tile each of its heaps: start + size is the next start', () => {
    for (const a of arenas) {
      const mine = lines.filter((l) => l.arena === a.address).map((l) => ({ start: parseInt(l.address, 16), size: l.size, state: l.state }));
      let inHeaps = 0;
      for (const h of a.heaps) {
        const start = parseInt(h.start, 16);
        const end = start + h.size;
        const chunks = mine.filter((c) => c.start >= start && c.start < end).sort((x, y) => x.start - y.start);
        inHeaps += chunks.length;
        expect(chunks.length, `${a.address} heap ${h.start}`).toBeGreaterThan(0);
        // Before the first chunk: heap_info and malloc_state (thread heaps) and alignment.
        expect(chunks[0]!.start - start).toBeLessThan(4096);
        for (let i = 1; i < chunks.length; i++) {
          const prev = chunks[i - 1]!;
          expect(prev.start + prev.size, `${a.address}: chunk 0x${prev.start.toString(16)}`).toBe(chunks[i]!.start);
        }
        const last = chunks[chunks.length - 1]!;
        if (last.start === parseInt(a.top.address, 16)) {
          // top ends its heap
          expect(last.state).toBe('top');
          expect(last.start + last.size).toBe(end);
        } else {
          // an older heap ends with the two fenceposts sysmalloc wrote (overhead, not chunks)
          expect(end - (last.start + last.size)).toBeGreaterThan(0);
          expect(end - (last.start + last.size)).toBeLessThanOrEqual(0x40);
        }
      }
      // and no chunk lies outside the arena's heaps
      expect(inHeaps).toBe(mine.length);
    }
  });

  it('--arena ADDR lists exactly that arena\'s lines', async () => {
    const thread = arenas.find((a) => a.heaps.length === 2)!;
    const r = await runCli(['chunks', String(target.pid), '--arena', thread.address]);
    const only = parseLines(r);
    expect(only).toEqual(lines.filter((l) => l.arena === thread.address));
    expect(r.stderr).toBe(`${only.length} chunks listed from arena ${thread.address}\n`);
  });

  it('an arena that does not exist (or is no address) exits with the usage code and one line, listing nothing', async () => {
    expectOneLine(
      await runCli(['chunks', String(target.pid), '--arena', '0x1000']),
      ExitCode.usage,
      new RegExp(`^arenascope: pid ${target.pid} has no arena at 0x1000 \\(arenascope arenas ${target.pid} lists them\\)$`),
    );
    expectOneLine(await runCli(['chunks', String(target.pid), '--arena', 'main']), ExitCode.usage, /^arenascope: --arena: not an address: main$/);
  });
});

describe('chunks into a pipe its reader closes early', () => {
  let target: RunningTarget;
  beforeAll(async () => {
    // ~1.2 million chunks: about 100 MB of lines, far more than the pipe and
    // the writer's buffer hold, so the command is still listing when head leaves.
    target = await startNative(buildC('test/targets/reliability/busy_heap.c'), ['64', '0', 'shuffled', 'small']);
  }, 120_000);
  afterAll(async () => {
    await target?.stop();
  });

  it('| head -n 5: the command exits 0 with nothing on stderr, and head got five chunk lines', async () => {
    // bash, for the command's own status (PIPESTATUS); only the CLI gets the sanitizer preload.
    const cli = `${inspectorShellPrefix()}${process.execPath} ${join(repoRoot, 'bin', 'arenascope.js')} chunks ${target.pid}`;
    const r = await execFileAsync('bash', ['-c', `${cli} | head -n 5; echo "status \${PIPESTATUS[0]}" >&2`], {
      env: { ...process.env, NO_COLOR: '1' },
      maxBuffer: 1 << 20,
    });
    // Awaiting it is the check that it ended: a command that kept walking
    // into the closed pipe would never get here.
    expect(r.stderr).toBe('status 0\n');
    const out = r.stdout.trim().split('\n');
    expect(out).toHaveLength(5);
    for (const text of out) expect(Object.keys(JSON.parse(text) as Line)).toEqual(['arena', 'address', 'size', 'state']);
  });
});
