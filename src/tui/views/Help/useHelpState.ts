import { useMemo } from 'react';
import { useScroll, type ScrollState } from '../useScroll.js';
import { helpLines } from './helpLines.js';

export type HelpState = ScrollState;

export function useHelpState(width: number, height: number): HelpState {
  const lineCount = useMemo(() => helpLines(width).length, [width]);
  return useScroll(lineCount, height);
}
