// One arena in detail. Renders its props only (the lines come from
// useArenaDetailState, built once per snapshot).
import { Text } from 'ink';
import { memo, type ReactNode } from 'react';
import { hex } from '../../../util/format.js';
import { ScrollLines, type Line } from '../../components/Lines.js';
import { Styled } from '../../theme.js';

export interface ArenaDetailProps {
  /** null when the arena is no longer in the snapshot. */
  lines: Line[] | null;
  /** The address that was opened, for the message when it is gone. */
  address: number;
  scroll: number;
  height: number;
}

export const ArenaDetail = memo(function ArenaDetail({ lines, address, scroll, height }: ArenaDetailProps): ReactNode {
  if (!lines) {
    return (
      <Text wrap="truncate">
        <Styled tone="warn">{`arena ${hex(address)} is not in the current snapshot`}</Styled>
      </Text>
    );
  }
  return <ScrollLines lines={lines} scroll={scroll} height={height} />;
});
