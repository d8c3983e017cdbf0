// RSS explained: named lines that add up exactly to the process's RSS, taken
// as the sum of smaps Rss over every mapping. Most lines are whole mappings by
// kind. Mappings that hold glibc arena heaps are split page by page (pagemap)
// into in use / free / overhead using the arena residency analysis; mappings
// overlapping the Java heap are split the same way. smaps and pagemap are
// read moments apart, so a live process can differ slightly between the two;
// whatever is left over is the "unattributed" line, which keeps the sum exact.
import type { Region, RegionKind } from '../regions/kinds.js';
import type { AddressRange, ResidencyMap } from '../proc/pagemap.js';
import { normalizeRanges } from '../proc/pagemap.js';
import { isAnonymous } from '../proc/maps.js';
import type { ArenaLayout, ArenaResidency } from './residency.js';

export const breakdownNames = {
  arenaInUse: 'arena: in use',
  arenaFree: 'arena: free, resident',
  arenaOverhead: 'arena: overhead and internal',
  mallocHeaps: 'malloc heaps (no arena detail)',
  mmappedChunks: 'mmapped chunks',
  threadStacks: 'thread stacks',
  mainStack: 'main stack',
  jvmHeap: 'JVM heap',
  code: 'code (executable file mappings)',
  fileMappings: 'file mappings (data, read-only)',
  otherAnon: 'other anonymous',
  kernel: 'kernel ([vdso], [vvar])',
  unattributed: 'unattributed',
} as const;

const order: string[] = Object.values(breakdownNames);

export interface BreakdownLine {
  name: string;
  bytes: number;
}

export interface RssBreakdown {
  /** Sum of smaps Rss over all mappings. */
  rss: number;
  lines: BreakdownLine[];
  /** Resident bytes of the Java heap, when its range is known. */
  javaHeapResident: number | null;
}

export interface BreakdownInput {
  regions: Region[];
  /** Page residency of (at least) the ranges regionsToSplit() returned. */
  residency: ResidencyMap | null;
  arenas: { rows: ArenaResidency[]; layouts: ArenaLayout[] } | null;
  javaHeap: AddressRange | null;
}

function overlap(a: AddressRange, b: AddressRange): AddressRange | null {
  const start = Math.max(a.start, b.start);
  const end = Math.min(a.end, b.end);
  return end > start ? { start, end } : null;
}

function kindLine(kind: RegionKind, r: Region, haveArenas: boolean): string {
  switch (kind) {
    case 'main-heap':
    case 'arena-heap':
      return haveArenas ? breakdownNames.otherAnon : breakdownNames.mallocHeaps;
    case 'arena-reserve':
      return breakdownNames.otherAnon;
    case 'thread-stack':
    case 'stack-guard':
      return breakdownNames.threadStacks;
    case 'stack':
      return breakdownNames.mainStack;
    case 'mmapped-chunk':
      return breakdownNames.mmappedChunks;
    case 'file':
      return r.perms.includes('x') ? breakdownNames.code : breakdownNames.fileMappings;
    case 'special':
      return breakdownNames.kernel;
    default:
      return breakdownNames.otherAnon;
  }
}

/** The address ranges whose pages the breakdown needs from pagemap: mappings overlapping arena heaps or the Java heap. */
export function regionsToSplit(regions: Region[], arenaLayouts: ArenaLayout[] | null, javaHeap: AddressRange | null): AddressRange[] {
  const arenaRanges = arenaLayouts ? normalizeRanges(arenaLayouts.flatMap((a) => a.ranges)) : [];
  const out: AddressRange[] = [];
  for (const r of regions) {
    const hitsArena = arenaRanges.some((a) => overlap(a, r));
    const hitsJava = javaHeap !== null && isAnonymous(r) && overlap(javaHeap, r) !== null;
    if (hitsArena || hitsJava) out.push({ start: r.start, end: r.end });
  }
  return out;
}

export function rssBreakdown(input: BreakdownInput): RssBreakdown {
  const { regions, residency, arenas, javaHeap } = input;
  const totals = new Map<string, number>();
  const add = (name: string, bytes: number): void => {
    if (bytes !== 0) totals.set(name, (totals.get(name) ?? 0) + bytes);
  };
  const rss = regions.reduce((s, r) => s + r.rss, 0);
  const haveArenas = arenas !== null && residency !== null;
  const arenaRanges = haveArenas ? normalizeRanges(arenas!.layouts.flatMap((a) => a.ranges)) : [];
  let javaResident: number | null = javaHeap ? 0 : null;

  for (const r of regions) {
    const base = kindLine(r.kind, r, haveArenas);
    const arenaParts = arenaRanges.map((a) => overlap(a, r)).filter((x): x is AddressRange => x !== null);
    const javaPart = javaHeap && isAnonymous(r) ? overlap(javaHeap, r) : null;
    if (!arenaParts.length && !javaPart) {
      add(base, r.rss);
      continue;
    }
    if (!residency) {
      // No page data: a mapping wholly inside the Java heap is still the Java heap.
      const whole = javaPart && javaPart.start === r.start && javaPart.end === r.end;
      add(whole ? breakdownNames.jvmHeap : base, r.rss);
      if (whole) javaResident! += r.rss;
      continue;
    }
    const present = residency.presentBytes(r.start, r.end);
    // Arena pages are counted by the arena analysis below (same residency snapshot).
    const inArenas = arenaParts.reduce((s, p) => s + residency.presentBytes(p.start, p.end), 0);
    let inJava = 0;
    if (javaPart) {
      inJava = residency.presentBytes(javaPart.start, javaPart.end);
      for (const p of arenaParts) {
        const both = overlap(p, javaPart);
        if (both) inJava -= residency.presentBytes(both.start, both.end);
      }
      add(breakdownNames.jvmHeap, inJava);
      javaResident! += inJava;
    }
    add(base, present - inArenas - inJava);
  }

  if (haveArenas) {
    for (const row of arenas!.rows) {
      add(breakdownNames.arenaInUse, row.inUseResident);
      add(breakdownNames.arenaFree, row.freeResident);
      add(breakdownNames.arenaOverhead, row.overheadResident);
    }
  }

  const attributed = [...totals.values()].reduce((s, b) => s + b, 0);
  const lines: BreakdownLine[] = [...totals.entries()].map(([name, bytes]) => ({ name, bytes }));
  lines.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  lines.push({ name: breakdownNames.unattributed, bytes: rss - attributed });
  return { rss, lines, javaHeapResident: javaResident };
}
