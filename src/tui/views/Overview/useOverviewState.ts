// Overview state: only the scroll position; the content is derived from the
// snapshot by overviewLines (the view calls it too, so it renders props only).
import { useMemo } from 'react';
import { useScroll, type ScrollState } from '../useScroll.js';
import { overviewLines, type OverviewInput } from './overviewLines.js';

export type OverviewState = ScrollState;

export function useOverviewState(input: OverviewInput | null, height: number): OverviewState {
  const lineCount = useMemo(
    () => (input ? overviewLines(input).length : 0),
    [input?.snapshot, input?.cgroup, input?.advice, input?.width, input?.first, input?.previous],
  );
  return useScroll(lineCount, height);
}
