// A cursor over rows that stays on the same row (by key) when the rows are
// refreshed or re-sorted. Moves are applied to the latest position, even when
// several keys arrive before the next render. Finding the row of a key is a
// lookup in an index built once per rows array, so a key press costs the
// same whatever the number of rows.
import { useCallback, useMemo, useRef, useState } from 'react';

export interface Cursor {
  index: number;
  /** Moves to the index the function returns from the current one. */
  move(to: (current: number) => number): void;
  /** Puts the cursor on the row with this key when it is present. */
  moveToKey(key: string | number): void;
  /** The latest index, even before the next render. */
  current(): number;
}

export function useCursor<T>(rows: T[], keyOf: (row: T) => string | number): Cursor {
  const [selectedKey, setSelectedKey] = useState<string | number | null>(null);
  const [fallback, setFallback] = useState(0);
  // keyOf is expected to be a stable module-level function
  const indexOfKey = useMemo(() => {
    const m = new Map<string | number, number>();
    rows.forEach((r, i) => {
      if (!m.has(keyOf(r))) m.set(keyOf(r), i);
    });
    return m;
  }, [rows]);
  const found = selectedKey === null ? -1 : (indexOfKey.get(selectedKey) ?? -1);
  const index = rows.length === 0 ? 0 : found >= 0 ? found : Math.min(fallback, rows.length - 1);
  const latest = useRef({ index, rows });
  latest.current = { index, rows };

  const move = useCallback(
    (to: (current: number) => number) => {
      const { index: cur, rows: rs } = latest.current;
      if (rs.length === 0) return;
      const next = Math.max(0, Math.min(to(cur), rs.length - 1));
      latest.current = { index: next, rows: rs };
      setFallback(next);
      setSelectedKey(keyOf(rs[next]!));
    },
    // keyOf is expected to be a stable module-level function
    [],
  );
  const moveToKey = useCallback((key: string | number) => setSelectedKey(key), []);
  const current = useCallback(() => latest.current.index, []);
  return { index, move, moveToKey, current };
}
