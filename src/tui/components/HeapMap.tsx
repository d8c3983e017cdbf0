// An arena's heaps drawn as cells, each cell one equal slice of address space
// showing what it holds. The cells come from the arena walk (one arena's heap
// map per sample, asked for by the arena detail); there is nothing truthful
// to draw without it, and the map says so. When there are
// more cells than fit, neighbouring cells are merged and the merged cell shows
// the state most of them have.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { Styled } from '../theme.js';
import { cellGlyph, cellLabel, cellOrder, cellTone, type CellState } from './cells.js';
import { text, type Line } from './Lines.js';

export interface HeapMapData {
  cells: CellState[];
}

export const heapMapMissingNote = 'heap map not in this snapshot yet (it comes with the next sample)';

/** At most maxCells cells, each the majority state of the cells it stands for. */
export function downsampleCells(cells: CellState[], maxCells: number): { cells: CellState[]; perCell: number } {
  if (cells.length <= maxCells) return { cells, perCell: 1 };
  const perCell = Math.ceil(cells.length / maxCells);
  const out: CellState[] = [];
  for (let i = 0; i < cells.length; i += perCell) {
    const counts = new Map<CellState, number>();
    for (const c of cells.slice(i, i + perCell)) counts.set(c, (counts.get(c) ?? 0) + 1);
    let best: CellState = cells[i]!;
    for (const s of cellOrder) if ((counts.get(s) ?? 0) > (counts.get(best) ?? 0)) best = s;
    out.push(best);
  }
  return { cells: out, perCell };
}

/** The map as lines: rows of cells, then a legend line. */
export function heapMapLines(heapMap: HeapMapData | undefined, width: number, maxRows: number): Line[] {
  if (!heapMap || heapMap.cells.length === 0) return [[text(heapMapMissingNote, 'muted')]];
  const perRow = Math.max(1, width);
  const { cells, perCell } = downsampleCells(heapMap.cells, perRow * Math.max(1, maxRows));
  const lines: Line[] = [];
  for (let i = 0; i < cells.length; i += perRow) {
    const line: Line = [];
    let run: { state: CellState; count: number } | null = null;
    for (const c of cells.slice(i, i + perRow)) {
      if (run && run.state === c) run.count++;
      else {
        if (run) line.push(text(cellGlyph[run.state].repeat(run.count), cellTone[run.state]));
        run = { state: c, count: 1 };
      }
    }
    if (run) line.push(text(cellGlyph[run.state].repeat(run.count), cellTone[run.state]));
    lines.push(line);
  }
  const legend: Line = [];
  cellOrder.forEach((s, i) => {
    legend.push(text(`${i ? '  ' : ''}`), text(cellGlyph[s], cellTone[s]), text(` ${cellLabel[s]}`));
  });
  legend.push(text(perCell > 1 ? `   (1 cell = ${perCell} engine cells)` : '', 'muted'));
  lines.push(legend);
  return lines;
}

export interface HeapMapProps {
  heapMap?: HeapMapData;
  width: number;
  height: number;
}

export function HeapMap({ heapMap, width, height }: HeapMapProps): ReactNode {
  const lines = heapMapLines(heapMap, width, Math.max(1, height - 1));
  return (
    <Box flexDirection="column">
      {lines.map((line, r) => (
        <Text key={r} wrap="truncate">
          {line.map((seg, i) => ('text' in seg ? <Styled key={i} tone={seg.tone}>{seg.text}</Styled> : null))}
        </Text>
      ))}
    </Box>
  );
}
