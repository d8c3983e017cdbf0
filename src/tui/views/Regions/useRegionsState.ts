// Regions view state: sort key, kind filter, text filter (with its editing
// mode) and the cursor, kept on the same mapping across refreshes.
import { useCallback, useMemo, useState } from 'react';
import { regionKinds, type Region, type RegionKind } from '../../../regions/kinds.js';
import { hex } from '../../../util/format.js';
import { useCursor, type Cursor } from '../../useCursor.js';
import { useTextField, type TextField } from '../../useTextField.js';

export type RegionSort = 'addr' | 'size' | 'rss';
export const regionSorts: RegionSort[] = ['addr', 'size', 'rss'];

export interface RegionsState {
  rows: Region[];
  total: number;
  /** Some mapping has transparent huge pages (the view adds a THP column). */
  thp: boolean;
  cursor: Cursor;
  selected: number;
  selectedRegion: Region | null;
  sort: RegionSort;
  kind: RegionKind | null;
  /** The text filter; applied as it is typed. */
  filter: TextField;
  editing: boolean;
  cycleSort(): void;
  cycleKind(): void;
  startFilter(): void;
  endFilter(keep: boolean): void;
  /** Drops the kind and the text filter. */
  clearFilters(): void;
}

export function regionDetail(r: Region): string {
  if (r.kind === 'arena-heap' || r.kind === 'arena-reserve') {
    const arena = r.arena !== null ? `arena ${hex(r.arena)}` : 'arena ?';
    return r.mmappedChunks ? `${arena} + ${r.mmappedChunks.count} mmapped chunk(s)` : arena;
  }
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

const regionKey = (r: Region): number => r.start;

export function useRegionsState(regions: Region[]): RegionsState {
  const [sort, setSort] = useState<RegionSort>('addr');
  const [kind, setKind] = useState<RegionKind | null>(null);
  const filter = useTextField('');
  const [editing, setEditing] = useState(false);

  const rows = useMemo(
    () => sortRegions(regions.filter((r) => (kind === null || r.kind === kind) && regionMatches(r, filter.value)), sort),
    [regions, sort, kind, filter.value],
  );
  const cursor = useCursor(rows, regionKey);
  const thp = useMemo(() => regions.some((r) => r.anonHugePages > 0), [regions]);

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
  const endFilter = useCallback(
    (keep: boolean) => {
      setEditing(false);
      if (!keep) filter.set('');
    },
    [filter],
  );
  const clearFilters = useCallback(() => {
    setEditing(false);
    filter.set('');
    setKind(null);
  }, [filter]);

  return {
    rows,
    total: regions.length,
    thp,
    cursor,
    selected: cursor.index,
    selectedRegion: rows[cursor.index] ?? null,
    sort,
    kind,
    filter,
    editing,
    cycleSort,
    cycleKind,
    startFilter,
    endFilter,
    clearFilters,
  };
}
