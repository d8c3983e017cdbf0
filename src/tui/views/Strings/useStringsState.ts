// Strings view state: what to scan (selection, live/free, grep, redaction),
// the scan itself, and the scroll position over the results.
import { useCallback, useMemo, useState } from 'react';
import { defaultStringScanOptions, type ChunkFilter, type StringScanOptions } from '../../../model/strings.js';
import { stringSelectionOf, type TargetSelection } from '../../selection.js';
import { useStringScan, type ScanFunction, type StringScanRequest, type StringScanState } from '../../sampling/useStringScan.js';
import { useScroll, type ScrollState } from '../useScroll.js';
import { useTextField, type TextField } from '../../useTextField.js';
import type { Line } from '../../components/Lines.js';
import { stringsLines } from './stringsLines.js';

const chunkFilters: ChunkFilter[] = ['all', 'live', 'free'];

export interface StringsState {
  scan: StringScanState;
  /** The result as lines, built once per result (and size). */
  lines: Line[];
  scroll: ScrollState;
  filter: ChunkFilter;
  grep: string;
  /** The grep text being typed; null when not editing. */
  draft: string | null;
  draftField: TextField;
  redact: boolean;
  cycleFilter(): void;
  toggleRedact(): void;
  startGrep(): void;
  endGrep(keep: boolean): void;
  clearGrep(): void;
  rescan(): void;
}

export const stringsHeaderLines = 3;

export function useStringsState(
  pid: number,
  selection: TargetSelection | null,
  active: boolean,
  width: number,
  height: number,
  scanFunction?: ScanFunction,
): StringsState {
  const [filter, setFilter] = useState<ChunkFilter>('all');
  const [grep, setGrep] = useState('');
  const [editing, setEditing] = useState(false);
  const draftField = useTextField('');
  const [redact, setRedact] = useState(false);

  const request = useMemo<StringScanRequest | null>(() => {
    if (!active) return null;
    const options: StringScanOptions = { ...defaultStringScanOptions, top: 40, samples: 40, filter, redact, ...(grep ? { grep } : {}) };
    return { selection: stringSelectionOf(selection), options };
  }, [active, selection, filter, grep, redact]);
  const scan = useStringScan(pid, request, scanFunction);
  const linesHeight = Math.max(1, height - stringsHeaderLines);
  const lines = useMemo(() => stringsLines(scan.result, width, linesHeight), [scan.result, width, linesHeight]);
  const scroll = useScroll(lines.length, linesHeight);

  const cycleFilter = useCallback(() => setFilter((f) => chunkFilters[(chunkFilters.indexOf(f) + 1) % chunkFilters.length]!), []);
  const toggleRedact = useCallback(() => setRedact((r) => !r), []);
  const startGrep = useCallback(() => {
    draftField.set(grep);
    setEditing(true);
  }, [grep, draftField]);
  const endGrep = useCallback(
    (keep: boolean) => {
      if (keep) setGrep(draftField.current());
      setEditing(false);
    },
    [draftField],
  );
  const clearGrep = useCallback(() => setGrep(''), []);
  const draft = editing ? draftField.value : null;
  return { scan, lines, scroll, filter, grep, draft, draftField, redact, cycleFilter, toggleRedact, startGrep, endGrep, clearGrep, rescan: scan.rescan };
}
