// The classified region map. Renders its props only; the table builds the
// rows on screen and no others (a process can have tens of thousands of mappings).
import { Box, Text } from 'ink';
import { memo, useCallback, type ReactNode } from 'react';
import type { Region, RegionKind } from '../../../regions/kinds.js';
import { formatBytes, hex } from '../../../util/format.js';
import { Table, type TableColumn, type TableRow } from '../../components/Table.js';
import { Styled } from '../../theme.js';
import { regionDetail, type RegionSort } from './useRegionsState.js';

export interface RegionsProps {
  rows: Region[];
  total: number;
  selected: number;
  sort: RegionSort;
  kind: RegionKind | null;
  filter: string;
  editing: boolean;
  /** Some mapping of the process has transparent huge pages (smaps AnonHugePages): show the THP column. */
  thp: boolean;
  width: number;
  height: number;
}

const columns: TableColumn[] = [
  { header: 'Start', width: 14 },
  { header: 'Size', width: 9, align: 'right' },
  { header: 'RSS', width: 9, align: 'right' },
  { header: 'Perm', width: 4 },
  { header: 'Kind', width: 13 },
  { header: 'Detail', width: 'flex' },
];
// Resident bytes in transparent huge pages, after RSS (they are part of it).
const thpColumns: TableColumn[] = [...columns.slice(0, 3), { header: 'THP', width: 9, align: 'right' }, ...columns.slice(3)];

export function regionRow(r: Region, thp = false): TableRow {
  const size = [hex(r.start), formatBytes(r.size), formatBytes(r.rss)];
  const huge = thp ? [r.anonHugePages > 0 ? formatBytes(r.anonHugePages) : ''] : [];
  return {
    key: String(r.start),
    cells: [...size, ...huge, r.perms, r.kind, regionDetail(r)],
    tone: r.kind === 'arena-heap' || r.kind === 'main-heap' ? 'good' : undefined,
  };
}

function RegionsView({ rows, total, selected, sort, kind, filter, editing, thp, width, height }: RegionsProps): ReactNode {
  const rowAt = useCallback((i: number) => regionRow(rows[i]!, thp), [rows, thp]);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        {`sort ${sort}  kind ${kind ?? 'all'}  `}
        {editing ? (
          <Styled tone="accent" bold>{`filter /${filter}_`}</Styled>
        ) : (
          `filter ${filter ? '/' + filter : '-'}`
        )}
        <Styled tone="muted">{`   ${rows.length} of ${total} mappings`}</Styled>
      </Text>
      <Table columns={thp ? thpColumns : columns} count={rows.length} rowAt={rowAt} selected={rows.length ? selected : null} width={width} height={height - 1} empty="no mapping matches" />
    </Box>
  );
}

export const Regions = memo(RegionsView);
