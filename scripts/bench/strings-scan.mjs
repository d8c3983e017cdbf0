#!/usr/bin/env node
// Benchmark: native string scan vs bare reads of the same memory, and an
// end-to-end comparison with the usual gdb dump + strings | sort | uniq -c
// pipeline. Not a test: prints numbers, asserts nothing.
//
//   node scripts/bench/strings-scan.mjs [--runs N]
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
  console.log(`    scanStrings ascii, regex grep: ${show(grep)}` +
    `  (${grep.last.grepEvaluations} regex evaluations)`);
  const alternation = await timeIt(() => addon.scanStrings(src, range, { minLength: 6, grep: 'timed out|reset', top: 50 }));
  console.log(`    scanStrings ascii, literal grep: ${show(literal)}`);
  console.log(`    scanStrings ascii, literal alternation grep: ${show(alternation)}`);

  // End to end: the gdb pipeline three times (median; each attach stops the target).
  const dump = join(dir, 'heap.bin');
  const gdbTimes = [];
  const pipeTimes = [];
  for (let i = 0; i < 3; i++) {
    rmSync(dump, { force: true });
    const t0 = process.hrtime.bigint();
    execSync(`gdb --batch --pid ${child.pid} -ex "dump memory ${dump} 0x${base.toString(16)} 0x${end.toString(16)}" >/dev/null 2>&1`);
    const t1 = process.hrtime.bigint();
    execSync(`strings -n 6 ${dump} | sort | uniq -c | sort -rn > ${join(dir, 'top.txt')}`, { shell: '/bin/bash' });
    const t2 = process.hrtime.bigint();
    gdbTimes.push(Number(t1 - t0) / 1e9);
    pipeTimes.push(Number(t2 - t1) / 1e9);
  }
  const gdbS = median(gdbTimes);
  const pipeS = median(pipeTimes);
  console.log(`(c) gdb dump memory (median of 3) : ${gdbS.toFixed(3)} s`);
  console.log(`    strings -n 6 | sort | uniq -c | sort -rn: ${pipeS.toFixed(3)} s   total ${(gdbS + pipeS).toFixed(3)} s`);

  // End to end from a cold start: the real CLI, `arenascope strings --region`,
  // median of a few runs (process start, module load, maps, scan, printing).
  const cli = join(here, '../../bin/arenascope.js');
  const cliRuns = [];
  for (let i = 0; i < 9; i++) {
    const t = process.hrtime.bigint();
    execFileSync(process.execPath, [cli, 'strings', String(child.pid), '--region', `0x${base.toString(16)}`, '--encoding', 'ascii', '--top', '50'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
    cliRuns.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  cliRuns.sort((x, y) => x - y);
  const cliS = cliRuns[Math.floor(cliRuns.length / 2)];
  const t4 = process.hrtime.bigint();
  execFileSync(process.execPath, ['-e', '0']);
  const bareNodeS = Number(process.hrtime.bigint() - t4) / 1e9;
  console.log(`(d) arenascope strings --region (CLI, end to end): ${cliS.toFixed(3)} s  ${((gdbS + pipeS) / cliS).toFixed(1)}x faster than (c) (target >= 8x); an empty node process takes ${bareNodeS.toFixed(3)} s`);
  console.log(`    in process, read + scan + histogram vs bare read: ${(bare.seconds / ascii.seconds).toFixed(2)}x the bare rate (target >= 0.5x)`);
} finally {
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
