// NO_COLOR: not one escape code in the frames; with colour allowed, the same
// screens do carry colour (so the first assertion can fail).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type RunningDemo } from './helpers/demoTarget.js';
import { keys, press, waitForText, type Rendered } from './helpers/ink.js';

// Chalk (inside Ink) decides its colour level when it is first imported; the
// test stdout is not a terminal, so force a level before Ink loads.
process.env.FORCE_COLOR = '1';
const { render } = await import('ink-testing-library');
const { App } = await import('../../src/tui/App.js');
const { colorAllowed } = await import('../../src/tui/theme.js');

let demo: RunningDemo;
beforeAll(async () => {
  demo = await startDemo(2);
}, 120_000);
afterAll(async () => {
  await demo.stop();
});

async function framesOf(color: boolean): Promise<string[]> {
  const app: Rendered = render(<App pid={demo.pid} intervalSeconds={0.5} freeze={false} size={{ columns: 100, rows: 30 }} theme={{ color }} />);
  try {
    const frames: string[] = [];
    await waitForText(app, 'Threads');
    frames.push(app.lastFrame() ?? '');
    // Each view once it is drawn: its tab marked (the Arenas with their rows), then the help.
    for (const [key, shown] of [
      [keys.tab, '[Regions]'],
      [keys.tab, /\[Arenas\][\s\S]*^[› ] [* ] main /m],
      [keys.tab, '[Strings]'],
      [keys.tab, '[Dump]'],
      ['?', '› Help'],
    ] as const) {
      await press(app, key);
      await waitForText(app, shown);
      frames.push(app.lastFrame() ?? '');
    }
    return frames;
  } finally {
    app.unmount();
  }
}

describe('colour', { timeout: 120_000 }, () => {
  it('follows NO_COLOR: unset or empty allows colour, any other value forbids it', () => {
    expect(colorAllowed({})).toBe(true);
    expect(colorAllowed({ NO_COLOR: '' })).toBe(true);
    expect(colorAllowed({ NO_COLOR: '1' })).toBe(false);
    expect(colorAllowed({ NO_COLOR: 'true' })).toBe(false);
  });

  it('draws every view (Overview, Regions, Arenas, Strings, Dump, Help) without escape codes when colour is off', async () => {
    const frames = await framesOf(false);
    expect(frames).toHaveLength(6);
    // six different screens: the tab line differs in each
    expect(new Set(frames.map((f) => f.split('\n')[1])).size).toBe(6);
    for (const f of frames) expect(f).not.toContain('\u001b[');
  });

  it('draws every view with colour codes when colour is allowed', async () => {
    const frames = await framesOf(true);
    for (const f of frames) expect(f).toMatch(/\u001b\[3[0-9]m|\u001b\[9[0-7]m/);
  });
});
