// Arenas view state: the sort order and the cursor, which follows the arena
// (by address) across refreshes and re-sorts.
import { useCallback, useMemo, useState } from 'react';
import type { ArenaSnapshot, ProcessSnapshot } from '../../../model/snapshot.js';
import { arenaFreeBytes, arenaGrowth, arenaReserved, suspiciousArenas, type ArenaGrowth } from '../../sampling/growth.js';

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
  selected: number;
  selectedArena: ArenaSnapshot | null;
  sort: ArenaSort;
  select(index: number): void;
  selectAddress(address: number): void;
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

export function useArenasState(current: ProcessSnapshot | null, first: ProcessSnapshot | null, previous: ProcessSnapshot | null): ArenasState {
  const [sort, setSort] = useState<ArenaSort>('rss');
  const [selectedAddress, setSelectedAddress] = useState<number | null>(null);
  const [fallbackIndex, setFallbackIndex] = useState(0);
  const rows = useMemo(() => arenaRows(current, first, previous, sort), [current, first, previous, sort]);
  const found = selectedAddress === null ? -1 : rows.findIndex((r) => r.arena.address === selectedAddress);
  const selected = rows.length === 0 ? 0 : found >= 0 ? found : Math.min(fallbackIndex, rows.length - 1);

  const select = useCallback(
    (index: number) => {
      const i = Math.max(0, Math.min(index, rows.length - 1));
      setFallbackIndex(i);
      setSelectedAddress(rows[i]?.arena.address ?? null);
    },
    [rows],
  );
  const selectAddress = useCallback((address: number) => setSelectedAddress(address), []);
  const cycleSort = useCallback(() => setSort((s) => arenaSorts[(arenaSorts.indexOf(s) + 1) % arenaSorts.length]!), []);
  return { rows, selected, selectedArena: rows[selected]?.arena ?? null, sort, select, selectAddress, cycleSort };
}
