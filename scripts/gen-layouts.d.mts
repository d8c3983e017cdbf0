// Types for scripts/gen-layouts.mjs (imported by test/glibc/layouts-*.test.ts).
import type { FetchedGlibc } from './fetch-glibc.mjs';

/** One row of the layout table: glibc 2.<from>..2.<to>, every MallocLayout field but name. */
export interface TableRow {
  from: number;
  to: number;
  /** "dwarf:<Debian package version>" or "source-derived". */
  source: string;
  layout: Record<string, number>;
}
export const tableJsonPath: string;
export const tableHeaderPath: string;
/** The DWARF row of one fetched release (libc6-dbg via pahole, mp_'s defaults from libc's image, the rules). */
export function releaseRow(release: FetchedGlibc): TableRow;
/** The source-derived rows joined with these DWARF rows, checked for gaps and overlaps. */
export function assembleTable(dwarfRows: TableRow[]): TableRow[];
export function tableJsonText(rows: TableRow[]): string;
export function parseTableJson(text: string): TableRow[];
export function tableHeaderText(rows: TableRow[]): string;
export function generateLayoutFiles(options?: { log?: (message: string) => void }): Array<{ file: string; text: string }>;
