// Dump view state: which range to dump (a heap of the selected arena, or the
// selected region), the output path (editable), and the running or finished
// dump. dumpRange streams in the addon's worker thread; its progress arrives
// here and is redrawn at most ten times a second.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { dumpRange, type DumpRecord, type DumpRequest } from '../../../commands/dump.js';
import { toArenascopeError } from '../../../errors.js';
import { hex } from '../../../util/format.js';
import { dumpTargetsOf, type DumpTarget, type TargetSelection } from '../../selection.js';
import { join } from 'node:path';

export type DumpJob =
  | { phase: 'idle' }
  | { phase: 'running'; target: DumpTarget; path: string; done: number; total: number; startedAt: number; at: number }
  | { phase: 'done'; target: DumpTarget; record: DumpRecord }
  | { phase: 'error'; target: DumpTarget; path: string; message: string };

export interface DumpState {
  targets: DumpTarget[];
  chosen: number;
  path: string;
  /** The path being typed; null when not editing. */
  draft: string | null;
  job: DumpJob;
  choose(index: number): void;
  startEdit(): void;
  setDraft(text: string): void;
  endEdit(keep: boolean): void;
  start(): void;
}

export type DumpFunction = (req: DumpRequest) => Promise<DumpRecord>;

export function defaultDumpPath(pid: number, target: DumpTarget | undefined, dir = process.cwd()): string {
  return join(dir, target ? `arenascope-${pid}-${hex(target.start)}.bin` : `arenascope-${pid}.bin`);
}

const progressEveryMs = 100;

export function useDumpState(pid: number, selection: TargetSelection | null, freeze: boolean, dump: DumpFunction = dumpRange): DumpState {
  const targets = useMemo(() => dumpTargetsOf(selection), [selection]);
  const [chosen, setChosen] = useState(0);
  const [customPath, setCustomPath] = useState<string | null>(null);
  const [draft, setDraftText] = useState<string | null>(null);
  const [job, setJob] = useState<DumpJob>({ phase: 'idle' });
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  // A new selection starts at its first range; the same arena growing keeps the choice.
  const selectionKey = selection === null ? '' : selection.kind === 'arena' ? `a${selection.address}` : `r${selection.start}`;
  useEffect(() => setChosen(0), [selectionKey]);

  const target = targets[Math.min(chosen, Math.max(0, targets.length - 1))];
  const path = customPath ?? defaultDumpPath(pid, target);

  const choose = useCallback((index: number) => setChosen(Math.max(0, Math.min(index, targets.length - 1))), [targets]);
  const startEdit = useCallback(() => setDraftText(path), [path]);
  const setDraft = useCallback((text: string) => setDraftText(text), []);
  const endEdit = useCallback(
    (keep: boolean) => {
      if (keep && draft !== null && draft.trim() !== '') setCustomPath(draft.trim());
      setDraftText(null);
    },
    [draft],
  );
  const start = useCallback(() => {
    if (!target || job.phase === 'running') return;
    const startedAt = Date.now();
    const total = target.end - target.start;
    let last = 0;
    setJob({ phase: 'running', target, path, done: 0, total, startedAt, at: startedAt });
    dump({
      pid,
      start: target.start,
      end: target.end,
      output: path,
      freeze,
      onProgress: (done) => {
        const now = Date.now();
        if (!mounted.current || (now - last < progressEveryMs && done < total)) return;
        last = now;
        setJob((j) => (j.phase === 'running' ? { ...j, done, at: now } : j));
      },
    }).then(
      (record) => {
        if (mounted.current) setJob({ phase: 'done', target, record });
      },
      (err: unknown) => {
        if (mounted.current) setJob({ phase: 'error', target, path, message: toArenascopeError(err, { pid }).message });
      },
    );
  }, [target, job.phase, path, pid, freeze, dump]);

  return { targets, chosen: Math.min(chosen, Math.max(0, targets.length - 1)), path, draft, job, choose, startEdit, setDraft, endEdit, start };
}
