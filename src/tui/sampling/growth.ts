// Growth between snapshots: the whole process since the session started and
// per arena (matched by arena address; arenas are never freed, glibc
// malloc/arena.c, so an address names the same arena for the process's life).
import type { ArenaSnapshot, ProcessSnapshot } from '../../model/snapshot.js';

export interface ProcessGrowth {
  elapsedMs: number;
  rss: number | null;
  /** Since the previous sample. */
  rssLast: number | null;
  arenaResident: number | null;
  inUse: number | null;
  free: number | null;
  arenas: number | null;
}

function delta(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined ? null : b - a;
}

export function processGrowth(first: ProcessSnapshot | null, previous: ProcessSnapshot | null, current: ProcessSnapshot): ProcessGrowth {
  const start = first ?? current;
  return {
    elapsedMs: current.takenAt - start.takenAt,
    rss: delta(start.status.vmRss, current.status.vmRss),
    rssLast: previous ? delta(previous.status.vmRss, current.status.vmRss) : null,
    arenaResident: delta(start.malloc?.totals.resident, current.malloc?.totals.resident),
    inUse: delta(start.malloc?.totals.inUse.bytes, current.malloc?.totals.inUse.bytes),
    free: delta(start.malloc?.totals.free.bytes, current.malloc?.totals.free.bytes),
    arenas: delta(start.malloc?.arenas.length, current.malloc?.arenas.length),
  };
}

export interface ArenaGrowth {
  /** Resident bytes gained since the session's first snapshot (an arena born since then counts whole). */
  rss: number;
  /** Resident bytes gained since the previous snapshot. */
  rssLast: number;
}

export function arenaGrowth(first: ProcessSnapshot | null, previous: ProcessSnapshot | null, current: ProcessSnapshot): Map<number, ArenaGrowth> {
  const index = (s: ProcessSnapshot | null): Map<number, ArenaSnapshot> => new Map((s?.malloc?.arenas ?? []).map((a) => [a.address, a]));
  const firstArenas = index(first);
  const previousArenas = index(previous);
  const out = new Map<number, ArenaGrowth>();
  for (const a of current.malloc?.arenas ?? []) {
    out.set(a.address, {
      rss: a.rss - (firstArenas.get(a.address)?.rss ?? 0),
      rssLast: a.rss - (previousArenas.get(a.address)?.rss ?? a.rss),
    });
  }
  return out;
}

/** Total bytes on an arena's free lists (bins and tcache). */
export function arenaFreeBytes(a: ArenaSnapshot): number {
  const f = a.free;
  return (f.fastbins?.bytes ?? 0) + f.unsorted.bytes + f.smallbins.bytes + f.largebins.bytes + f.tcache.bytes;
}

/** Address space reserved for the arena's heaps (heap_max each for thread arenas; the brk extent for main). */
export function arenaReserved(a: ArenaSnapshot): number {
  return a.heaps.reduce((s, h) => s + h.reserved, 0);
}

/**
 * Arenas worth a look: the three holding the most resident memory and the
 * three that grew the most (and did grow) since the session started.
 */
export function suspiciousArenas(arenas: ArenaSnapshot[], growth: Map<number, ArenaGrowth>, top = 3): Set<number> {
  const out = new Set<number>();
  if (arenas.length <= 1) return out;
  [...arenas].sort((a, b) => b.rss - a.rss).slice(0, top).forEach((a) => out.add(a.address));
  [...arenas]
    .filter((a) => (growth.get(a.address)?.rss ?? 0) > 0)
    .sort((a, b) => (growth.get(b.address)?.rss ?? 0) - (growth.get(a.address)?.rss ?? 0))
    .slice(0, top)
    .forEach((a) => out.add(a.address));
  return out;
}
