// A one-line bar split into memory states (in use / free / top / not
// resident), proportional to their bytes.
import { Text } from 'ink';
import type { ReactNode } from 'react';
import { Styled } from '../theme.js';
import { apportion, cellGlyph, cellLabel, cellOrder, cellTone, type CellState } from './cells.js';

export interface FillSegment {
  state: CellState;
  bytes: number;
}

export interface FillBarProps {
  segments: FillSegment[];
  width: number;
}

export function FillBar({ segments, width }: FillBarProps): ReactNode {
  const cells = apportion(
    segments.map((s) => s.bytes),
    width,
  );
  const used = cells.reduce((s, c) => s + c, 0);
  return (
    <Text>
      {segments.map((s, i) =>
        cells[i]! > 0 ? (
          <Styled key={i} tone={cellTone[s.state]}>
            {cellGlyph[s.state].repeat(cells[i]!)}
          </Styled>
        ) : null,
      )}
      {used < width ? ' '.repeat(width - used) : ''}
    </Text>
  );
}

/** "█ in use  ▒ free  ░ top  · not resident" */
export function FillLegend({ states = cellOrder }: { states?: CellState[] }): ReactNode {
  return (
    <Text>
      {states.map((s, i) => (
        <Text key={s}>
          {i > 0 ? '  ' : ''}
          <Styled tone={cellTone[s]}>{cellGlyph[s]}</Styled> {cellLabel[s]}
        </Text>
      ))}
    </Text>
  );
}
