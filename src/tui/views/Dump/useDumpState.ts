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
import { track } from '../../pendingWork.js';
import { useTextField, type TextField } from '../../useTextField.js';

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
  draftField: TextField;
  job: DumpJob;
  choose(to: (current: number) => number): void;
  startEdit(): void;
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
  const [editing, setEditing] = useState(false);
  const draftField = useTextField('');
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
  // start() may run before the render that follows an edit or a move: it reads these.
  const latest = useRef({ path, target });
  latest.current = { path, target };

  const choose = useCallback((to: (current: number) => number) => setChosen((c) => Math.max(0, Math.min(to(c), targets.length - 1))), [targets]);
  const startEdit = useCallback(() => {
    draftField.set(path);
    setEditing(true);
  }, [path, draftField]);
  const endEdit = useCallback(
    (keep: boolean) => {
      const text = draftField.current().trim();
      if (keep && text !== '') {
        setCustomPath(text);
        latest.current = { ...latest.current, path: text };
      }
      setEditing(false);
    },
    [draftField],
  );
  const start = useCallback(() => {
    const { path, target } = latest.current;
    if (!target || job.phase === 'running') return;
    const startedAt = Date.now();
    const total = target.end - target.start;
    let last = 0;
    setJob({ phase: 'running', target, path, done: 0, total, startedAt, at: startedAt });
    // Tracked, not cancelled: leaving the view keeps writing the file the user asked for.
    track(
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
      }),
    ).then(
      (record) => {
        if (mounted.current) setJob({ phase: 'done', target, record });
      },
      (err: unknown) => {
        if (mounted.current) setJob({ phase: 'error', target, path, message: toArenascopeError(err, { pid }).message });
      },
    );
  }, [job.phase, pid, freeze, dump]);

  const draft = editing ? draftField.value : null;
  return { targets, chosen: Math.min(chosen, Math.max(0, targets.length - 1)), path, draft, draftField, job, choose, startEdit, endEdit, start };
}
