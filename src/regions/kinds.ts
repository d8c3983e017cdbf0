// Region kinds: every mapping gets exactly one.
export const regionKinds = [
  'main-heap',
  'arena-heap',
  'arena-reserve',
  'thread-stack',
  'stack-guard',
  'stack',
  'mmapped-chunk',
  'file',
  'anon',
  'special',
] as const;
export type RegionKind = (typeof regionKinds)[number];

export function isRegionKind(s: string): s is RegionKind {
  return (regionKinds as readonly string[]).includes(s);
}

export interface HeapInfoRecord {
  /** Base of the heap (heap_max-aligned), where heap_info lives. */
  base: number;
  arena: number;
  prev: number;
  size: number;
  mprotectSize: number;
  /** heap_max this heap was found with (64 MiB, or 4 x huge page size under glibc.malloc.hugetlb on 2.35-2.41). */
  heapMax: number;
}

export interface Region {
  start: number;
  end: number;
  perms: string;
  offset: number;
  path: string;
  kind: RegionKind;
  size: number;
  rss: number;
  pss: number;
  privateDirty: number;
  sharedDirty: number;
  anonymous: number;
  swap: number;
  /**
   * smaps AnonHugePages: anonymous memory mapped by transparent huge pages (part of rss).
   * Arena heaps can be THP-backed: glibc advises them with MADV_HUGEPAGE when
   * mp_.thp_pagesize is set (malloc.c madvise_thp: glibc.malloc.hugetlb=1 from 2.35,
   * and the THP mode glibc 2.43 reads into mp_.thp_mode), and THP "always" backs any
   * anonymous mapping.
   */
  anonHugePages: number;
  /** Owning arena for arena-heap and arena-reserve regions. */
  arena: number | null;
  /**
   * glibc heaps whose heap_info lies in this mapping (more than one when the kernel merged
   * VMAs). Empty for an arena-heap mapping that continues a heap whose heap_info lies in an
   * earlier mapping: the kernel splits a heap's rw part where madvise changed its flags.
   */
  heaps: HeapInfoRecord[];
  /** Thread whose stack this is (thread-stack, stack-guard, stack). */
  tid: number | null;
  /** mmapped chunks found in this mapping (also in an arena-heap mapping the kernel merged with chunks right below the heap). */
  mmappedChunks: { count: number; bytes: number } | null;
}

export function regionContaining(map: { regions: Region[] }, address: number): Region | undefined {
  return map.regions.find((r) => address >= r.start && address < r.end);
}
