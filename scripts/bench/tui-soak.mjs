#!/usr/bin/env node
// Soak of the interactive view (issue 15, "the TUI stays responsive and
// flat"): drives the real TUI in a tmux terminal for N minutes, on the demo
// and on a big heap, pressing keys in a loop (Tab through the views, j/k in
// the lists, Enter on Arenas, j/k in the arena detail, Esc) for 30 s, then
// leaving it alone for 30 s on the view the keys ended on, and measures from
// outside:
//   - the TUI process's RSS (/proc/PID/status VmRSS) and CPU (utime + stime of
//     /proc/PID/stat) every few seconds; the CPU contract is for a view left
//     alone (the resident phases after the first minute); with keys it is
//     printed too;
//   - key latency: from send-keys to the screen showing the key's effect
//     (capture-pane polled; so an upper bound, a few ms of tmux included);
//   - quit latency: from q to the TUI process gone.
// Then prints each number with the contract beside it. Timings belong here,
// never in the tests (test/tui/ asserts what is deterministic).
//
//   node scripts/bench/tui-soak.mjs                       # 30 min on the demo, then 30 on the big heap
//   node scripts/bench/tui-soak.mjs --minutes 3 --only demo
//   node scripts/bench/tui-soak.mjs --only big --big-args "626 0 shuffled small"
//
// Options: --minutes N (per target, default 30), --only demo|big, --big-args
// "ARGS" (busy_heap's arguments; default "626 0 shuffled small": 626 MiB of
// small chunks in the main arena, ~7M chunks; busy_heap ignores words it does
// not know), --key-every S (seconds between keys, default 1), --active S and
// --resident S (the two phases, default 30 and 30), --every S (seconds between
// RSS/CPU readings, default 5), --size COLSxROWS (default 120x40).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build, root, sleep, start } from './lib.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const minutes = Number(option('minutes', '30'));
const only = option('only', null);
const bigArgs = option('big-args', '626 0 shuffled small').split(/\s+/).filter(Boolean);
const keyEveryMs = Number(option('key-every', '1')) * 1000;
const activeMs = Number(option('active', '30')) * 1000;
const residentMs = Number(option('resident', '30')) * 1000;
const readEveryMs = Number(option('every', '5')) * 1000;
const [cols, rows] = option('size', '120x40').split('x').map(Number);
if (!(minutes > 0) || !(keyEveryMs > 0) || !(activeMs > 0) || !(residentMs >= 0) || !(readEveryMs > 0) || !(cols >= 80) || !(rows >= 24) || (only && !['demo', 'big'].includes(only))) {
  console.error('usage: tui-soak.mjs [--minutes N] [--only demo|big] [--big-args "ARGS"] [--key-every S] [--active S] [--resident S] [--every S] [--size COLSxROWS]');
  process.exit(2);
}

const contract = {
  rssMiB: 160,
  growthPct: 10,
  cpuPct: { demo: 5, big: 10 },
  keyMedianMs: 200,
  keyWorstMs: 1000,
  quitMs: 1000,
};
/** A key whose effect has not shown after this long counts as unanswered (and as this long). */
const keyTimeoutMs = 10_000;

const socket = `arenascope-soak-${process.pid}`;
const tmux = (...args) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const screen = () => {
  try {
    return tmux('capture-pane', '-p', '-t', 'soak');
  } catch {
    return '';
  }
};
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function reading(pid) {
  const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat (1-based), 12 and 13 after "pid (comm) ".
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  return { at: performance.now(), rss, cpuSeconds: cpuTicks / clockTicks };
}

async function waitFor(what, check, timeoutMs = 120_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${screen()}`);
    await sleep(50);
  }
}

// --- what a key does, as seen on the screen -------------------------------

const tabOf = (s) => /\[(Overview|Regions|Arenas|Strings|Dump)\]/.exec(s)?.[1] ?? null;
const inDetail = (s) => s.includes('› Arena detail');
/** The body line the cursor is on (lists), or the position line ("lines 3-30 of 80", "12-40 of 500"). */
const cursorRow = (s) => s.split('\n').findIndex((l) => l.startsWith('› '));
const position = (s) => /(?:lines )?\d+-\d+ of \d+/.exec(s)?.[0] ?? null;
const moved = (before) => (s) => cursorRow(s) !== cursorRow(before) || position(s) !== position(before);

/** How many rows the list in front has: "13 arenas", "57 of 57 mappings"; null when no list is in front. */
const listRows = (s) => Number(/(\d+) arenas  sort|(\d+) of \d+ mappings/.exec(s)?.slice(1).find(Boolean) ?? NaN);

/** One round of keys: each with the effect that answers it, or null when from this screen it would have none. */
function plan(s) {
  const view = inDetail(s) ? 'Arena detail' : tabOf(s);
  const steps = [];
  const tabTo = (next) => steps.push({ key: 'Tab', view, effect: () => (x) => tabOf(x) === next && !inDetail(x) });
  // j then k: in a list the cursor moves (a one-row list has nowhere to go); in the detail the lines scroll (if they do not fit).
  const jk = (canMove) => {
    for (const key of ['j', 'k']) steps.push({ key, view, effect: (before) => (canMove(before, key) ? moved(before) : null) });
  };
  const listCanMove = (x) => listRows(x) > 1;
  // j scrolls only when the window does not end at the last line, k only when it does not start at the first
  // (a sample may grow the detail under a key: the heap map arriving turns a view that fit into 150 lines).
  const detailCanScroll = (x, key) => {
    const m = /lines (\d+)-(\d+) of (\d+)/.exec(x);
    if (!m) return false;
    return key === 'j' ? Number(m[2]) < Number(m[3]) : Number(m[1]) > 1;
  };
  if (view === 'Overview') tabTo('Regions');
  else if (view === 'Regions') {
    jk(listCanMove);
    tabTo('Arenas');
  } else if (view === 'Arenas') {
    jk(listCanMove);
    steps.push({ key: 'Enter', view, effect: () => inDetail });
  } else if (view === 'Arena detail') {
    jk(detailCanScroll);
    steps.push({ key: 'Escape', view, effect: () => (x) => !inDetail(x) && tabOf(x) === 'Arenas' });
    tabTo('Strings');
  } else if (view === 'Strings') tabTo('Dump');
  else tabTo('Overview');
  return steps;
}

/** Sends key; resolves with the ms until the screen shows its effect (keyTimeoutMs if it never does), or null when the key has no visible effect from here. */
async function pressAndTime(key, effect) {
  const before = screen();
  const answered = effect(before);
  const t0 = performance.now();
  tmux('send-keys', '-t', 'soak', key);
  if (!answered) return null;
  for (;;) {
    const shown = answered(screen());
    const ms = performance.now() - t0;
    if (shown) return ms;
    if (ms > keyTimeoutMs) return keyTimeoutMs;
    // Each capture starts a tmux client: poll every few ms, not in a busy loop that takes a core from the TUI.
    await sleep(5);
  }
}

// --- one soak ----------------------------------------------------------------

async function soak(name, command) {
  tmux('new-session', '-d', '-s', 'soak', '-x', String(cols), '-y', String(rows), '-c', root, '-e', 'NO_COLOR=1', `exec node bin/arenascope.js ${command}`);
  const tui = Number(tmux('display', '-p', '-t', 'soak', '#{pane_pid}').trim());
  await waitFor('the first sample', () => /sample \d+ at /.test(screen()), 600_000);
  const t0 = performance.now();
  const end = t0 + minutes * 60_000;
  const readings = [reading(tui)];
  const latencies = [];
  /** CPU seconds and wall seconds of the resident phases (no keys) after the first minute. */
  const resident = { cpu: 0, wall: 0, views: new Set() };
  let unanswered = 0;
  let nextRead = t0 + readEveryMs;
  const readIfDue = () => {
    if (performance.now() < nextRead) return;
    readings.push(reading(tui));
    nextRead += readEveryMs;
  };
  while (performance.now() < end) {
    // Keys for activeMs...
    const activeEnd = Math.min(end, performance.now() + activeMs);
    while (performance.now() < activeEnd) {
      for (const step of plan(screen())) {
        const ms = await pressAndTime(step.key, step.effect);
        if (ms !== null) {
          latencies.push({ key: `${step.key} in ${step.view}`, ms, at: performance.now() - t0 });
          if (ms >= keyTimeoutMs) unanswered++;
        }
        readIfDue();
        await sleep(keyEveryMs);
        if (performance.now() >= activeEnd) break;
      }
    }
    // ...then left alone for residentMs on whatever view the keys ended on.
    const from = reading(tui);
    const residentEnd = Math.min(end, performance.now() + residentMs);
    const view = inDetail(screen()) ? 'Arena detail' : tabOf(screen());
    while (performance.now() < residentEnd) {
      await sleep(Math.min(250, residentEnd - performance.now()));
      readIfDue();
    }
    const to = reading(tui);
    if (from.at - t0 >= 60_000 && to.at > from.at) {
      resident.cpu += to.cpuSeconds - from.cpuSeconds;
      resident.wall += (to.at - from.at) / 1000;
      resident.views.add(view);
    }
  }
  readings.push(reading(tui));
  const status = screen().trimEnd().split('\n').pop() ?? '';
  const q0 = performance.now();
  tmux('send-keys', '-t', 'soak', 'q');
  await waitFor('the TUI to quit', () => !alive(tui), 60_000);
  const quitMs = performance.now() - q0;
  return { name, readings, latencies, resident, unanswered, quitMs, status };
}

// --- the report ----------------------------------------------------------------

const MiB = 1024 * 1024;
const pct = (x) => `${x.toFixed(1)}%`;
const mark = (ok) => (ok ? 'ok' : 'OVER');

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
}

function report({ name, readings, latencies, resident, unanswered, quitMs, status }) {
  const first = readings[0];
  const last = readings[readings.length - 1];
  // The reading nearest one minute in: growth is counted from there (the first minute fills caches and JIT).
  const minute = readings.reduce((best, r) => (Math.abs(r.at - first.at - 60_000) < Math.abs(best.at - first.at - 60_000) ? r : best), first);
  const growth = ((last.rss - minute.rss) / minute.rss) * 100;
  const maxRss = Math.max(...readings.map((r) => r.rss));
  const steady = readings.filter((r) => r.at >= minute.at);
  const maxSteady = Math.max(...steady.map((r) => r.rss));
  const cpuAll = ((last.cpuSeconds - first.cpuSeconds) / ((last.at - first.at) / 1000)) * 100;
  const cpuResident = resident.wall > 0 ? (resident.cpu / resident.wall) * 100 : NaN;
  const ms = latencies.map((l) => l.ms);
  const median = quantile(ms, 0.5);
  const worst = Math.max(...ms);
  const worstKey = latencies.find((l) => l.ms === worst);
  const slow = latencies.filter((l) => l.ms > contract.keyWorstMs);
  const cpuLimit = contract.cpuPct[name];
  const lines = [
    `${name}: ${((last.at - first.at) / 60_000).toFixed(1)} min, ${readings.length} readings, ${ms.length} keys timed`,
    `  RSS after 1 min     ${(minute.rss / MiB).toFixed(1)} MiB`,
    `  RSS at the end      ${(last.rss / MiB).toFixed(1)} MiB   growth ${pct(growth)}   (contract <= ${contract.growthPct}% after the first minute: ${mark(growth <= contract.growthPct)})`,
    `  RSS max             ${(maxRss / MiB).toFixed(1)} MiB (after 1 min: ${(maxSteady / MiB).toFixed(1)} MiB)   (contract <= ${contract.rssMiB} MiB steady: ${mark(maxSteady <= contract.rssMiB * MiB)})`,
    `  CPU resident view   ${pct(cpuResident)} of a core, left alone ${resident.wall.toFixed(0)} s after the first minute on ${[...resident.views].join(', ') || '-'}   (contract <= ${cpuLimit}%: ${mark(cpuResident <= cpuLimit)})`,
    `  CPU average         ${pct(cpuAll)} of a core over the whole run, keys included`,
    `  key latency median  ${median.toFixed(0)} ms   (contract <= ${contract.keyMedianMs} ms: ${mark(median <= contract.keyMedianMs)})`,
    `  key latency p90     ${quantile(ms, 0.9).toFixed(0)} ms`,
    `  key latency worst   ${worst.toFixed(0)} ms (${worstKey?.key}, ${((worstKey?.at ?? 0) / 1000).toFixed(0)} s in)   (contract <= ${contract.keyWorstMs} ms: ${mark(worst <= contract.keyWorstMs)})${unanswered ? `   ${unanswered} key(s) unanswered after ${keyTimeoutMs / 1000} s` : ''}`,
    ...(slow.length ? [`  keys over ${contract.keyWorstMs} ms  ${slow.length}: ${slow.slice(0, 8).map((l) => `${l.key} ${l.ms.toFixed(0)} ms at ${(l.at / 1000).toFixed(0)} s`).join(', ')}`] : []),
    `  quit (q to exit)    ${quitMs.toFixed(0)} ms   (contract <= ${contract.quitMs} ms: ${mark(quitMs <= contract.quitMs)})`,
    `  last status line    ${status.trim()}`,
  ];
  console.log(lines.join('\n'));
}

const scenarios = [];
if (!only || only === 'demo') scenarios.push({ name: 'demo', setup: async () => ({ command: 'demo', stop: () => {} }) });
if (!only || only === 'big') {
  scenarios.push({
    name: 'big',
    setup: async () => {
      const target = await start(build('test/targets/reliability/busy_heap.c', 'busy_heap'), bigArgs);
      return { command: String(target.pid), stop: () => target.stop(), about: `busy_heap ${bigArgs.join(' ')} (pid ${target.pid})` };
    },
  });
}

console.log(`tui-soak: ${minutes} min per target, a key every ${keyEveryMs / 1000} s, readings every ${readEveryMs / 1000} s, ${cols}x${rows} terminal`);
try {
  for (const s of scenarios) {
    const { command, stop, about } = await s.setup();
    if (about) console.log(`${s.name}: ${about}`);
    try {
      report(await soak(s.name, command));
    } finally {
      stop();
      try {
        tmux('kill-session', '-t', 'soak');
      } catch {
        // ended with the TUI
      }
    }
  }
} finally {
  try {
    tmux('kill-server');
  } catch {
    // no server left
  }
  rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid()}`, socket), { force: true });
}
