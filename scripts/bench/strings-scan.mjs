#!/usr/bin/env node
// Benchmark: native string scan vs bare reads of the same memory, and an
// end-to-end comparison with the usual gdb dump + strings | sort | uniq -c
// pipeline. Not a test: prints numbers, asserts nothing.
//
//   node scripts/bench/strings-scan.mjs [--runs N]    (BENCH_ROUNDS=9: end-to-end rounds)
//
// Target: scripts/bench/strings-arena-target.c, one fully resident 64 MiB
// non-main arena heap of mixed text, binary and zeroes.
import { execFileSync, execSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const addonPath = join(here, '../../build/Release/arenascope.node');
const addon = createRequire(import.meta.url)(addonPath);
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const MiB = 1 << 20;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeIt(fn) {
  const times = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    last = await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { seconds: median(times), best: Math.min(...times), last };
}

const dir = mkdtempSync(join(tmpdir(), 'arenascope-bench-strings-'));
const exe = join(dir, 'strings-arena-target');
execFileSync('gcc', ['-O2', '-pthread', '-o', exe, join(here, 'strings-arena-target.c')]);
const child = spawn(exe, [], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  const line = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.on('exit', (c) => reject(new Error(`target exited (${c})`)));
  });
  const base = parseInt(line.split(' ')[1], 16);
  const maps = readFileSync(`/proc/${child.pid}/maps`, 'utf8').split('\n');
  const heapLine = maps.find((l) => parseInt(l.split('-')[0], 16) === base);
  const end = parseInt(heapLine.split(' ')[0].split('-')[1], 16);
  const size = end - base;
  console.log(`target pid ${child.pid}, arena heap ${base.toString(16)}-${end.toString(16)} (${(size / MiB).toFixed(1)} MiB), ${runs} runs each, median`);

  const src = addon.MemorySource.forProcess(child.pid);
  const mbps = (s) => (size / MiB / s).toFixed(0);

  const bare = await timeIt(async () => {
    for (let a = base; a < end; a += MiB) await src.readAsync(a, Math.min(MiB, end - a));
  });
  const show = (t) => `median ${t.seconds.toFixed(3)} s ${mbps(t.seconds)} MB/s, best ${t.best.toFixed(3)} s ${mbps(t.best)} MB/s`;
  const ratio = (t) => `ratio ${(bare.seconds / t.seconds).toFixed(2)} (best ${(bare.best / t.best).toFixed(2)}) x bare`;
  console.log(`(a) bare readAsync, 1 MiB blocks : ${show(bare)}`);

  const range = [{ start: base, end }];
  const ascii = await timeIt(() => addon.scanStrings(src, range, { minLength: 6, encoding: 'ascii', top: 50 }));
  console.log(`(b) scanStrings ascii            : ${show(ascii)}  ${ratio(ascii)}` +
    `  (${ascii.last.stringsFound} strings, ${ascii.last.distinct} distinct${ascii.last.approximate ? ' ~' : ''})`);
  const both = await timeIt(() => addon.scanStrings(src, range, { minLength: 6, encoding: 'both', top: 50 }));
  console.log(`    scanStrings ascii+utf16le    : ${show(both)}  ${ratio(both)}`);
  const grep = await timeIt(() => addon.scanStrings(src, range, { minLength: 6, grep: 'timed? ?out|reset', top: 50 }));
  const literal = await timeIt(() => addon.scanStrings(src, range, { minLength: 6, grep: 'timed out', top: 50 }));
  // no literal every match must contain: each distinct string goes to std::regex
  const noLiteral = await timeIt(() => addon.scanStrings(src, range, { minLength: 6, grep: '[0-9]{3}[a-f]', top: 50 }));
  console.log(`    scanStrings ascii, regex grep: ${show(grep)}` +
    `  (${grep.last.grepEvaluations} distinct strings judged, ${grep.last.grepRegexRuns} held "time" or "reset" and ran the regex, engine ${grep.last.grepEngine})`);
  console.log(`    scanStrings ascii, regex grep with no required literal: ${show(noLiteral)}` +
    `  (${noLiteral.last.grepRegexRuns} regex runs)`);
  // a selective literal, as an operator hunting one kind of string writes it
  const selective = await timeIt(() => addon.scanStrings(src, range, { minLength: 6, grep: 'ORDER BY \\w+_at', top: 50 }));
  console.log(`    scanStrings ascii, regex grep with a selective literal: ${show(selective)}` +
    `  (${selective.last.grepRegexRuns} of ${selective.last.grepEvaluations} distinct strings ran the regex)`);
  const alternation = await timeIt(() => addon.scanStrings(src, range, { minLength: 6, grep: 'timed out|reset', top: 50 }));
  console.log(`    scanStrings ascii, literal grep: ${show(literal)}`);
  console.log(`    scanStrings ascii, literal alternation grep: ${show(alternation)}`);

  // End to end, round-robin: each round runs the gdb pipeline, the CLI as an
  // operator runs it, and an empty node process, so the machine's load at any
  // moment hits all three alike. The ratio is taken per round, then the median.
  // Each gdb attach stops the target; the CLI never does.
  const dump = join(dir, 'heap.bin');
  // The installed command (bin/arenascope, what npx and npm's bin link run)
  // and, for comparison, its JavaScript entry run by node directly.
  const command = join(here, '../../bin/arenascope');
  const cliArgs = ['strings', String(child.pid), '--region', `0x${base.toString(16)}`, '--encoding', 'ascii', '--top', '50'];
  const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
  const timeRun = (file, args) => {
    const t0 = process.hrtime.bigint();
    execFileSync(file, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
    return ms(t0);
  };
  // Node 20 reads and parses the whole NODE_EXTRA_CA_CERTS bundle before any
  // JavaScript runs; bin/arenascope drops the variable (arenascope opens no
  // TLS connection), `node bin/arenascope.js` cannot.
  const caSet = process.env.NODE_EXTRA_CA_CERTS !== undefined;
  const rounds = Number(process.env.BENCH_ROUNDS ?? 9);
  const rows = [];
  for (let i = 0; i < rounds; i++) {
    rmSync(dump, { force: true });
    const t0 = process.hrtime.bigint();
    execSync(`gdb --batch --pid ${child.pid} -ex "dump memory ${dump} 0x${base.toString(16)} 0x${end.toString(16)}" >/dev/null 2>&1`);
    const gdbMs = ms(t0);
    const t1 = process.hrtime.bigint();
    execSync(`strings -n 6 ${dump} | sort | uniq -c | sort -rn > ${join(dir, 'top.txt')}`, { shell: '/bin/bash' });
    const pipeMs = ms(t1);
    rows.push({
      gdbMs,
      pipeMs,
      cliMs: timeRun(command, cliArgs),
      nodeCliMs: timeRun(process.execPath, [join(here, '../../bin/arenascope.js'), ...cliArgs]),
      nodeMs: timeRun(process.execPath, ['-e', '0']),
    });
  }
  const med = (f) => median(rows.map(f));
  const gdbTotal = (r) => r.gdbMs + r.pipeMs;
  console.log(`(c) gdb dump memory: ${med((r) => r.gdbMs).toFixed(0)} ms, strings -n 6 | sort | uniq -c | sort -rn: ${med((r) => r.pipeMs).toFixed(0)} ms, ` +
    `total ${med(gdbTotal).toFixed(0)} ms (median of ${rounds} rounds)`);
  console.log(`(d) arenascope strings --region (bin/arenascope, end to end): ${med((r) => r.cliMs).toFixed(0)} ms`);
  console.log(`    end to end: ${med((r) => gdbTotal(r) / r.cliMs).toFixed(1)}x faster than (c) (median of per-round ratios; target >= 8x)`);
  console.log(`    node bin/arenascope.js: ${med((r) => r.nodeCliMs).toFixed(0)} ms (${med((r) => gdbTotal(r) / r.nodeCliMs).toFixed(1)}x); an empty node process: ${med((r) => r.nodeMs).toFixed(0)} ms` +
    (caSet ? ' (both with NODE_EXTRA_CA_CERTS, which is set here)' : ''));
  console.log(`    in process, read + scan + histogram vs bare read: ${(bare.seconds / ascii.seconds).toFixed(2)}x the bare rate (target >= 0.5x)`);
} finally {
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
