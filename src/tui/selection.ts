// What the user has selected for the Strings and Dump views: the arena or the
// region under the cursor of the last list they used.
import type { ArenaSnapshot } from '../model/snapshot.js';
import type { StringSelection } from '../model/strings.js';
import type { Region } from '../regions/kinds.js';
import { formatBytes, hex } from '../util/format.js';

export type TargetSelection =
  | { kind: 'arena'; address: number; main: boolean; heaps: Array<{ start: number; end: number }> }
  | { kind: 'region'; start: number; end: number; regionKind: string };

export function selectionOfArena(a: ArenaSnapshot): TargetSelection {
  return { kind: 'arena', address: a.address, main: a.main, heaps: a.heaps.map((h) => ({ start: h.start, end: h.start + h.size })) };
}

export function selectionOfRegion(r: Region): TargetSelection {
  return { kind: 'region', start: r.start, end: r.end, regionKind: r.kind };
}

export function describeSelection(s: TargetSelection | null): string {
  if (s === null) return 'all arena heaps';
  if (s.kind === 'arena') return `${s.main ? 'main arena' : 'arena'} ${hex(s.address)}`;
  return `${s.regionKind} region ${hex(s.start)}-${hex(s.end)}`;
}

export function stringSelectionOf(s: TargetSelection | null): StringSelection {
  if (s === null) return { kind: 'default' };
  if (s.kind === 'arena') return { kind: 'arena', address: s.address };
  return { kind: 'region', address: s.start };
}

export interface DumpTarget {
  label: string;
  start: number;
  end: number;
}

/** The ranges the Dump view offers: each heap of an arena, or the region. */
export function dumpTargetsOf(s: TargetSelection | null): DumpTarget[] {
  if (s === null) return [];
  if (s.kind === 'region') return [{ label: `${s.regionKind} ${hex(s.start)}-${hex(s.end)} (${formatBytes(s.end - s.start)})`, start: s.start, end: s.end }];
  return s.heaps
    .filter((h) => h.end > h.start)
    .map((h, i) => ({ label: `${s.main ? 'main arena' : 'arena'} heap ${i + 1}/${s.heaps.length} ${hex(h.start)}-${hex(h.end)} (${formatBytes(h.end - h.start)})`, start: h.start, end: h.end }));
}
