// One arena in detail. Renders its props only.
import { Text } from 'ink';
import type { ReactNode } from 'react';
import { hex } from '../../../util/format.js';
import { ScrollLines } from '../../components/Lines.js';
import { Styled } from '../../theme.js';
import { arenaDetailLines, type ArenaDetailInput } from './arenaDetailLines.js';

export interface ArenaDetailProps extends Omit<ArenaDetailInput, 'arena'> {
  /** null when the arena is no longer in the snapshot. */
  arena: ArenaDetailInput['arena'] | null;
  /** The address that was opened, for the message when it is gone. */
  address: number;
  scroll: number;
  height: number;
}

export function ArenaDetail(props: ArenaDetailProps): ReactNode {
  if (!props.arena) {
    return (
      <Text wrap="truncate">
        <Styled tone="warn">{`arena ${hex(props.address)} is not in the current snapshot`}</Styled>
      </Text>
    );
  }
  return <ScrollLines lines={arenaDetailLines({ ...props, arena: props.arena })} scroll={props.scroll} height={props.height} />;
}
