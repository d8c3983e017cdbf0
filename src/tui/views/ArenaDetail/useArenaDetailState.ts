// Arena detail state: the lines, built once per snapshot of the arena (and
// heap map, width), and the scroll position over them. A key press that only
// scrolls rebuilds nothing.
import { useMemo } from 'react';
import type { Line } from '../../components/Lines.js';
import { useScroll, type ScrollState } from '../useScroll.js';
import { arenaDetailLines, type ArenaDetailInput } from './arenaDetailLines.js';

export interface ArenaDetailState extends ScrollState {
  /** null when there is no arena to show. */
  lines: Line[] | null;
}

export function useArenaDetailState(input: ArenaDetailInput | null, height: number): ArenaDetailState {
  const lines = useMemo(() => (input ? arenaDetailLines(input) : null), [input?.arena, input?.growth, input?.heapMap, input?.width]);
  return { ...useScroll(lines?.length ?? 0, height), lines };
}
