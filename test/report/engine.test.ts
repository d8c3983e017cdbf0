// The report on the arena engine's own walk: the chunks the walk meets (its
// NDJSON listing, streamed as it passes them) must be exactly the chunks the
// target walks in itself, with the same states, and the malloc_trim(0)
// estimate the walk joins with pagemap must equal the RSS drop when the
// target then trims. The walk must succeed: a failed one would only show up
// as mallocError in the report.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { breakdownNames } from '../../src/analysis/rssBreakdown.js';
import { buildReport } from '../../src/commands/report.js';
import { readMallocSnapshot } from '../../src/engine/malloc.js';
import { ChunkState } from '../helpers/chunkTable.js';
import { anonymousBytes, buildTarget, parseSelfReport, spawnTarget, stopAll } from './helpers.js';

afterAll(stopAll);

/** The listing's state names as the target's own states. */
const stateOf: Record<string, number> = {
  'in-use': ChunkState.inUse,
  'small-bin': ChunkState.freeInBin,
  'large-bin': ChunkState.freeInBin,
  unsorted: ChunkState.freeInBin,
  fastbin: ChunkState.fastbin,
  tcache: ChunkState.tcache,
  top: ChunkState.top,
  internal: ChunkState.internal,
};

describe('report on the arena engine', () => {
  it('meets exactly the chunks the target walks in itself, and predicts malloc_trim(0) exactly', async () => {
    const t = spawnTarget(buildTarget('trim_target'), ['--main-alt', '40', '--thread-alt', '40', '--thread-fast', '300', '--main-top', '100000'], {
      GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0',
    });
    expect(await t.nextLine()).toBe('ready');
    t.send('dump');
    const self = parseSelfReport(await t.linesUntil('end'));

    const dir = mkdtempSync(join(tmpdir(), 'arenascope-engine-'));
    try {
      const file = join(dir, 'chunks.ndjson');
      const fd = openSync(file, 'w');
      let listed;
      try {
        listed = (await readMallocSnapshot(t.pid, { listChunks: { fd } })).listed;
      } finally {
        closeSync(fd);
      }
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { address: string; size: number; state: string });
      expect(listed).toEqual({ chunks: lines.length, writeError: 0 });
      const key = (c: { start: number; size: number; state: number }): string => `${c.start}:${c.size}:${c.state}`;
      const engine = lines.map((l) => key({ start: parseInt(l.address, 16), size: l.size, state: stateOf[l.state] ?? -1 }));
      expect(engine.sort()).toEqual(self.records.map(key).sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const report = await buildReport(t.pid, { attach: false });
    expect(report.arenaNote).toBeNull();
    expect(report.arenas!.source).toMatch(/^arena engine/);
    expect(report.breakdown.reduce((s, l) => s + l.bytes, 0)).toBe(report.rss);
    expect(report.breakdown.find((l) => l.name === breakdownNames.arenaInUse)!.bytes).toBe(report.arenas!.inUse);
    const before = anonymousBytes(t.pid);
    t.send('trim');
    expect(await t.nextLine()).toMatch(/^trimmed/);
    expect(before - anonymousBytes(t.pid)).toBe(report.arenas!.reclaimable);
    await t.stop();
  });
});
