// `arenas --locate METHOD`: each of the four routes to main_arena forced
// alone, end to end through the CLI, on glibc 2.31, the host's 2.36, 2.41, 2.43 and 2.44.
// The debuginfo route must put main_arena and mp_ where libc's own debug
// symbols (read with readelf, placed with /proc/PID/maps) say they are and
// find one arena per malloc_info heap; each symbol-free route must print
// exactly the same JSON except `locatedBy` and `reads` (what the route read
// while locating main_arena, and so which non-resident pages it spared).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureGlibc, testedGlibcVersions } from '../helpers/glibc.js';
import { startTarget, type RunningTarget } from '../helpers/targets.js';
import { readTruth } from '../helpers/truth.js';
import { mallocSymbols } from '../support/libcSymbols.js';
import { runCli, type CliResult } from '../support/nativeTarget.js';

const symbolFreeRoutes = ['file-pattern', 'live-scan', 'heap-info-route'] as const;

interface ArenasJson {
  locatedBy: string;
  mainArena: string;
  mallocPar: string;
  arenas: Array<{ main: boolean }>;
  [key: string]: unknown;
}

function parse(r: CliResult): ArenasJson {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ArenasJson;
}

/** The fields allowed to differ between routes: which route found main_arena, and what its reads spared. */
function withoutLocatedBy(j: ArenasJson): Omit<ArenasJson, 'locatedBy' | 'reads'> {
  const { locatedBy: _route, reads: _reads, ...rest } = j;
  return rest;
}

for (const version of testedGlibcVersions()) {
  describe(`arenas --locate on glibc ${version}`, () => {
    let target: RunningTarget;
    let debugDir: string;
    const args = (extra: string[]) => ['arenas', String(target.pid), '--json', '--bins', '--histogram', ...extra];

    beforeAll(async () => {
      debugDir = ensureGlibc(version).debugDir ?? '/usr/lib/debug';
      // Three thread arenas (the heap_info route starts from one), every kind of free list.
      target = await startTarget('oracle', ['--threads', '3', '--keep', '30', '--size', '200', '--free-pattern', 'tcache-full,fastbin,bins,mmapped'], { glibc: version });
    });
    afterAll(async () => {
      await target?.stop();
    });

    it('debuginfo: main_arena and mp_ where the debug symbols put them, one arena per malloc_info heap', async () => {
      const j = parse(await runCli(args(['--locate', 'debuginfo', '--debug-dir', debugDir])));
      const truth = mallocSymbols(target.pid, debugDir);
      expect(j.locatedBy).toBe('debuginfo');
      expect(parseInt(j.mainArena, 16)).toBe(truth.mainArena);
      expect(parseInt(j.mallocPar, 16)).toBe(truth.mallocPar);
      const heaps = readTruth(target.outDir).mallocInfo.arenas;
      expect(heaps).toHaveLength(4);
      expect(j.arenas.map((a) => a.main)).toEqual(heaps.map((_h, i) => i === 0));
    });

    for (const route of symbolFreeRoutes) {
      it(`${route} alone gives locatedBy ${route} and the debuginfo route's JSON`, async () => {
        const reference = parse(await runCli(args(['--locate', 'debuginfo', '--debug-dir', debugDir])));
        const forced = parse(await runCli(args(['--locate', route, '--debug-dir', debugDir])));
        expect(forced.locatedBy).toBe(route);
        expect(withoutLocatedBy(forced)).toEqual(withoutLocatedBy(reference));
      });
    }
  });
}

describe('arenas --locate forces one route', () => {
  let single: RunningTarget;
  beforeAll(async () => {
    // No worker threads: no thread arena, so the heap_info route has nowhere to start.
    single = await startTarget('oracle', ['--keep', '10', '--size', '100']);
  });
  afterAll(async () => {
    await single?.stop();
  });

  it('heap-info-route without a thread arena fails with exit 7 instead of trying another route', async () => {
    expect(readTruth(single.outDir).mallocInfo.arenas).toHaveLength(1);
    const r = await runCli(['arenas', String(single.pid), '--json', '--locate', 'heap-info-route']);
    expect(r.code, r.stderr).toBe(7);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--locate heap-info-route alone/);
    expect(r.stderr).toMatch(/heap-info-route: no thread arena heaps/);
    // the same target is found by default, so it is the forced route that failed
    expect(parse(await runCli(['arenas', String(single.pid), '--json'])).locatedBy).toBe('debuginfo');
  });

  it('rejects an unknown method, and debuginfo with --no-debuginfo, as usage errors (exit 2)', async () => {
    const unknown = await runCli(['arenas', String(single.pid), '--locate', 'gdb']);
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toMatch(/--locate <method>' argument 'gdb' is invalid/);
    const contradiction = await runCli(['arenas', String(single.pid), '--locate', 'debuginfo', '--no-debuginfo']);
    expect(contradiction.code, contradiction.stderr).toBe(2);
    expect(contradiction.stderr).toMatch(/--locate debuginfo needs debug symbols/);
  });
});
