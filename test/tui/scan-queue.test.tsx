// Leaving the Strings view mid-scan aborts the scan, and coming back scans
// again, but never beside a scan still running: until the engine takes the
// signal an aborted scan runs to its end in a worker thread, and Tab through
// the views must not pile up scans of the whole heap. The real scan, counted
// as it runs, on a heap big enough that a scan is still running when the keys
// come (busy_heap: 256 MiB of small chunks).
import { render } from 'ink-testing-library';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scanTargetStrings } from '../../src/engine/strings.js';
import { App } from '../../src/tui/App.js';
import { buildC, startNative, type RunningTarget } from '../support/nativeTarget.js';
import { frameOf, keys, press, waitForFrame, waitForText, type Rendered } from './helpers/ink.js';

let target: RunningTarget;
let app: Rendered | null = null;

beforeAll(async () => {
  target = await startNative(buildC('test/targets/reliability/busy_heap.c'), ['256']);
});
afterEach(() => {
  app?.unmount();
  app = null;
});
afterAll(async () => {
  await target?.stop();
});

describe('Strings scans', { timeout: 600_000 }, () => {
  it('left mid-scan and come back to, three times: scans again, one at a time, and shows the result', async () => {
    let running = 0;
    let most = 0;
    let started = 0;
    const counted: typeof scanTargetStrings = async (...args) => {
      started++;
      running++;
      most = Math.max(most, running);
      try {
        return await scanTargetStrings(...args);
      } finally {
        running--;
      }
    };
    app = render(<App pid={target.pid} intervalSeconds={3600} freeze={false} size={{ columns: 100, rows: 30 }} theme={{ color: false }} initialView="strings" scanStrings={counted} />);
    const a = app;
    // The view drawn (after the first sample) and its first scan done.
    await waitForFrame(a, (f) => f.includes('Strings in') && f.includes('Top strings') && !/scanning/.test(f), 60_000);
    let leftMidScan = 0;
    for (let round = 0; round < 3; round++) {
      // l: all, live, free chunks: a new request, so a new scan.
      await press(a, 'l');
      await waitForText(a, 'scanning');
      // Left while the frame says the scan runs: it is aborted, and coming back must scan again.
      if (/scanning/.test(frameOf(a))) leftMidScan++;
      await press(a, keys.tab);
      await waitForText(a, '[Dump]');
      await press(a, keys.shiftTab);
      await waitForText(a, '[Strings]');
    }
    // Every scan asked for runs to its end first (the aborted ones too, until the engine takes the
    // signal), one after another: a long deadline, for the sanitizer build's slower scans.
    await waitForFrame(a, (f) => f.includes('[Strings]') && f.includes('Top strings') && !/scanning/.test(f), 300_000);
    // The precondition: the keys came while scans were running.
    expect(leftMidScan).toBeGreaterThanOrEqual(2);
    // (A scan asked for and superseded before its turn came never starts: the first and the l scans at least did.)
    expect(started).toBeGreaterThanOrEqual(2);
    expect(most).toBe(1);
  });
});
