// The Overview: the process at a glance. Renders its props only.
import type { ReactNode } from 'react';
import { ScrollLines } from '../../components/Lines.js';
import { overviewLines, type OverviewInput } from './overviewLines.js';

export interface OverviewProps extends OverviewInput {
  scroll: number;
  height: number;
}

export function Overview(props: OverviewProps): ReactNode {
  return <ScrollLines lines={overviewLines(props)} scroll={props.scroll} height={props.height} />;
}
