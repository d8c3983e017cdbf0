// glibc 2.43 removed fastbins (malloc_state has no fastbinsY; malloc.c). The
// snapshot says so with fastbins: null, not zeros, and every view that prints a
// fastbin line leaves it out. The machine's glibc has fastbins, so the snapshot
// comes from the real walker on a synthetic heap image built for the layout rows
// of 2.43 and 2.44 (and 2.42, which has them, for contrast), mapped into the
// model by the engine's own toArenaSnapshot.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { arenasJson, freeListsLine, renderArenas } from '../../src/commands/arenas.js';
import { freeBytes, layoutForNative, toArenaSnapshot, totalsOf } from '../../src/engine/malloc.js';
import { layoutCandidates, type MallocLayout } from '../../src/glibc/layouts.js';
import type { ArenaSnapshot, MallocSnapshot } from '../../src/model/snapshot.js';
import { loadNative } from '../../src/native/loader.js';
import type { NativeWalkResult } from '../../src/native/native.js';
import { ThemeProvider } from '../../src/tui/theme.js';
import { ArenaDetail } from '../../src/tui/views/ArenaDetail/ArenaDetail.js';
import { arenaDetailLines } from '../../src/tui/views/ArenaDetail/arenaDetailLines.js';
import { formatBytes, hex } from '../../src/util/format.js';
import { buildHeapImage, type BuiltImage } from '../helpers/heapImage.js';
import { busyProcess } from '../native/scenarios.js';
import { plain } from '../tui/helpers/ink.js';

const heapMax = 64 * 1024 * 1024;

/** The production layout row of glibc 2.<minor> (what discovery passes to the walker). */
const layoutOf = (minor: number): MallocLayout => layoutCandidates(minor)[0]!;

async function walked(minor: number): Promise<{ img: BuiltImage; snapshot: MallocSnapshot }> {
  const layout = layoutOf(minor);
  const { spec, hints } = busyProcess(layout);
  const img = buildHeapImage(spec);
  const native = loadNative();
  const result: NativeWalkResult = await native.walkArenas(native.MemorySource.fromImage(img.segments), layoutForNative(layout), {
    mainArena: img.mainArena,
    mp: img.mp,
    heapMaxSize: heapMax,
    withBins: true,
    withHistogram: true,
    withTcacheDetail: true,
    tcacheStructs: hints.map((id) => img.chunk.get(id)! + 0x10),
  });
  expect(result.anomalyTotal).toBe(0);
  const arenas = result.arenas.map((a) => toArenaSnapshot(a, [], heapMax));
  // What readMallocSnapshot adds around the arenas (process facts): the image has none to give.
  const snapshot: MallocSnapshot = {
    pid: 0,
    allocator: { allocator: 'glibc', evidence: 'synthetic image', libcPath: null, glibcVersion: `2.${minor}` },
    glibcVersion: `2.${minor}`,
    layout: layout.name,
    layoutChosenBy: 'table',
    locatedBy: 'debuginfo',
    mainArena: img.mainArena,
    mallocPar: img.mp,
    heapMaxSize: heapMax,
    params: null,
    arenas,
    totals: totalsOf(arenas),
    freeze: null,
    anomalies: { examples: [], counts: [], total: 0, torn: { total: 0, counts: [] } },
    reads: { zeroBytes: 0, swappedBytes: 0, pagemapUsed: false },
    walkMemoryBytes: result.memoryBytes,
    takenAt: 0,
  };
  return { img, snapshot };
}

function detailFrame(arena: ArenaSnapshot): string {
  const app = render(
    <ThemeProvider theme={{ color: false }}>
      <ArenaDetail lines={arenaDetailLines({ arena, growth: null, width: 100 })} address={arena.address} scroll={0} height={500} />
    </ThemeProvider>,
  );
  const out = plain(app.lastFrame());
  app.unmount();
  return out;
}

/** The lines of the arena detail's "Free lists" section. */
const freeListSection = (frame: string): string[] => {
  const lines = frame.split('\n');
  const start = lines.findIndex((l) => l.trim() === 'Free lists');
  const end = lines.findIndex((l, i) => i > start && l.trim() === 'Heaps');
  return lines.slice(start + 1, end).filter((l) => l.trim() !== '');
};

describe.each([43, 44])('glibc 2.%i: no fastbins', (minor) => {
  it('the layout row has none, and the snapshot marks them absent (null), not empty', async () => {
    expect(layoutOf(minor)).toMatchObject({ nFastbins: 0, offFastbins: -1 });
    const { img, snapshot } = await walked(minor);
    expect(snapshot.arenas).toHaveLength(img.expected.length);
    snapshot.arenas.forEach((a, k) => {
      const exp = img.expected[k]!;
      expect(a.listsReadBy.fastbins).toBe('none');
      expect(a.free.fastbins).toBeNull();
      // Every other list as planted; free bytes are the lists without fastbins.
      expect([a.free.unsorted, a.free.smallbins, a.free.largebins, a.free.tcache]).toEqual([exp.unsorted, exp.smallbins, exp.largebins, exp.tcache]);
      expect(freeBytes(a)).toBe(exp.unsorted.bytes + exp.smallbins.bytes + exp.largebins.bytes + exp.tcache.bytes);
      expect(a.identityHolds).toBe(true);
      expect((a.bins ?? []).filter((b) => b.kind === 'fast')).toEqual([]);
    });
    const json = JSON.parse(JSON.stringify(arenasJson(snapshot)));
    for (const a of json.arenas) {
      expect(a.free).toHaveProperty('fastbins', null);
      expect(a.listsReadBy.fastbins).toBe('none');
    }
  });

  it('arenas --bins prints no fastbin line or row', async () => {
    const { snapshot } = await walked(minor);
    const text = renderArenas(snapshot, { bins: true, histogram: true });
    expect(text).not.toMatch(/fast/);
    for (const a of snapshot.arenas) {
      const f = a.free;
      expect(text).toContain(
        `free lists: unsorted ${f.unsorted.chunks} chunks ${formatBytes(f.unsorted.bytes)}, smallbins ${f.smallbins.chunks} chunks ${formatBytes(f.smallbins.bytes)}, ` +
          `largebins ${f.largebins.chunks} chunks ${formatBytes(f.largebins.bytes)}, tcache ${f.tcache.chunks} chunks ${formatBytes(f.tcache.bytes)}`,
      );
    }
  });

  it('the TUI arena detail lists the free lists without a fastbins line', async () => {
    const { snapshot } = await walked(minor);
    for (const a of snapshot.arenas) {
      const lists = freeListSection(detailFrame(a));
      expect(lists.map((l) => l.trim().split(/\s+/)[0])).toEqual(['unsorted', 'smallbins', 'largebins', 'tcache', 'top', 'in']);
      expect(lists.join('\n')).not.toMatch(/fast/);
    }
  });
});

describe('glibc 2.42: fastbins present', () => {
  it('keeps the fastbin totals in the snapshot, JSON, arenas --bins and the arena detail', async () => {
    expect(layoutOf(42).nFastbins).toBeGreaterThan(0);
    const { img, snapshot } = await walked(42);
    const json = JSON.parse(JSON.stringify(arenasJson(snapshot)));
    const text = renderArenas(snapshot, { bins: true });
    snapshot.arenas.forEach((a, k) => {
      const exp = img.expected[k]!;
      expect(a.listsReadBy.fastbins).not.toBe('none');
      expect(a.free.fastbins).toEqual(exp.fastbins);
      expect(json.arenas[k].free.fastbins).toEqual(exp.fastbins);
      expect(freeListsLine(a).startsWith(`fastbins ${exp.fastbins.chunks} chunks ${formatBytes(exp.fastbins.bytes)}, unsorted `)).toBe(true);
      expect(freeListSection(detailFrame(a))[0]).toMatch(new RegExp(`^  fastbins +${exp.fastbins.chunks} chunks`));
    });
    // Some arena of the busy process has fastbin chunks: they show as rows of the bins table.
    expect(img.expected.some((e) => e.fastbins.chunks > 0)).toBe(true);
    expect(text).toMatch(/^fast +\d+ +\d+ /m);
    expect(text).toContain(`bins of ${hex(snapshot.arenas[0]!.address)} (main):`);
  });
});
