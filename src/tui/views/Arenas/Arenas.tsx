// One row per arena: how its reserved space splits into in use, free, top and
// not resident, with top chunk, threads, RSS and growth; the arenas holding
// the most memory or growing the most are marked. Renders its props only.
import { Box, Text } from 'ink';
import { memo, useCallback, useMemo, type ReactNode } from 'react';
import { formatBytes, hex } from '../../../util/format.js';
import { FillBar, FillLegend } from '../../components/FillBar.js';
import { resolveWidths, Table, type TableColumn, type TableRow } from '../../components/Table.js';
import { signedBytes } from '../../text.js';
import { Styled } from '../../theme.js';
import type { ArenaRow, ArenaSort } from './useArenasState.js';

export interface ArenasProps {
  rows: ArenaRow[];
  selected: number;
  sort: ArenaSort;
  /** Why there are no arenas (engine error, not glibc), shown instead of the table. */
  unavailable: string | null;
  width: number;
  height: number;
}

function columnsFor(width: number): TableColumn[] {
  const wide = width >= 110;
  return [
    { header: '!', width: 1 },
    { header: 'Arena', width: 14 },
    { header: 'Fill', width: 'flex', minWidth: 10 },
    ...(wide
      ? [
          { header: 'In use', width: 9, align: 'right' as const },
          { header: 'Free', width: 9, align: 'right' as const },
        ]
      : []),
    { header: 'Top', width: 9, align: 'right' },
    { header: 'Thr', width: 3, align: 'right' },
    { header: 'RSS', width: 9, align: 'right' },
    { header: 'Growth', width: 9, align: 'right' },
  ];
}

export function fillSegments(row: ArenaRow): Array<{ state: 'used' | 'free' | 'top' | 'unmapped'; bytes: number }> {
  const a = row.arena;
  const used = a.inUse.bytes + a.internal.bytes + a.overhead;
  // Reserved address space beyond system_mem is PROT_NONE: it cannot be resident.
  const notMapped = Math.max(0, row.reserved - (used + row.free + a.top.size));
  return [
    { state: 'used', bytes: used },
    { state: 'free', bytes: row.free },
    { state: 'top', bytes: a.top.size },
    { state: 'unmapped', bytes: notMapped },
  ];
}

function ArenasView({ rows, selected, sort, unavailable, width, height }: ArenasProps): ReactNode {
  const columns = useMemo(() => columnsFor(width), [width]);
  const barWidth = resolveWidths(columns, width)[2]!;
  const wide = columns.length > 7;
  // Only the rows on screen are built (a process can have hundreds of arenas).
  const rowAt = useCallback(
    (i: number): TableRow => {
      const r = rows[i]!;
      const a = r.arena;
      return {
        key: String(a.address),
        tone: r.suspicious ? 'warn' : undefined,
        cells: [
          r.suspicious ? '*' : ' ',
          a.main ? 'main' : hex(a.address),
          { node: <FillBar width={barWidth} segments={fillSegments(r)} /> },
          ...(wide ? [formatBytes(a.inUse.bytes), formatBytes(r.free)] : []),
          formatBytes(a.top.size),
          a.attachedThreads === null ? '?' : String(a.attachedThreads),
          formatBytes(a.rss),
          signedBytes(r.growth.rss, formatBytes),
        ],
      };
    },
    [rows, barWidth, wide],
  );
  const marked = useMemo(() => rows.filter((r) => r.suspicious).length, [rows]);
  if (unavailable !== null) {
    return (
      <Text wrap="truncate">
        <Styled tone="warn">{`arenas unavailable: ${unavailable}`}</Styled>
      </Text>
    );
  }
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        {`${rows.length} arenas  sort ${sort}  `}
        <Styled tone="warn">{marked ? `* ${marked} holding the most or growing fastest` : ''}</Styled>
      </Text>
      <Table columns={columns} count={rows.length} rowAt={rowAt} selected={rows.length ? selected : null} width={width} height={height - 2} empty="no arenas in this snapshot" />
      <Text wrap="truncate">
        <FillLegend />
      </Text>
    </Box>
  );
}

export const Arenas = memo(ArenasView);
