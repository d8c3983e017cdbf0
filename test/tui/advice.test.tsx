// The Overview shows the report's advice for the target it watches: the rules
// `arenascope report` gives for the same process, computed by the TUI itself.
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../src/commands/report.js';
import { App } from '../../src/tui/App.js';
import { buildTarget, spawnTarget, stopAll, type Target } from '../report/helpers.js';
import { waitForText, type Rendered } from './helpers/ink.js';

let target: Target;
let app: Rendered | null = null;

beforeAll(async () => {
  // Nine arenas, each holding alternating free 60000-byte chunks: idle arena memory worth advice.
  target = spawnTarget(buildTarget('trim_target'), ['--main-alt', '80', ...Array.from({ length: 8 }, () => ['--thread-alt', '80']).flat()], {
    GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0',
  });
  expect(await target.nextLine()).toBe('ready');
});

afterAll(async () => {
  app?.unmount();
  await stopAll();
});

describe('the Overview', () => {
  it('shows every rule the report gives for the same target, with its message', async () => {
    const expected = (await buildReport(target.pid, { attach: false })).advice;
    // The precondition: this target is one the rules have something to say about.
    expect(expected.map((a) => a.rule)).toContain('too-many-arenas');
    app = render(<App pid={target.pid} intervalSeconds={1} freeze={false} size={{ columns: 200, rows: 60 }} theme={{ color: false }} />);
    const frame = await waitForText(app, 'too-many-arenas: ', 60_000);
    expect(frame).toMatch(/Advice/);
    for (const a of expected) expect(frame).toContain(`${a.rule}: ${a.message.slice(0, 40)}`);
  });
});
