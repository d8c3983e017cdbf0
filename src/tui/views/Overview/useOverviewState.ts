// Overview state: the lines, built once per snapshot (and advice, cgroup,
// width), and the scroll position over them. A key press that only scrolls
// rebuilds nothing.
import { useMemo } from 'react';
import type { Line } from '../../components/Lines.js';
import { useScroll, type ScrollState } from '../useScroll.js';
import { overviewLines, type OverviewInput } from './overviewLines.js';

export interface OverviewState extends ScrollState {
  lines: Line[];
}

export function useOverviewState(input: OverviewInput | null, height: number): OverviewState {
  const lines = useMemo(() => (input ? overviewLines(input) : []), [input?.snapshot, input?.cgroup, input?.advice, input?.width, input?.first, input?.previous]);
  return { ...useScroll(lines.length, height), lines };
}
