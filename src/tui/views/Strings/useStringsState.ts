// Strings view state: what to scan (selection, live/free, grep, redaction),
// the scan itself, and the scroll position over the results.
import { useCallback, useMemo, useState } from 'react';
import { defaultStringScanOptions, type ChunkFilter, type StringScanOptions } from '../../../model/strings.js';
import { stringSelectionOf, type TargetSelection } from '../../selection.js';
import { useStringScan, type ScanFunction, type StringScanRequest, type StringScanState } from '../../sampling/useStringScan.js';
import { useScroll, type ScrollState } from '../useScroll.js';
import { stringsLines } from './stringsLines.js';

const chunkFilters: ChunkFilter[] = ['all', 'live', 'free'];

export interface StringsState {
  scan: StringScanState;
  scroll: ScrollState;
  filter: ChunkFilter;
  grep: string;
  /** The grep text being typed; null when not editing. */
  draft: string | null;
  redact: boolean;
  cycleFilter(): void;
  toggleRedact(): void;
  startGrep(): void;
  setDraft(text: string): void;
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
  const [draft, setDraftText] = useState<string | null>(null);
  const [redact, setRedact] = useState(false);

  const request = useMemo<StringScanRequest | null>(() => {
    if (!active) return null;
    const options: StringScanOptions = { ...defaultStringScanOptions, top: 40, samples: 40, filter, redact, ...(grep ? { grep } : {}) };
    return { selection: stringSelectionOf(selection), options };
  }, [active, selection, filter, grep, redact]);
  const scan = useStringScan(pid, request, scanFunction);
  const lineCount = useMemo(() => stringsLines(scan.result, width).length, [scan.result, width]);
  const scroll = useScroll(lineCount, Math.max(1, height - stringsHeaderLines));

  const cycleFilter = useCallback(() => setFilter((f) => chunkFilters[(chunkFilters.indexOf(f) + 1) % chunkFilters.length]!), []);
  const toggleRedact = useCallback(() => setRedact((r) => !r), []);
  const startGrep = useCallback(() => setDraftText(grep), [grep]);
  const setDraft = useCallback((text: string) => setDraftText(text), []);
  const endGrep = useCallback(
    (keep: boolean) => {
      if (keep && draft !== null) setGrep(draft);
      setDraftText(null);
    },
    [draft],
  );
  const clearGrep = useCallback(() => setGrep(''), []);
  return { scan, scroll, filter, grep, draft, redact, cycleFilter, toggleRedact, startGrep, setDraft, endGrep, clearGrep, rescan: scan.rescan };
}
