// A fixed-width table with a cursor. Columns have fixed widths except one
// flexible column that takes what the terminal has left; the rows shown are a
// window that keeps the cursor visible. The table is virtual: it asks for the
// rows of that window only (rowAt), so a key press costs the same with 50
// rows as with 50,000, and no row object exists for a row off screen.
import { Box, Text } from 'ink';
import { memo, type ReactNode } from 'react';
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
  /** How many rows there are. */
  count: number;
  /** Row i (0 <= i < count); called only for the rows in the window shown. */
  rowAt(i: number): TableRow;
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

function TableView({ columns, count, rowAt, selected, width, height, empty }: TableProps): ReactNode {
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
  const needsPosition = count > height - 1;
  const visible = Math.max(1, height - 1 - (needsPosition ? 1 : 0));
  const start = windowStart(selected, count, visible);
  const shown: TableRow[] = [];
  for (let i = start; i < Math.min(count, start + visible); i++) shown.push(rowAt(i));
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Styled bold tone="accent">
          {'  '}
          {headerCells.map((h, i) => (i > 0 ? ' ' : '') + (columns[i]!.align === 'right' ? padLeft(h, widths[i]!) : padRight(h, widths[i]!))).join('')}
        </Styled>
      </Text>
      {count === 0 ? (
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
          <Styled tone="muted">{`  ${start + 1}-${start + shown.length} of ${count}`}</Styled>
        </Text>
      ) : null}
    </Box>
  );
}

/** Re-renders only when its props change (callers keep rowAt stable with useCallback). */
export const Table = memo(TableView);
