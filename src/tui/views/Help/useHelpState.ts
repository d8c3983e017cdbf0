// Help state: the lines for this width, and the scroll position over them.
import { useMemo } from 'react';
import type { Line } from '../../components/Lines.js';
import { useScroll, type ScrollState } from '../useScroll.js';
import { helpLines } from './helpLines.js';

export interface HelpState extends ScrollState {
  lines: Line[];
}

export function useHelpState(width: number, height: number): HelpState {
  const lines = useMemo(() => helpLines(width), [width]);
  return { ...useScroll(lines.length, height), lines };
}
