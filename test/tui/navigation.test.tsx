// The whole App against a live demo target: views, Tab/Esc/?/Enter, pause,
// filters and sorting, sizes, the target disappearing.
import { readFileSync } from 'node:fs';
import { render } from 'ink-testing-library';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sampleProcess } from '../../src/engine/sample.js';
import { App } from '../../src/tui/App.js';
import { startDemo, waitUntil, type RunningDemo } from './helpers/demoTarget.js';
import { frameOf, keys, press, type, waitForFrame, waitForText, type Rendered } from './helpers/ink.js';

let demo: RunningDemo;
let app: Rendered | null = null;

beforeAll(async () => {
  demo = await startDemo();
}, 120_000);
afterAll(async () => {
  await demo.stop();
});
afterEach(() => {
  app?.unmount();
  app = null;
});

// These tests count samples; the CPU budget (test/tui/budget.test.ts, cpu-budget.test.ts)
// would stretch the interval by what each sample costs on a loaded machine, so it is a whole core here.
function open(extra: Partial<Parameters<typeof App>[0]> = {}): Rendered {
  app = render(<App pid={demo.pid} intervalSeconds={0.2} cpuBudget={1} freeze={false} size={{ columns: 100, rows: 30 }} theme={{ color: false }} {...extra} />);
  return app;
}

/** The [heap] mapping's start, read from /proc independently of arenascope. */
function heapStart(pid: number): string {
  const line = readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .find((l) => l.endsWith('[heap]'))!;
  return '0x' + line.split('-')[0]!.replace(/^0+/, '');
}

/** Table rows of the Regions view: [start, size, rss, perms, kind, detail]. */
function regionRows(frame: string): string[][] {
  return frame
    .split('\n')
    .filter((l) => /^[› ] 0x[0-9a-f]+ /.test(l))
    .map((l) => l.slice(2).trim().split(/\s{1,}/));
}

const unitBytes: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
function bytesOf(value: string, unit: string): number {
  return Number(value) * unitBytes[unit]!;
}

/** The real sampleProcess, counting the samples it starts and finishes. */
function countingSampler(): { sample: typeof sampleProcess; started: () => number; finished: () => number } {
  let started = 0;
  let finished = 0;
  const sample: typeof sampleProcess = async (pid, options) => {
    started++;
    try {
      return await sampleProcess(pid, options);
    } finally {
      finished++;
    }
  };
  return { sample, started: () => started, finished: () => finished };
}

describe('views and navigation', { timeout: 120_000 }, () => {
  it('opens on the Overview of the process', async () => {
    const a = open();
    const frame = await waitForText(a, 'Threads');
    expect(frame).toContain(`pid ${demo.pid} demo-target`);
    expect(frame).toContain('[Overview]');
    const threads = Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${demo.pid}/status`, 'utf8'))![1]);
    expect(frame).toMatch(new RegExp(`^Threads\\s+${threads}\\b`, 'm'));
    expect(threads).toBe(demo.threads + 1);
  });

  it('Tab and Shift-Tab cycle the views; ? toggles help; Esc goes back', async () => {
    const a = open();
    await waitForText(a, 'Threads');
    for (const view of ['Regions', 'Arenas', 'Strings', 'Dump', 'Overview']) {
      await press(a, keys.tab);
      await waitForText(a, `[${view}]`);
    }
    await press(a, keys.shiftTab);
    await waitForText(a, '[Dump]');
    await press(a, '?');
    const help = await waitForText(a, '› Help');
    expect(help).toMatch(/^\s+p\s+pause \/ resume sampling/m);
    expect(help).toMatch(/^\s+q  Ctrl-C\s+quit/m);
    await press(a, '?');
    const back = await waitForFrame(a, (f) => !f.includes('› Help'));
    expect(back).toContain('[Dump]');
    await press(a, keys.escape);
    await waitForText(a, '[Overview]');
  });

  it('p pauses sampling: no sample starts while an unpaused session samples 5 times; r samples once; p resumes', async () => {
    const paused = countingSampler();
    const a = open({ sample: paused.sample });
    const count = (): number => Number(/sample (\d+) at/.exec(frameOf(a))![1]);
    await waitForFrame(a, (f) => /sample [3-9]\d* at/.test(f));
    await press(a, 'p');
    await waitForText(a, 'PAUSED');
    // A sample already running when p was pressed still lands: wait until none is in flight and the header shows the last one.
    await waitUntil('the sample in flight to land', () => (paused.started() === paused.finished() ? true : undefined));
    await waitForFrame(a, () => count() === paused.finished());
    const startedWhenPaused = paused.started();
    // A second session on the same target at the same interval, not paused: while it takes 5 samples the paused one starts none.
    const witness = countingSampler();
    const w = render(<App pid={demo.pid} intervalSeconds={0.2} cpuBudget={1} freeze={false} size={{ columns: 100, rows: 30 }} theme={{ color: false }} sample={witness.sample} />);
    try {
      await waitUntil('5 samples of the unpaused session', () => (witness.finished() >= 5 ? true : undefined));
    } finally {
      w.unmount();
    }
    expect(paused.started()).toBe(startedWhenPaused);
    expect(count()).toBe(startedWhenPaused);
    // r samples once, paused or not.
    await press(a, 'r');
    await waitForFrame(a, () => count() === startedWhenPaused + 1);
    expect(paused.started()).toBe(startedWhenPaused + 1);
    await press(a, 'p');
    await waitForFrame(a, (f) => !f.includes('PAUSED'));
    await waitForFrame(a, () => count() >= startedWhenPaused + 3);
  });

  it('Regions: s sorts by addr, size, rss', async () => {
    const a = open();
    await waitForText(a, 'Threads');
    await press(a, keys.tab);
    let frame = await waitForText(a, 'sort addr');
    const byAddr = regionRows(frame).map((r) => parseInt(r[0]!, 16));
    expect(byAddr.length).toBeGreaterThan(5);
    expect([...byAddr].sort((x, y) => x - y)).toEqual(byAddr);
    await press(a, 's');
    frame = await waitForText(a, 'sort size');
    const sizes = regionRows(frame).map((r) => bytesOf(r[1]!, r[2]!));
    expect([...sizes].sort((x, y) => y - x)).toEqual(sizes);
    await press(a, 's');
    frame = await waitForText(a, 'sort rss');
    const rss = regionRows(frame).map((r) => bytesOf(r[3]!, r[4]!));
    expect([...rss].sort((x, y) => y - x)).toEqual(rss);
    expect(rss[0]).toBeGreaterThan(0);
  });

  it('Regions: t cycles the kind, / filters by text, Esc clears the filter', async () => {
    const a = open();
    await waitForText(a, 'Threads');
    await press(a, keys.tab);
    await waitForText(a, 'kind all');
    await press(a, 't');
    let frame = await waitForText(a, 'kind main-heap');
    let rows = regionRows(frame);
    expect(rows).toHaveLength(1);
    expect(rows[0]![0]).toBe(heapStart(demo.pid));
    await press(a, 't');
    frame = await waitForText(a, 'kind arena-heap');
    rows = regionRows(frame);
    expect(rows.length).toBe(demo.threads);
    expect(rows.every((r) => r.includes('arena-heap'))).toBe(true);
    await press(a, keys.escape); // clears the kind and the text filter
    await waitForText(a, 'kind all');
    await press(a, '/');
    await type(a, 'demo-target');
    frame = await waitForText(a, 'filter /demo-target_');
    await press(a, keys.enter);
    frame = await waitForText(a, 'filter /demo-target ');
    rows = regionRows(frame);
    const mapped = readFileSync(`/proc/${demo.pid}/maps`, 'utf8')
      .split('\n')
      .filter((l) => l.endsWith('/demo-target'));
    expect(rows).toHaveLength(mapped.length);
    // typing q into the filter did not quit, and the view is still Regions
    await press(a, '/');
    await type(a, 'q');
    await waitForText(a, 'filter /demo-targetq_');
    await press(a, keys.escape); // ends the edit and clears the filter
    await waitForText(a, 'filter -');
    expect(frameOf(a)).toContain('[Regions]');
    await press(a, keys.escape); // nothing left to clear: back to the Overview
    await waitForText(a, '[Overview]');
  });

  it('Arenas lists one row per arena with the main arena, and Enter opens its detail; Esc returns', async () => {
    const a = open();
    await waitForText(a, 'Threads');
    await press(a, keys.tab);
    await press(a, keys.tab);
    const frame = await waitForFrame(a, (f) => /^[› ] [* ] main /m.test(f));
    const rows = frame.split('\n').filter((l) => /^[› ] [* ] (main|0x[0-9a-f]+) /.test(l));
    expect(rows).toHaveLength(demo.threads + 1);
    const firstAddress = /^› [* ] (main|0x[0-9a-f]+)/m.exec(frame)![1]!;
    await press(a, keys.enter);
    const detail = await waitForText(a, 'Free lists');
    expect(detail).toContain('› Arena detail');
    expect(detail).toMatch(firstAddress === 'main' ? /main arena/ : new RegExp(`thread arena\\s+${firstAddress}`));
    // The heap map is drawn from the chunk table of the detail sample.
    const withMap = await waitForFrame(a, (f) => /^  [█▒░·]{10,}$/m.test(f));
    expect(withMap).toContain('█ in use  ▒ free  ░ top  · not resident');
    await press(a, keys.escape);
    // '[Arenas]' is the tab of the detail view too: wait for the detail to close.
    const arenas = await waitForFrame(a, (f) => f.includes('[Arenas]') && !f.includes('› Arena detail'));
    expect(arenas).not.toContain('Free lists');
  });

  it('fits 80x24 in every view', async () => {
    const a = open({ size: { columns: 80, rows: 24 } });
    const fits = (): void => {
      const lines = frameOf(a).split('\n');
      expect(lines.length).toBeLessThanOrEqual(23);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    };
    await waitForText(a, 'Threads');
    fits();
    for (const view of ['Regions', 'Arenas', 'Strings', 'Dump']) {
      await press(a, keys.tab);
      await waitForText(a, `[${view}]`);
      fits();
    }
    await press(a, '?');
    await waitForText(a, '› Help');
    fits();
  });

  it('follows terminal resizes', async () => {
    app = render(<App pid={demo.pid} intervalSeconds={0.2} freeze={false} theme={{ color: false }} />);
    const a = app;
    await waitForText(a, 'Threads');
    const widest = (): number => Math.max(...frameOf(a).split('\n').map((l) => l.length));
    expect(widest()).toBeGreaterThan(80);
    expect(widest()).toBeLessThanOrEqual(100);
    Object.defineProperty(a.stdout, 'columns', { value: 70, configurable: true });
    a.stdout.emit('resize');
    await waitForFrame(a, () => widest() <= 70);
    Object.defineProperty(a.stdout, 'columns', { value: 40, configurable: true });
    a.stdout.emit('resize');
    await waitForText(a, 'terminal too small: 40x');
  });
});

describe('the target going away', { timeout: 120_000 }, () => {
  it('says the process has exited instead of failing, and keeps the last snapshot', async () => {
    const short = await startDemo(2, { capped: false });
    app = render(<App pid={short.pid} intervalSeconds={0.2} freeze={false} size={{ columns: 100, rows: 30 }} theme={{ color: false }} />);
    const a = app;
    await waitForText(a, 'Threads');
    await short.stop();
    const frame = await waitForText(a, `pid ${short.pid} has exited; showing its last snapshot`);
    expect(frame).toContain('TARGET GONE');
    expect(frame).toContain(`pid ${short.pid}`);
    expect(frame).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a pid that never existed gets the same message and no snapshot', async () => {
    // Above PID_MAX_LIMIT (2^22 on 64-bit), so no process can have it.
    const pid = 2 ** 22 + 7;
    app = render(<App pid={pid} intervalSeconds={0.2} freeze={false} size={{ columns: 100, rows: 30 }} theme={{ color: false }} />);
    const frame = await waitForText(app, `pid ${pid} has exited. q quits.`);
    expect(frame).not.toContain('showing its last snapshot');
  });
});
