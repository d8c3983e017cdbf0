// A glibc newer than the layout table is inferred, not refused (glibc releases
// every six months; the next one must not break users on day one). The table
// is ended at 2.43 (ARENASCOPE_LAYOUT_TABLE_UPTO, as if 2.44's row did not
// exist yet) and a target runs on glibc 2.44 through its own loader: without
// debug symbols, main_arena and mp_ are found with the layout inferred from
// the 2.43 row, the output says so, and every number is the one the 2.44 row
// gives, which is the target's own malloc_info.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureGlibc } from '../helpers/glibc.js';
import { startTarget, type RunningTarget } from '../helpers/targets.js';
import { readTruth } from '../helpers/truth.js';
import { runCli, type CliResult } from '../support/nativeTarget.js';

interface ArenasJson {
  glibcVersion: string;
  layout: string;
  layoutChosenBy: string;
  locatedBy: string;
  mallocPar: string;
  params: { mmappedChunks: number; mmappedBytes: number; tcacheCount: number | null };
  arenas: Array<{ systemMem: number; main: boolean }>;
  [key: string]: unknown;
}

function parse(r: CliResult): ArenasJson {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ArenasJson;
}

/** What may differ between the two runs: the layout's name and how it was chosen. */
function numbersOf(j: ArenasJson): Omit<ArenasJson, 'layout' | 'layoutChosenBy'> {
  const { layout: _l, layoutChosenBy: _c, ...rest } = j;
  return rest;
}

describe('glibc 2.44 with the layout table ended at 2.43', () => {
  let target: RunningTarget;
  const hidden = { ARENASCOPE_LAYOUT_TABLE_UPTO: '2.43' };
  const args = (extra: string[] = []) => ['arenas', String(target.pid), '--json', '--bins', '--histogram', '--no-debuginfo', ...extra];

  beforeAll(async () => {
    ensureGlibc('2.44');
    target = await startTarget('oracle', ['--threads', '3', '--keep', '30', '--size', '200', '--free-pattern', 'tcache-full,bins,mmapped'], { glibc: '2.44' });
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('infers the layout from the 2.43 row and says so, with the numbers of the 2.44 row, equal to malloc_info', async () => {
    const table = parse(await runCli(args()));
    expect(table.glibcVersion).toMatch(/^2\.44/);
    expect(table.layoutChosenBy).toBe('table');
    expect(table.layout).toBe('2.44');

    const inferred = parse(await runCli(args(), { env: hidden }));
    expect(inferred.layoutChosenBy).toBe('inferred');
    expect(inferred.layout).toBe('2.44 (inferred from 2.43)');
    expect(numbersOf(inferred)).toEqual(numbersOf(table));

    // The target's own record: one arena per malloc_info heap, each with its system bytes; mp_'s mmapped counts.
    const truth = readTruth(target.outDir).mallocInfo;
    expect(inferred.arenas.map((a) => a.systemMem)).toEqual(truth.arenas.map((a) => a.systemCurrent));
    expect({ count: inferred.params.mmappedChunks, size: inferred.params.mmappedBytes }).toEqual(truth.mmap);
    expect(inferred.params.tcacheCount).toBe(16);
  }, 120_000);

  it('says "inferred layout" in text, once', async () => {
    const r = await runCli(['arenas', String(target.pid), '--no-debuginfo'], { env: hidden });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('inferred layout 2.44 (inferred from 2.43): glibc 2.44'));
    expect(lines).toHaveLength(1);
    const table = await runCli(['arenas', String(target.pid), '--no-debuginfo']);
    expect(table.stdout).not.toMatch(/inferred layout/);
  }, 120_000);
});
