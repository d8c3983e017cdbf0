// The report on the arena engine's own chunk table (sampleProcessWithChunks):
// the table must list exactly the chunks the target walks in itself, the
// layouts derived from the snapshot must cover them, and the malloc_trim(0)
// estimate must equal the RSS drop when the target then trims. The walk must
// succeed: a failed one would only show up as mallocError in the report.
import { afterAll, describe, expect, it } from 'vitest';
import { layoutsFromSnapshot } from '../../src/analysis/arenaData.js';
import { chunkCount, readChunk } from '../../src/analysis/chunkTable.js';
import { breakdownNames } from '../../src/analysis/rssBreakdown.js';
import { buildReport } from '../../src/commands/report.js';
import { sampleProcessWithChunks } from '../../src/engine/sample.js';
import { anonymousBytes, buildTarget, parseSelfReport, spawnTarget, stopAll } from './helpers.js';

afterAll(stopAll);

describe('report on the arena engine', () => {
  it('joins the engine chunk table with pagemap and predicts malloc_trim(0) exactly', async () => {
    const t = spawnTarget(buildTarget('trim_target'), ['--main-alt', '40', '--thread-alt', '40', '--thread-fast', '300', '--main-top', '100000'], {
      GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0',
    });
    expect(await t.nextLine()).toBe('ready');
    t.send('dump');
    const self = parseSelfReport(await t.linesUntil('end'));
    const sample = await sampleProcessWithChunks(t.pid, { withChunks: true });

    // The engine must have walked the arenas: a failed walk becomes mallocError
    // (and a report that only says so), which would hide everything below.
    expect(sample.snapshot.mallocError).toBeNull();
    expect(sample.snapshot.malloc).not.toBeNull();
    expect(sample.chunkTable).not.toBeNull();

    const table = sample.chunkTable!;
    const engine = Array.from({ length: chunkCount(table) }, (_, i) => readChunk(table, i));
    const key = (c: { start: number; size: number; state: number }): string => `${c.start}:${c.size}:${c.state}`;
    expect(engine.map(key).sort()).toEqual(self.records.map(key).sort());
    const layouts = layoutsFromSnapshot(sample.snapshot.malloc!, sample.snapshot.regions);
    for (const c of engine) {
      expect(layouts[c.arenaIndex]!.ranges.some((r) => c.start >= r.start && c.start + c.size <= r.end)).toBe(true);
    }
    expect(layouts.find((l) => l.main)!.topEndsAtBreak).toBe(true);

    const report = await buildReport(t.pid, { snapshot: sample.snapshot, chunkTable: table });
    expect(report.arenas!.source).toMatch(/^arena engine/);
    expect(report.breakdown.reduce((s, l) => s + l.bytes, 0)).toBe(report.rss);
    const before = anonymousBytes(t.pid);
    t.send('trim');
    expect(await t.nextLine()).toMatch(/^trimmed/);
    expect(before - anonymousBytes(t.pid)).toBe(report.arenas!.reclaimable);
    await t.stop();
  });
});
