// Help: every key. Renders its props only.
import { memo, type ReactNode } from 'react';
import { ScrollLines, type Line } from '../../components/Lines.js';

export interface HelpProps {
  lines: Line[];
  scroll: number;
  height: number;
}

export const Help = memo(function Help({ lines, scroll, height }: HelpProps): ReactNode {
  return <ScrollLines lines={lines} scroll={scroll} height={height} />;
});
