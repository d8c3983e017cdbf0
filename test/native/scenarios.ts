// Heap plans shared by the synthetic-image tests: one "busy process" that uses
// every kind of chunk the layout supports, and a non-contiguous main arena.
import type { ChunkSpec, ImageSpec, MallocLayout } from '../helpers/heapImage.js';

export interface LayoutEntry {
  name: string;
  layout: MallocLayout;
}

/**
 * main_arena + two non-main arenas (the second with two heaps), holding
 * in-use chunks, fastbins, small/large/unsorted bins, tcaches found at each
 * known place (sbrk_base, first chunk of an arena, a caller hint, the scan),
 * a tcache entry lying in another arena, and tcache-sized decoys.
 */
export function busyProcess(layout: MallocLayout): { spec: ImageSpec; hints: string[] } {
  const hasTcache = layout.tcacheBins > 0;
  const hasFast = layout.nFastbins > 0;
  const largeTcache = layout.tcacheBins > 64;
  const tc = layout.tcacheChunkSize;
  const use = (size: number, id?: string): ChunkSpec => ({ size, kind: 'inuse', ...(id ? { id } : {}) });
  const fast = (size: number): ChunkSpec[] => (hasFast ? [{ size, kind: 'fast' }, use(0x30)] : []);
  const cached = (size: number, id: string): ChunkSpec[] => (hasTcache ? [{ size, kind: 'tcache', id }, use(0x40)] : []);
  const internal = (id: string): ChunkSpec[] => (hasTcache ? [{ size: tc, kind: 'internal', id }] : []);

  const main: ChunkSpec[] = [
    ...internal('m.tc'),
    use(0x30),
    use(0x410),
    { size: 0x100, kind: 'free' },
    use(0x40),
    ...fast(0x20),
    ...fast(0x20),
    ...fast(0x80),
    ...cached(0x50, 'm.t1'),
    ...cached(0x50, 'm.t2'),
    { size: 0x500, kind: 'free' },
    use(0x1000),
    { size: 0x90, kind: 'unsorted' },
    use(0x20),
  ];
  const a1: ChunkSpec[] = [
    ...internal('a1.tc'),
    use(0x20),
    { size: 0x100, kind: 'free' },
    use(0x20),
    { size: 0x100, kind: 'free' },
    use(0x20),
    { size: 0x100, kind: 'free' },
    use(0x20),
    { size: 0x3f0, kind: 'free' },
    use(0x50),
    { size: 0x400, kind: 'free' }, // first large bin (64)
    use(0x50),
    { size: 0x2010, kind: 'free' },
    use(0x50),
    { size: 0x2000, kind: 'free' }, // same large bin as 0x2010
    use(0x50),
    ...fast(0x30),
    ...fast(0x30),
    ...fast(0x30),
    ...fast(0xb0),
    ...cached(0x20, 'a1.t1'),
    ...cached(0x20, 'a1.t2'),
    ...cached(0x410, 'a1.t3'),
    ...(largeTcache ? cached(0x1000, 'a1.tl') : []),
    // A thread that reused this arena: its tcache lives mid-heap.
    ...internal('a1.tc2'),
    ...cached(0x60, 'a1.t4'),
    // 2.42+: an empty tcache still reads as tcache_count free slots per bin,
    // which the scan can recognise.
    ...(layout.tcacheCountsAreFreeSlots ? internal('a1.empty') : []),
    // Decoys of the tcache chunk size: zeros (reads as an empty tcache) and
    // user data; neither may be taken for a tcache.
    ...(hasTcache ? [{ size: tc, kind: 'inuse' as const, fill: 'zero' as const }, use(tc)] : []),
    { size: 0xc0, kind: 'unsorted' },
    use(0x100),
  ];
  const a2old: ChunkSpec[] = [
    ...internal('a2.tc'),
    use(0x800),
    { size: 0x200, kind: 'free' },
    use(0x200),
    ...fast(0x40),
    ...cached(0x30, 'a2.t1'),
  ];
  const a2new: ChunkSpec[] = [
    use(0x100),
    { size: 0x1200, kind: 'free' },
    use(0x30),
    // Freed by a1's thread: sits in a2's heap, listed in a1's tcache.
    ...cached(0x70, 'a2.t2'),
    ...internal('a2.hint'), // an empty tcache only the caller's hint finds
    use(0x30),
    ...fast(0x70),
  ];
  const spec: ImageSpec = {
    layout,
    arenas: [
      { heaps: [{ size: 0x21000, chunks: main }] },
      { heaps: [{ size: 0x20000, chunks: a1 }] },
      {
        heaps: [
          { size: 0x10000, chunks: a2old },
          { size: 0x8000, chunks: a2new },
        ],
      },
    ],
    tcacheCount: layout.nFastbins === 0 ? 16 : 7, // 2.43 raised TCACHE_FILL_COUNT to 16
    tcaches: hasTcache
      ? [
          { structId: 'm.tc', entryIds: ['m.t1', 'm.t2'] },
          { structId: 'a1.tc', entryIds: ['a1.t1', 'a1.t2', 'a1.t3', ...(largeTcache ? ['a1.tl'] : []), 'a2.t2'] },
          { structId: 'a1.tc2', entryIds: ['a1.t4'] },
          { structId: 'a2.tc', entryIds: ['a2.t1'] },
          { structId: 'a2.hint', entryIds: [] },
          ...(layout.tcacheCountsAreFreeSlots ? [{ structId: 'a1.empty', entryIds: [] }] : []),
        ]
      : [],
  };
  return { spec, hints: hasTcache ? ['a2.hint'] : [] };
}

/** Which route finds each tcache of busyProcess(). */
export const tcacheFoundBy: Record<string, string> = {
  'm.tc': 'sbrk-base',
  'a1.tc': 'first-chunk',
  'a1.tc2': 'scan',
  'a2.tc': 'first-chunk',
  'a2.hint': 'hint',
  'a1.empty': 'scan',
};

/** A main arena whose brk failed: a closed first segment and a second one holding top. */
export function noncontiguousMain(layout: MallocLayout): ImageSpec {
  const hasTcache = layout.tcacheBins > 0;
  const seg1: ChunkSpec[] = [
    ...(hasTcache ? [{ size: layout.tcacheChunkSize, kind: 'internal' as const, id: 'm.tc' }] : []),
    { size: 0x40, kind: 'inuse' },
    { size: 0x300, kind: 'free' },
    { size: 0x40, kind: 'inuse' },
  ];
  const seg2: ChunkSpec[] = [
    { size: 0x2000, kind: 'inuse' },
    { size: 0x800, kind: 'free' },
    { size: 0x40, kind: 'inuse' },
  ];
  return {
    layout,
    mainNoncontiguous: true,
    arenas: [{ heaps: [{ size: 0x100000, chunks: seg1 }, { size: 0x100000, chunks: seg2 }] }],
    tcaches: hasTcache ? [{ structId: 'm.tc', entryIds: [] }] : [],
  };
}

/**
 * Three main-arena segments the way mmap hands them out under hugetlb=2:
 * each new one right below the previous, so the middle one is linked to
 * nothing but its neighbours. With `gap`, the middle one stands alone.
 */
export function threeMainSegments(layout: MallocLayout, gap: boolean): ImageSpec {
  const first = 0x7fd0_0010_0000;
  const sizes = [0x100000, 0x84000, 0x21000];
  const second = first - sizes[1]! - (gap ? 0x10_0000 : 0);
  const third = second - sizes[2]! - (gap ? 0x10_0000 : 0);
  const seg = (n: number): ChunkSpec[] => [
    { size: 0x40 * n, kind: 'inuse' },
    { size: 0x300, kind: 'free' },
    { size: 0x1000, kind: 'inuse' },
  ];
  return {
    layout,
    mainNoncontiguous: true,
    mainSegmentBases: [first, second, third],
    arenas: [{ heaps: sizes.map((size, i) => ({ size, chunks: seg(i + 1) })) }],
  };
}
