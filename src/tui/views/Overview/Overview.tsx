// The Overview: the process at a glance. Renders its props only (the lines
// come from useOverviewState, built once per snapshot).
import { memo, type ReactNode } from 'react';
import { ScrollLines, type Line } from '../../components/Lines.js';

export interface OverviewProps {
  lines: Line[];
  scroll: number;
  height: number;
}

export const Overview = memo(function Overview({ lines, scroll, height }: OverviewProps): ReactNode {
  return <ScrollLines lines={lines} scroll={scroll} height={height} />;
});
