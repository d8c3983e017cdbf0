// How memory states look in bars and the heap map: a glyph that works without
// colour, and a colour tone for terminals that have it.
import type { Tone } from '../theme.js';

export type CellState = 'used' | 'free' | 'top' | 'unmapped';

export const cellGlyph: Record<CellState, string> = {
  used: '█',
  free: '▒',
  top: '░',
  unmapped: '·',
};

export const cellTone: Record<CellState, Tone> = {
  used: 'used',
  free: 'free',
  top: 'top',
  unmapped: 'unmapped',
};

export const cellLabel: Record<CellState, string> = {
  used: 'in use',
  free: 'free',
  top: 'top',
  unmapped: 'not resident',
};

export const cellOrder: CellState[] = ['used', 'free', 'top', 'unmapped'];

/**
 * Splits width cells among values in proportion (largest remainder), giving
 * every non-zero value at least one cell while there is room.
 */
export function apportion(values: number[], width: number): number[] {
  const total = values.reduce((s, v) => s + Math.max(0, v), 0);
  if (total <= 0 || width <= 0) return values.map(() => 0);
  const exact = values.map((v) => (Math.max(0, v) / total) * width);
  const cells = exact.map(Math.floor);
  let left = width - cells.reduce((s, c) => s + c, 0);
  const byRemainder = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r);
  for (const { i } of byRemainder) {
    if (left <= 0) break;
    cells[i]!++;
    left--;
  }
  // A visible sliver for every non-zero value, taken from the largest share.
  for (let i = 0; i < values.length; i++) {
    if (values[i]! > 0 && cells[i] === 0) {
      const donor = cells.indexOf(Math.max(...cells));
      if (cells[donor]! > 1) {
        cells[donor]!--;
        cells[i] = 1;
      }
    }
  }
  return cells;
}
