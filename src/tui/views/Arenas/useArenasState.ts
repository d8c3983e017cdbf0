// Arenas view state: the sort order and the cursor, which follows the arena
// (by address) across refreshes and re-sorts.
import { useCallback, useMemo, useState } from 'react';
import type { ArenaSnapshot, ProcessSnapshot } from '../../../model/snapshot.js';
import { arenaFreeBytes, arenaGrowth, arenaReserved, suspiciousArenas, type ArenaGrowth } from '../../sampling/growth.js';
import { useCursor, type Cursor } from '../../useCursor.js';

export type ArenaSort = 'rss' | 'growth' | 'free' | 'addr';
export const arenaSorts: ArenaSort[] = ['rss', 'growth', 'free', 'addr'];

export interface ArenaRow {
  arena: ArenaSnapshot;
  growth: ArenaGrowth;
  free: number;
  reserved: number;
  suspicious: boolean;
}

export interface ArenasState {
  rows: ArenaRow[];
  cursor: Cursor;
  selected: number;
  selectedArena: ArenaSnapshot | null;
  sort: ArenaSort;
  cycleSort(): void;
}

export function arenaRows(current: ProcessSnapshot | null, first: ProcessSnapshot | null, previous: ProcessSnapshot | null, sort: ArenaSort): ArenaRow[] {
  const arenas = current?.malloc?.arenas ?? [];
  if (!current || arenas.length === 0) return [];
  const growth = arenaGrowth(first, previous, current);
  const suspicious = suspiciousArenas(arenas, growth);
  const rows = arenas.map((arena) => ({
    arena,
    growth: growth.get(arena.address) ?? { rss: 0, rssLast: 0 },
    free: arenaFreeBytes(arena),
    reserved: arenaReserved(arena),
    suspicious: suspicious.has(arena.address),
  }));
  const by: Record<ArenaSort, (a: ArenaRow, b: ArenaRow) => number> = {
    rss: (a, b) => b.arena.rss - a.arena.rss,
    growth: (a, b) => b.growth.rss - a.growth.rss,
    free: (a, b) => b.free - a.free,
    addr: (a, b) => a.arena.address - b.arena.address,
  };
  return rows.sort((a, b) => by[sort](a, b) || a.arena.address - b.arena.address);
}

const arenaKey = (r: ArenaRow): number => r.arena.address;

export function useArenasState(current: ProcessSnapshot | null, first: ProcessSnapshot | null, previous: ProcessSnapshot | null): ArenasState {
  const [sort, setSort] = useState<ArenaSort>('rss');
  const rows = useMemo(() => arenaRows(current, first, previous, sort), [current, first, previous, sort]);
  const cursor = useCursor(rows, arenaKey);
  const cycleSort = useCallback(() => setSort((s) => arenaSorts[(arenaSorts.indexOf(s) + 1) % arenaSorts.length]!), []);
  return { rows, cursor, selected: cursor.index, selectedArena: rows[cursor.index]?.arena ?? null, sort, cycleSort };
}
