// Gives every mapping of a process exactly one RegionKind. Order matters: the
// kernel's own names first, then glibc heaps (confirmed by reading heap_info),
// then stacks (confirmed by each thread's stack pointer), then mmapped chunks.
import type { MemoryReader } from '../memory/reader.js';
import { isAnonymous, type SmapsEntry } from '../proc/maps.js';
import type { ThreadInfo } from '../proc/threads.js';
import { findHeapsIn, readableRunEnds } from './heapInfo.js';
import type { HeapInfoRecord, Region, RegionKind } from './kinds.js';
import { findMmappedChunks } from './mmappedChunks.js';

export interface ClassifyOptions {
  /** heap_max values to try (from discovery); defaults cover 64 MiB and hugetlb sizes. */
  heapMaxes?: number[];
}

const specialNames = /^\[(vdso|vvar|vvar_vclock|vsyscall|uprobes|sigpage|vectors)\]$/;

function baseRegion(e: SmapsEntry): Region {
  const f = e.fields;
  return {
    start: e.start,
    end: e.end,
    perms: e.perms,
    offset: e.offset,
    path: e.path,
    kind: 'anon',
    size: e.end - e.start,
    rss: f.Rss ?? 0,
    pss: f.Pss ?? 0,
    privateDirty: f.Private_Dirty ?? 0,
    sharedDirty: f.Shared_Dirty ?? 0,
    anonymous: f.Anonymous ?? 0,
    swap: f.Swap ?? 0,
    anonHugePages: f.AnonHugePages ?? 0,
    arena: null,
    heaps: [],
    tid: null,
    mmappedChunks: null,
  };
}

export function classifyRegions(
  entries: SmapsEntry[],
  threads: ThreadInfo[],
  reader: MemoryReader,
  mainTid: number,
  options: ClassifyOptions = {},
): Region[] {
  const regions = entries.map(baseRegion);
  const heapReserve: Array<{ from: number; to: number; arena: number }> = [];
  const rwRunEnd = readableRunEnds(entries);

  // Pass 1: names the kernel gives, and glibc heaps.
  regions.forEach((r, i) => {
    const e = entries[i]!;
    if (e.path === '[heap]') r.kind = 'main-heap';
    else if (e.path === '[stack]') {
      r.kind = 'stack';
      r.tid = mainTid;
    } else if (specialNames.test(e.path)) r.kind = 'special';
    else if (!isAnonymous(e)) r.kind = 'file';
    else if (e.perms.startsWith('rw')) {
      const heaps: HeapInfoRecord[] = findHeapsIn(reader, r.start, r.end, options.heapMaxes, rwRunEnd[i]);
      if (heaps.length) {
        r.kind = 'arena-heap';
        r.heaps = heaps;
        r.arena = heaps[0]!.arena;
        for (const h of heaps) heapReserve.push({ from: h.base, to: h.base + h.heapMax, arena: h.arena });
        // mmap places a chunk's mapping right below a heap (new_heap trimmed its
        // 2 * heap_max reservation there), and the kernel merges the two rw-p VMAs.
        const firstBase = Math.min(...heaps.map((h) => h.base));
        const below = firstBase > r.start ? findMmappedChunks(reader, r.start, firstBase) : [];
        if (below.length) r.mmappedChunks = { count: below.length, bytes: below.reduce((s, c) => s + c.size, 0) };
      }
    }
  });

  // Pass 2: the rest of each heap's reservation. A rw mapping there continues the heap
  // (the kernel split its rw part where madvise changed the flags: glibc's madvise_thp
  // advises only a new heap's initial range, arena.c alloc_new_heap, and grow_heap's
  // mprotect adds an unadvised mapping after it); ---p is the untouched tail.
  for (const r of regions) {
    if (r.kind !== 'anon') continue;
    const owner = heapReserve.find((h) => r.start >= h.from && r.start < h.to);
    if (!owner) continue;
    if (r.perms.startsWith('rw')) r.kind = 'arena-heap';
    else if (r.perms[0] === '-' && r.perms[1] === '-') r.kind = 'arena-reserve';
    else continue;
    r.arena = owner.arena;
  }

  // Pass 3: thread stacks by stack pointer; the ---p mapping right below is the guard.
  const byStart = [...regions].sort((a, b) => a.start - b.start);
  for (const t of threads) {
    if (t.sp === null) continue;
    const idx = byStart.findIndex((r) => t.sp! >= r.start && t.sp! < r.end);
    if (idx < 0) continue;
    const r = byStart[idx]!;
    if (r.kind === 'stack') continue;
    if (r.kind !== 'anon') continue;
    r.kind = 'thread-stack';
    r.tid = t.tid;
    const below = byStart[idx - 1];
    if (below && below.end === r.start && below.kind === 'anon' && below.perms.startsWith('---')) {
      below.kind = 'stack-guard';
      below.tid = t.tid;
    }
  }

  // Pass 4: mmapped chunks in the remaining anonymous rw mappings.
  for (const r of regions) {
    if (r.kind !== 'anon' || !r.perms.startsWith('rw')) continue;
    const chunks = findMmappedChunks(reader, r.start, r.end);
    if (chunks.length) {
      r.kind = 'mmapped-chunk';
      r.mmappedChunks = { count: chunks.length, bytes: chunks.reduce((s, c) => s + c.size, 0) };
    }
  }
  return regions;
}

export interface KindSummary {
  count: number;
  size: number;
  rss: number;
  /** smaps AnonHugePages summed (part of rss). */
  anonHugePages: number;
}

export function summarizeByKind(regions: Region[]): Partial<Record<RegionKind, KindSummary>> {
  const out: Partial<Record<RegionKind, KindSummary>> = {};
  for (const r of regions) {
    const s = (out[r.kind] ??= { count: 0, size: 0, rss: 0, anonHugePages: 0 });
    s.count++;
    s.size += r.size;
    s.rss += r.rss;
    s.anonHugePages += r.anonHugePages;
  }
  return out;
}
