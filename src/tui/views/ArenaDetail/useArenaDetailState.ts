// Arena detail state: the scroll position over the detail lines.
import { useMemo } from 'react';
import { useScroll, type ScrollState } from '../useScroll.js';
import { arenaDetailLines, type ArenaDetailInput } from './arenaDetailLines.js';

export type ArenaDetailState = ScrollState;

export function useArenaDetailState(input: ArenaDetailInput | null, height: number): ArenaDetailState {
  const lineCount = useMemo(() => (input ? arenaDetailLines(input).length : 0), [input?.arena, input?.growth, input?.heapMap, input?.width]);
  return useScroll(lineCount, height);
}
