// Lists render only the rows on screen: the table asks for the rows of its
// window and no others, and the Regions view of a real process with 50,000
// mappings (many_maps) shows a screenful, moves with the keys, and reaches the
// last mapping /proc/PID/maps lists, with the cursor where the keys put it.
import { readFileSync } from 'node:fs';
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../helpers/targets.js';
import { App } from '../../src/tui/App.js';
import { Table, type TableRow } from '../../src/tui/components/Table.js';
import { fit } from '../../src/tui/text.js';
import { ThemeProvider } from '../../src/tui/theme.js';
import { hex } from '../../src/util/format.js';
import { plain, press, waitForFrame, type Rendered } from './helpers/ink.js';

function frame(element: ReactElement): string {
  const app = render(<ThemeProvider theme={{ color: false }}>{element}</ThemeProvider>);
  const out = plain(app.lastFrame());
  app.unmount();
  return out;
}

describe('Table', () => {
  it('of 50,000 rows builds and shows only the rows of its window', () => {
    const asked: number[] = [];
    const rowAt = (i: number): TableRow => {
      asked.push(i);
      return { key: String(i), cells: [`row-${i}`] };
    };
    const f = frame(<Table columns={[{ header: 'Name', width: 'flex' }]} count={50_000} rowAt={rowAt} selected={25_000} width={40} height={12} />).split('\n');
    // Header, 10 rows, the position line.
    expect(f).toHaveLength(12);
    expect(f[11]).toBe('  24996-25005 of 50000');
    expect(f.filter((l) => /^[› ] row-\d+/.test(l))).toHaveLength(10);
    expect(f).toContain('› row-25000');
    expect([...new Set(asked)].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, k) => 24_995 + k));
  });
});

describe('Regions of a process with 50,000 mappings', { timeout: 120_000 }, () => {
  let target: RunningTarget;
  let app: Rendered | null = null;
  beforeAll(async () => {
    target = await startTarget('many_maps', ['--maps', '50000']);
  }, 120_000);
  afterAll(async () => {
    app?.unmount();
    await target?.stop();
  });

  /** Mapping starts as /proc/PID/maps lists them (in address order). */
  function mapStarts(): number[] {
    return readFileSync(`/proc/${target.pid}/maps`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => parseInt(l.split('-')[0]!, 16));
  }

  const rowLines = (f: string): string[] => f.split('\n').filter((l) => /^[› ] 0x[0-9a-f]+/.test(l));
  /** A start as the 14-column Start column shows it ([vsyscall]'s 0xffffffffff600000 is cut). */
  const shown = (start: number): string => fit(hex(start), 14);
  const startsShown = (f: string): string[] => rowLines(f).map((l) => l.slice(2).split(' ')[0]!);
  const cursorAt = (f: string): string | null => /^› (\S+) /m.exec(f)?.[1] ?? null;

  it('shows a screenful of rows, and the keys reach the last mapping', async () => {
    const starts = mapStarts();
    expect(starts.length).toBeGreaterThanOrEqual(50_000);
    // One sample: the list, not the sampling, is under test.
    app = render(<App pid={target.pid} intervalSeconds={3600} freeze={false} size={{ columns: 100, rows: 30 }} theme={{ color: false }} initialView="regions" />);
    const a = app;
    const first = await waitForFrame(a, (f) => /\d+ of \d+ mappings/.test(f), 60_000);
    const total = Number(/(\d+) of \d+ mappings/.exec(first)![1]);
    expect(total).toBe(starts.length);
    // 30 rows: header 3, view 25 (filter line, table header, rows, position), status 1.
    expect(rowLines(first)).toHaveLength(22);
    expect(first).toContain(`  1-22 of ${total}`);
    expect(cursorAt(first)).toBe(shown(starts[0]!));

    await press(a, 'G');
    const last = await waitForFrame(a, (f) => cursorAt(f) === shown(starts[total - 1]!));
    expect(rowLines(last)).toHaveLength(22);
    expect(last).toContain(`  ${total - 21}-${total} of ${total}`);
    for (let k = 0; k < 3; k++) await press(a, 'k');
    const up = await waitForFrame(a, (f) => cursorAt(f) === shown(starts[total - 4]!));
    expect(startsShown(up)).toEqual(starts.slice(total - 22).map(shown));

    await press(a, 'g');
    const top = await waitForFrame(a, (f) => cursorAt(f) === shown(starts[0]!));
    expect(startsShown(top)).toEqual(starts.slice(0, 22).map(shown));
  });
});
