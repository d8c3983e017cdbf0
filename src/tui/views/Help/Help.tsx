// Help: every key. Renders its props only.
import type { ReactNode } from 'react';
import { ScrollLines } from '../../components/Lines.js';
import { helpLines } from './helpLines.js';

export interface HelpProps {
  scroll: number;
  width: number;
  height: number;
}

export function Help({ scroll, width, height }: HelpProps): ReactNode {
  return <ScrollLines lines={helpLines(width)} scroll={scroll} height={height} />;
}
