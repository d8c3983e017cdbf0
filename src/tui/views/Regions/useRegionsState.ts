// Regions view state: sort key, kind filter, text filter (with its editing
// mode) and the cursor, kept on the same mapping across refreshes.
import { useCallback, useMemo, useState } from 'react';
import { regionKinds, type Region, type RegionKind } from '../../../regions/kinds.js';
import { hex } from '../../../util/format.js';

export type RegionSort = 'addr' | 'size' | 'rss';
export const regionSorts: RegionSort[] = ['addr', 'size', 'rss'];

export interface RegionsState {
  rows: Region[];
  total: number;
  selected: number;
  selectedRegion: Region | null;
  sort: RegionSort;
  kind: RegionKind | null;
  filter: string;
  editing: boolean;
  select(index: number): void;
  cycleSort(): void;
  cycleKind(): void;
  startFilter(): void;
  setFilter(text: string): void;
  endFilter(keep: boolean): void;
}

export function regionDetail(r: Region): string {
  if (r.kind === 'arena-heap' || r.kind === 'arena-reserve') return r.arena !== null ? `arena ${hex(r.arena)}` : 'arena ?';
  if (r.tid !== null) return `tid ${r.tid}${r.path ? ' ' + r.path : ''}`;
  if (r.mmappedChunks) return `${r.mmappedChunks.count} mmapped chunk(s)`;
  return r.path;
}

export function regionMatches(r: Region, filter: string): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return [r.kind, r.path, r.perms, hex(r.start), regionDetail(r)].some((s) => s.toLowerCase().includes(f));
}

export function sortRegions(regions: Region[], sort: RegionSort): Region[] {
  const out = [...regions];
  if (sort === 'size') out.sort((a, b) => b.size - a.size || a.start - b.start);
  else if (sort === 'rss') out.sort((a, b) => b.rss - a.rss || a.start - b.start);
  else out.sort((a, b) => a.start - b.start);
  return out;
}

export function useRegionsState(regions: Region[]): RegionsState {
  const [sort, setSort] = useState<RegionSort>('addr');
  const [kind, setKind] = useState<RegionKind | null>(null);
  const [filter, setFilterText] = useState('');
  const [editing, setEditing] = useState(false);
  const [selectedStart, setSelectedStart] = useState<number | null>(null);
  const [fallbackIndex, setFallbackIndex] = useState(0);

  const rows = useMemo(
    () => sortRegions(regions.filter((r) => (kind === null || r.kind === kind) && regionMatches(r, filter)), sort),
    [regions, sort, kind, filter],
  );
  const found = selectedStart === null ? -1 : rows.findIndex((r) => r.start === selectedStart);
  const selected = rows.length === 0 ? 0 : found >= 0 ? found : Math.min(fallbackIndex, rows.length - 1);

  const select = useCallback(
    (index: number) => {
      const i = Math.max(0, Math.min(index, rows.length - 1));
      setFallbackIndex(i);
      setSelectedStart(rows[i]?.start ?? null);
    },
    [rows],
  );
  const cycleSort = useCallback(() => setSort((s) => regionSorts[(regionSorts.indexOf(s) + 1) % regionSorts.length]!), []);
  const cycleKind = useCallback(() => {
    // Only kinds present in this process, in the canonical order.
    const present = regionKinds.filter((k) => regions.some((r) => r.kind === k));
    setKind((k) => {
      const i = k === null ? -1 : present.indexOf(k);
      return i + 1 >= present.length ? null : present[i + 1]!;
    });
  }, [regions]);
  const startFilter = useCallback(() => setEditing(true), []);
  const setFilter = useCallback((text: string) => setFilterText(text), []);
  const endFilter = useCallback((keep: boolean) => {
    setEditing(false);
    if (!keep) setFilterText('');
  }, []);

  return {
    rows,
    total: regions.length,
    selected,
    selectedRegion: rows[selected] ?? null,
    sort,
    kind,
    filter,
    editing,
    select,
    cycleSort,
    cycleKind,
    startFilter,
    setFilter,
    endFilter,
  };
}
