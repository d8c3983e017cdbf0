// The walker's chunk map feeds the string scanner: whatever the walk marks
// (live, free, glibc's own), the scanner takes it as it is, and a text stays
// in its chunk's filter. Texts are planted in an in-use chunk and a free one
// the walk itself listed, in a synthetic heap of the current layout; the map
// of a second walk narrows the scan.
import { describe, expect, it } from 'vitest';
import { withChunkListing } from '../helpers/chunkList.js';
import { buildHeapImage } from '../helpers/heapImage.js';
import { addon } from '../native/rawAddon.js';
import { busyProcess } from '../native/scenarios.js';
import { knownLayouts } from '../native/testAddon.js';
import { scan } from '../native/strings-helpers.js';

describe('the walker chunk map in the string scanner', () => {
  it('keeps a live chunk text to live, a free chunk text to free, and both in all', async () => {
    const entry = knownLayouts().find((l) => l.name === '2.35-2.41')!;
    const img = buildHeapImage(busyProcess(entry.layout).spec);
    const walk = (extra: Record<string, unknown>) =>
      addon.walkArenas(addon.MemorySource.fromImage(img.segments), entry.layout, { mainArena: img.mainArena, mp: img.mp, ...extra });
    const { chunks } = await withChunkListing((fd) => walk({ listChunks: { fd } }));
    const live = chunks.find((c) => c.state === 'in-use' && c.size >= 0x40)!;
    const free = chunks.find((c) => c.state === 'small-bin' && c.size >= 0x40)!;
    expect(live).toBeDefined();
    expect(free).toBeDefined();
    // Plant after the 16-byte header and, for the free chunk, after fd and bk.
    const plant = (at: number, text: string) => {
      const seg = img.segments.find((s) => at >= s.address && at + text.length <= s.address + s.data.length)!;
      seg.data.write(text, at - seg.address, 'latin1');
    };
    plant(live.start + 0x10, 'LIVE-TEXT-IN-USE');
    plant(free.start + 0x20, 'FREE-TEXT-IN-BIN');
    const r = await walk({ chunkMap: true });
    expect(r.anomalyTotal).toBe(0);
    const src = addon.MemorySource.fromImage(img.segments);
    const ranges = r.arenas.flatMap((a: { heaps: Array<{ start: number; size: number }> }) => a.heaps.map((h) => ({ start: h.start, end: h.start + h.size })));
    const texts = async (chunkFilter: string) =>
      (await scan(src, ranges, { chunkMap: r.chunkMap, chunkFilter, minLength: 10, top: 1000 })).strings.map((s) => s.text).filter((t) => /-TEXT-/.test(t)).sort();
    expect(await texts('all')).toEqual(['FREE-TEXT-IN-BIN', 'LIVE-TEXT-IN-USE']);
    expect(await texts('live')).toEqual(['LIVE-TEXT-IN-USE']);
    expect(await texts('free')).toEqual(['FREE-TEXT-IN-BIN']);
  });
});
