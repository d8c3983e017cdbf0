// A fixed-width table with a cursor. Columns have fixed widths except one
// flexible column that takes what the terminal has left; the rows shown are a
// window that keeps the cursor visible.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { fit, padLeft, padRight } from '../text.js';
import { Styled, type Tone } from '../theme.js';

export interface TableColumn {
  header: string;
  /** Fixed width, or 'flex' for the one column that takes the remaining space. */
  width: number | 'flex';
  minWidth?: number;
  align?: 'left' | 'right';
}

/** A cell is text (fitted to the column) or a node already exactly as wide as the column. */
export type TableCell = string | { node: ReactNode };

export interface TableRow {
  key: string;
  cells: TableCell[];
  tone?: Tone;
}

export interface TableProps {
  columns: TableColumn[];
  rows: TableRow[];
  /** Cursor row, or null for a table without a cursor. */
  selected: number | null;
  width: number;
  /** Lines available including the header and the position line. */
  height: number;
  empty?: string;
}

const gutter = 2;

export function resolveWidths(columns: TableColumn[], width: number): number[] {
  const fixed = columns.reduce((s, c) => s + (c.width === 'flex' ? 0 : c.width), 0);
  const seps = Math.max(0, columns.length - 1);
  const flexCount = columns.filter((c) => c.width === 'flex').length;
  const rest = Math.max(0, width - gutter - fixed - seps);
  return columns.map((c) => (c.width === 'flex' ? Math.max(c.minWidth ?? 4, Math.floor(rest / Math.max(1, flexCount))) : c.width));
}

/** First row of the window that keeps `selected` visible, centred when possible. */
export function windowStart(selected: number | null, count: number, visible: number): number {
  if (count <= visible || selected === null) return 0;
  return Math.min(Math.max(0, selected - Math.floor(visible / 2)), count - visible);
}

export function Table({ columns, rows, selected, width, height, empty }: TableProps): ReactNode {
  const widths = resolveWidths(columns, width);
  const render = (cells: TableCell[]): ReactNode[] =>
    cells.map((cell, i) => {
      const w = widths[i]!;
      const sep = i > 0 ? ' ' : '';
      if (typeof cell === 'string') {
        const text = columns[i]!.align === 'right' ? padLeft(cell, w) : padRight(cell, w);
        return <Text key={i}>{sep + text}</Text>;
      }
      return (
        <Text key={i}>
          {sep}
          {cell.node}
        </Text>
      );
    });
  const headerCells = columns.map((c) => c.header);
  const needsPosition = rows.length > height - 1;
  const visible = Math.max(1, height - 1 - (needsPosition ? 1 : 0));
  const start = windowStart(selected, rows.length, visible);
  const shown = rows.slice(start, start + visible);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Styled bold tone="accent">
          {'  '}
          {headerCells.map((h, i) => (i > 0 ? ' ' : '') + (columns[i]!.align === 'right' ? padLeft(h, widths[i]!) : padRight(h, widths[i]!))).join('')}
        </Styled>
      </Text>
      {rows.length === 0 ? (
        <Text wrap="truncate">
          <Styled tone="muted">{'  ' + fit(empty ?? '(nothing to show)', width - 2)}</Styled>
        </Text>
      ) : null}
      {shown.map((row, i) => {
        const isSelected = selected === start + i;
        return (
          <Text key={row.key} wrap="truncate">
            <Styled tone={isSelected ? 'accent' : undefined} bold={isSelected}>
              {isSelected ? '› ' : '  '}
            </Styled>
            <Styled tone={row.tone} inverse={isSelected}>
              {render(row.cells)}
            </Styled>
          </Text>
        );
      })}
      {needsPosition ? (
        <Text wrap="truncate">
          <Styled tone="muted">{`  ${start + 1}-${start + shown.length} of ${rows.length}`}</Styled>
        </Text>
      ) : null}
    </Box>
  );
}
