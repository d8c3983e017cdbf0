// Strings and Dump driven through the App against a live demo target; the
// results are checked against the target's memory and the written files.
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArenascopeError } from '../../src/errors.js';
import { sampleProcess } from '../../src/engine/sample.js';
import { App } from '../../src/tui/App.js';
import { formatBytes } from '../../src/util/format.js';
import { startDemo, type RunningDemo } from './helpers/demoTarget.js';
import { keys, press, type, waitForFrame, waitForText, type Rendered } from './helpers/ink.js';

let demo: RunningDemo;
let dir: string;
let app: Rendered | null = null;

beforeAll(async () => {
  demo = await startDemo();
  dir = mkdtempSync(join(tmpdir(), 'arenascope-tui-'));
}, 120_000);
afterAll(async () => {
  await demo.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  app?.unmount();
  app = null;
});

// These tests count samples; the CPU budget (test/tui/budget.test.ts, cpu-budget.test.ts)
// would stretch the interval by what each sample costs on a loaded machine, so it is a whole core here.
function open(extra: Partial<Parameters<typeof App>[0]> = {}): Rendered {
  app = render(<App pid={demo.pid} intervalSeconds={0.5} cpuBudget={1} freeze={false} size={{ columns: 120, rows: 40 }} theme={{ color: false }} {...extra} />);
  return app;
}

/** Reads the target's memory through /proc/PID/mem, independently of the addon. */
function readTarget(address: number, length: number): Buffer {
  const fd = openSync(`/proc/${demo.pid}/mem`, 'r');
  try {
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, address);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** Sample lines of the Strings view: address, live/free, text. */
function sampleLines(frame: string): Array<{ address: number; state: string; text: string }> {
  return frame
    .split('\n')
    .map((l) => /^  (0x[0-9a-f]+) +(live|free|\?) +(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ address: parseInt(m[1]!, 16), state: m[2]!, text: m[3]!.trimEnd() }));
}

async function openStringsOfFirstArena(a: Rendered): Promise<string> {
  await waitForText(a, 'Threads');
  await press(a, keys.tab);
  await press(a, keys.tab);
  await waitForFrame(a, (f) => /^› [* ] (main|0x[0-9a-f]+) /m.test(f));
  await press(a, keys.tab);
  return waitForText(a, 'Top strings');
}

describe('Strings', { timeout: 120_000 }, () => {
  it('shows the demo text of an arena; the samples are what the target holds at those addresses', async () => {
    const a = open();
    const f = await openStringsOfFirstArena(a);
    expect(f).toMatch(/Strings in (main arena|arena) 0x[0-9a-f]+ · all chunks · redact off/);
    // The demo writes log lines, JSON documents and SQL statements.
    expect(f).toMatch(/request id=|"customer"|SELECT |INSERT INTO |UPDATE sessions/);
    // Long samples are cut to the screen width with '…': compare what is shown.
    const samples = sampleLines(f).map((s) => ({ ...s, text: s.text.endsWith('…') ? s.text.slice(0, -1) : s.text }));
    expect(samples.length).toBeGreaterThan(3);
    // The demo only replaces a few strings per tick: nearly all samples must still be there.
    const matching = samples.filter((s) => readTarget(s.address, Buffer.byteLength(s.text)).toString('latin1') === s.text);
    expect(matching.length).toBeGreaterThanOrEqual(Math.ceil(samples.length * 0.8));
  });

  it('l shows live chunks only, then free chunks only', async () => {
    const a = open();
    await openStringsOfFirstArena(a);
    await press(a, 'l');
    let f = await waitForFrame(a, (fr) => fr.includes('live chunks only') && fr.includes('Top strings') && !fr.includes('scanning'));
    expect(sampleLines(f).length).toBeGreaterThan(0);
    expect(sampleLines(f).every((s) => s.state === 'live')).toBe(true);
    await press(a, 'l');
    f = await waitForFrame(a, (fr) => fr.includes('free chunks only') && fr.includes('Top strings') && !fr.includes('scanning'));
    // The demo frees every third string it writes and those chunks stay in the bins.
    expect(sampleLines(f).length).toBeGreaterThan(0);
    expect(sampleLines(f).every((s) => s.state === 'free')).toBe(true);
  });

  it('/ filters the strings; x redacts the fake secrets', async () => {
    const a = open();
    await openStringsOfFirstArena(a);
    await press(a, '/');
    await type(a, 'password=');
    await waitForText(a, 'filter /password=_');
    await press(a, keys.enter);
    let f = await waitForFrame(a, (fr) => fr.includes('filter /password=') && !fr.includes('filter /password=_') && fr.includes('Top strings') && !fr.includes('scanning'));
    const found = sampleLines(f);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((s) => s.text.includes('password='))).toBe(true);
    expect(f).toContain('hunter2');
    await press(a, 'x');
    f = await waitForFrame(a, (fr) => fr.includes('redact on') && fr.includes('Top strings') && !fr.includes('scanning'));
    expect(sampleLines(f).length).toBeGreaterThan(0);
    expect(f).not.toContain('hunter2');
  });
});

describe('Dump', { timeout: 120_000 }, () => {
  it('dumps the selected region to the path typed in; the file matches its record and the screen', async () => {
    const a = open();
    await waitForText(a, 'Threads');
    await press(a, keys.tab);
    await press(a, 't'); // kind main-heap: the [heap]
    await waitForText(a, 'kind main-heap');
    await press(a, 'd');
    const chooser = await waitForText(a, 'Dump main-heap region');
    const [, start, end] = /› main-heap (0x[0-9a-f]+)-(0x[0-9a-f]+)/.exec(chooser)!;
    const output = join(dir, 'heap.bin');
    await press(a, 'e');
    await press(a, keys.ctrlU);
    await type(a, output);
    await waitForText(a, `file ${output}_`);
    await press(a, keys.enter);
    // the edit ended: the path without its cursor
    await waitForFrame(a, (f) => f.includes(`file ${output}`) && !f.includes(`file ${output}_`));
    await press(a, keys.enter);
    const done = await waitForText(a, 'sha256 ');
    expect(done).toContain(`wrote ${output}`);
    const size = parseInt(end!, 16) - parseInt(start!, 16);
    expect(statSync(output).size).toBe(size);
    const record = JSON.parse(readFileSync(`${output}.json`, 'utf8')) as { size: number; sha256: string; start: string; end: string };
    expect(record.size).toBe(size);
    expect(record.start).toBe(start);
    expect(record.end).toBe(end);
    const sha = createHash('sha256').update(readFileSync(output)).digest('hex');
    expect(record.sha256).toBe(sha);
    expect(done).toContain(`sha256 ${sha}`);
    expect(done).toContain(`size ${formatBytes(size)} (${size} bytes) from ${start}-${end}`);
    expect(done).toMatch(/holes none|holes \d+/);

    // The same path again: refused, said on screen, the file untouched.
    await press(a, keys.enter);
    const refused = await waitForText(a, 'dump failed:');
    expect(refused).toMatch(/exists/);
    expect(createHash('sha256').update(readFileSync(output)).digest('hex')).toBe(sha);
  });

  it('offers each heap of the selected arena and dumps it, with every key in one read', async () => {
    const a = open();
    await waitForText(a, 'Threads');
    await press(a, keys.tab);
    await press(a, keys.tab);
    await waitForFrame(a, (f) => /^› [* ] 0x[0-9a-f]+ /m.test(f) || /^› [* ] main /m.test(f));
    await press(a, keys.down);
    await press(a, 'd');
    const chooser = await waitForText(a, /› (main arena|arena) heap 1\/\d+ 0x[0-9a-f]+-0x[0-9a-f]+/);
    const [, start, end] = /heap 1\/\d+ (0x[0-9a-f]+)-(0x[0-9a-f]+)/.exec(chooser)!;
    const output = join(dir, 'arena.bin');
    // All in one read, as tmux send-keys "e C-u PATH Enter Enter Enter" arrives
    // under load: e opens the path field, Ctrl-U clears the proposed path, the
    // path is typed, the first Enter ends the edit, the second starts the dump,
    // the third starts no second one while it runs.
    a.stdin.write('e' + keys.ctrlU + output + keys.enter.repeat(3));
    const done = await waitForText(a, 'sha256 ');
    expect(done).toContain(`wrote ${output}`);
    expect(done).not.toContain('dump failed');
    expect(statSync(output).size).toBe(parseInt(end!, 16) - parseInt(start!, 16));
    const record = JSON.parse(readFileSync(`${output}.json`, 'utf8')) as { sha256: string };
    expect(record.sha256).toBe(createHash('sha256').update(readFileSync(output)).digest('hex'));
  });

  it('says there is nothing to dump before anything is selected', async () => {
    const a = open();
    await waitForText(a, 'Threads');
    await press(a, 'd');
    await waitForText(a, 'Nothing selected to dump');
  });
});

describe('sampling errors', { timeout: 120_000 }, () => {
  it('shows a failed sample as a status line and clears it with the next good one', async () => {
    // One injected failure between real samples: the error is shown, sampling goes on.
    let calls = 0;
    const sample: typeof sampleProcess = async (pid, options) => {
      calls++;
      if (calls === 2) throw new ArenascopeError('EIO', 'injected read failure');
      return sampleProcess(pid, options);
    };
    const a = open({ sample, intervalSeconds: 0.3 });
    await waitForText(a, 'sampling failed (EIO): injected read failure');
    const after = await waitForFrame(a, (f) => /sample 2 at/.test(f));
    expect(after).not.toContain('sampling failed');
    expect(after).not.toContain('TARGET GONE');
  });
});
