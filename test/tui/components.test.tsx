// The building blocks with small, exact props: bars, tables, the progress bar,
// the header, and the text field keys.
import { render } from 'ink-testing-library';
import type { Key } from 'ink';
import type { ReactElement } from 'react';
import { describe, expect, it } from 'vitest';
import { apportion } from '../../src/tui/components/cells.js';
import { FillBar } from '../../src/tui/components/FillBar.js';
import { Header } from '../../src/tui/components/Header.js';
import { ProgressBar } from '../../src/tui/components/ProgressBar.js';
import { Table, windowStart } from '../../src/tui/components/Table.js';
import { editText, moveCursor } from '../../src/tui/input.js';
import { hintsFor } from '../../src/tui/keys.js';
import { ThemeProvider } from '../../src/tui/theme.js';
import { fit, wrapWords } from '../../src/tui/text.js';
import { plain } from './helpers/ink.js';

function frame(element: ReactElement): string {
  const app = render(<ThemeProvider theme={{ color: false }}>{element}</ThemeProvider>);
  const out = plain(app.lastFrame());
  app.unmount();
  return out;
}

const noKey: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

describe('FillBar', () => {
  it('splits the width in proportion, every non-zero part visible', () => {
    expect(apportion([50, 25, 25, 0], 20)).toEqual([10, 5, 5, 0]);
    expect(apportion([1000, 1, 0, 0], 10)).toEqual([9, 1, 0, 0]);
    expect(apportion([0, 0], 10)).toEqual([0, 0]);
    const parts = apportion([3, 3, 3], 10);
    expect(parts.reduce((s, p) => s + p, 0)).toBe(10);
    expect(
      frame(
        <FillBar
          width={20}
          segments={[
            { state: 'used', bytes: 10 },
            { state: 'free', bytes: 5 },
            { state: 'top', bytes: 3 },
            { state: 'unmapped', bytes: 2 },
          ]}
        />,
      ),
    ).toBe('██████████▒▒▒▒▒░░░··');
  });
});

describe('Table', () => {
  const columns = [
    { header: 'Name', width: 'flex' as const },
    { header: 'Size', width: 6, align: 'right' as const },
  ];
  const rows = Array.from({ length: 30 }, (_, i) => ({ key: String(i), cells: [`row-${i}`, String(i * 10)] }));

  it('keeps the cursor in the window and says which rows it shows', () => {
    const f = frame(<Table columns={columns} count={rows.length} rowAt={(i) => rows[i]!} selected={20} width={30} height={7} />).split('\n');
    expect(f[0]).toBe('  Name                    Size');
    expect(f).toContain('› row-20                   200');
    expect(f[f.length - 1]).toBe('  19-23 of 30');
    expect(windowStart(0, 30, 5)).toBe(0);
    expect(windowStart(29, 30, 5)).toBe(25);
    expect(windowStart(null, 30, 5)).toBe(0);
  });

  it('cuts long cells with an ellipsis and shows the empty message', () => {
    expect(frame(<Table columns={columns} count={1} rowAt={() => ({ key: 'x', cells: ['a-very-long-name-that-does-not-fit', '1'] })} selected={0} width={20} height={4} />)).toContain(
      '› a-very-lon…      1',
    );
    expect(frame(<Table columns={columns} count={0} rowAt={(i) => rows[i]!} selected={null} width={30} height={4} empty="nothing here" />)).toContain('nothing here');
  });
});

describe('ProgressBar', () => {
  it('shows percent, bytes and rate', () => {
    const f = frame(<ProgressBar done={1024 * 1024} total={2 * 1024 * 1024} elapsedMs={500} width={60} />);
    expect(f).toMatch(/^\[#+-+\]  50%  1\.00 MiB \/ 2\.00 MiB  2\.00 MiB\/s$/);
    expect(f.length).toBeLessThanOrEqual(60);
  });
});

describe('Header', () => {
  const base = { pid: 42, comm: 'demo-target', paused: false, freeze: false, gone: false, busy: false, intervalSeconds: 2, width: 80 };
  it('names the view, marks the tab, shows the hints and the sampling state', () => {
    const f = frame(<Header {...base} view="arenaDetail" tabView="arenas" hints={hintsFor('arenas')} />).split('\n');
    expect(f[0]).toMatch(/^arenascope · pid 42 demo-target · Arena detail +◇ every 2s$/);
    expect(f[1]).toContain('[Arenas]');
    expect(f[1]).toContain('› Arena detail');
    expect(f[2]).toMatch(/^⏎ open  s sort  \? help  q quit  Tab view/);
    expect(frame(<Header {...base} view="overview" tabView="overview" paused hints={[]} />)).toMatch(/PAUSED/);
    expect(frame(<Header {...base} view="overview" tabView="overview" gone hints={[]} />)).toMatch(/TARGET GONE/);
  });
});

describe('keys', () => {
  it('edits a text field: typing, paste, backspace, Ctrl-U, Enter, Esc', () => {
    expect(editText('ab', 'c', noKey)).toEqual({ text: 'abc', done: null });
    expect(editText('ab', '/tmp/x y', noKey)).toEqual({ text: 'ab/tmp/x y', done: null });
    expect(editText('abc', '', { ...noKey, backspace: true })).toEqual({ text: 'ab', done: null });
    expect(editText('abc', 'u', { ...noKey, ctrl: true })).toEqual({ text: '', done: null });
    expect(editText('abc', '', { ...noKey, return: true })).toEqual({ text: 'abc', done: 'accept' });
    expect(editText('abc', '', { ...noKey, escape: true })).toEqual({ text: 'abc', done: 'cancel' });
    expect(editText('a', '\u0007b', noKey)).toEqual({ text: 'ab', done: null });
  });

  it('moves a cursor within bounds', () => {
    expect(moveCursor('j', noKey, 0, 10, 5)).toBe(1);
    expect(moveCursor('k', noKey, 0, 10, 5)).toBe(0);
    expect(moveCursor('', { ...noKey, pageDown: true }, 0, 10, 5)).toBe(4);
    expect(moveCursor('G', noKey, 0, 10, 5)).toBe(9);
    expect(moveCursor('x', noKey, 3, 10, 5)).toBeNull();
  });
});

describe('text', () => {
  it('fits and wraps', () => {
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('abc', 4)).toBe('abc');
    expect(wrapWords('one two three four', 9)).toEqual(['one two', 'three', 'four']);
  });
});
