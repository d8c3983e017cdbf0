// The inspector's own cost against its contract (README "The observer stays
// lighter than the observed"): peak RSS (wait4's ru_maxrss, through
// test/targets/reliability/peak_rss.c) and wall time of every command on a
// heap of >= 10 million chunks, each next to a bare process_vm_readv of the
// same bytes measured in the same run (scripts/bench/targets/bare_read.c).
//
//   node scripts/bench/cost.mjs                   # 626 MiB, ~11 M chunks, main arena
//   node scripts/bench/cost.mjs --mib 3072 --threads 1
//   node scripts/bench/cost.mjs --runs 3 --check  # median of 3; exit 1 if a bound is broken
//
// Bounds are the contract's; a ratio is the command's median wall time over
// the bare read's median. Timings never go in tests: this is where they live.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, median, root, start } from './lib.mjs';

const MiB = 1024 * 1024;
const contract = {
  arenas: { peakMiB: 96, ratio: 8 },
  report: { peakMiB: 128, ratio: 12 },
  strings: { peakMiB: 160, ratio: null },
  'strings --live': { peakMiB: 160, ratio: 16 },
  'strings --free': { peakMiB: 160, ratio: null },
  dump: { peakMiB: 96, ratio: null },
};

function parseArgs(argv) {
  const o = { mib: 626, threads: 0, runs: 1, check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--mib') o.mib = Number(argv[++i]);
    else if (a === '--threads') o.threads = Number(argv[++i]);
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--check') o.check = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const cli = join(root, 'bin', 'arenascope.js');

function measure(peakRss, args) {
  const dir = mkdtempSync(join(tmpdir(), 'arenascope-cost-'));
  try {
    const out = join(dir, 'peak');
    const t0 = process.hrtime.bigint();
    const r = spawnSync(peakRss, [out, process.execPath, cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * MiB });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`arenascope ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return { peakMiB: Number(readFileSync(out, 'utf8').trim()) / 1024, seconds, stdout: r.stdout.toString() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function bare(bareRead, pid, ranges) {
  const r = spawnSync(bareRead, [String(pid), ...ranges.flatMap((x) => [String(x.start), String(x.end)])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bare_read failed: ${r.stderr}`);
  const [bytes, ns] = r.stdout.trim().split(' ').map(Number);
  return { bytes, seconds: ns / 1e9 };
}

function row(name, m, bareSeconds, bound) {
  const ratio = m.seconds / bareSeconds;
  const peakOk = m.peakMiB <= bound.peakMiB;
  const ratioOk = bound.ratio === null || ratio <= bound.ratio;
  console.log(
    `${name.padEnd(16)} peak ${m.peakMiB.toFixed(0).padStart(5)} MiB (<= ${String(bound.peakMiB).padStart(3)})  ` +
      `${m.seconds.toFixed(2).padStart(6)} s  ${ratio.toFixed(1).padStart(5)}x bare${bound.ratio === null ? '          ' : ` (<= ${String(bound.ratio).padStart(2)}x)`}  ` +
      `${peakOk && ratioOk ? 'ok' : 'BROKEN'}`,
  );
  return peakOk && ratioOk;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const peakRss = build('test/targets/reliability/peak_rss.c', 'peak_rss');
  const busyHeap = build('test/targets/reliability/busy_heap.c', 'busy_heap');
  const bareRead = build('scripts/bench/targets/bare_read.c', 'bare_read');
  const outDir = mkdtempSync(join(tmpdir(), 'arenascope-cost-out-'));
  const target = await start(busyHeap, [String(o.mib), String(o.threads), 'shuffled', 'small']);
  let ok = true;
  try {
    const first = JSON.parse(measure(peakRss, ['arenas', String(target.pid), '--json']).stdout);
    const chunks = first.totals.inUse.chunks + first.totals.free.chunks;
    const heaps = first.arenas.flatMap((a) => a.heaps.map((h) => ({ start: parseInt(h.start, 16), end: parseInt(h.start, 16) + h.size })));
    const heapBytes = heaps.reduce((s, h) => s + h.end - h.start, 0);
    const biggest = [...heaps].sort((a, b) => b.end - b.start - (a.end - a.start))[0];
    console.log(`target: busy_heap ${o.mib} MiB of small chunks, ${o.threads} thread arena(s): ${(chunks / 1e6).toFixed(1)} M chunks in ${(heapBytes / MiB).toFixed(0)} MiB of heap`);
    const bareAll = median(Array.from({ length: Math.max(3, o.runs) }, () => bare(bareRead, target.pid, heaps).seconds));
    const bareBiggest = median(Array.from({ length: Math.max(3, o.runs) }, () => bare(bareRead, target.pid, [biggest]).seconds));
    console.log(`bare read of every heap: ${bareAll.toFixed(3)} s (${(heapBytes / MiB / bareAll).toFixed(0)} MiB/s); of the largest heap: ${bareBiggest.toFixed(3)} s`);
    const runs = (args) => {
      const all = Array.from({ length: o.runs }, () => measure(peakRss, args));
      return { peakMiB: Math.max(...all.map((m) => m.peakMiB)), seconds: median(all.map((m) => m.seconds)), stdout: all[0].stdout };
    };
    const pid = String(target.pid);
    ok = row('arenas', runs(['arenas', pid, '--json']), bareAll, contract.arenas) && ok;
    ok = row('report', runs(['report', pid, '--json', '--no-attach']), bareAll, contract.report) && ok;
    ok = row('strings', runs(['strings', pid, '--json']), bareAll, contract.strings) && ok;
    ok = row('strings --live', runs(['strings', pid, '--json', '--live']), bareAll, contract['strings --live']) && ok;
    ok = row('strings --free', runs(['strings', pid, '--json', '--free']), bareAll, contract['strings --free']) && ok;
    const dumpFile = join(outDir, 'heap.bin');
    const dump = runs(['dump', pid, `0x${biggest.start.toString(16)}`, `0x${biggest.end.toString(16)}`, '-o', dumpFile, '--force']);
    ok = row('dump', dump, bareBiggest, contract.dump) && ok;
    const frozen = JSON.parse(measure(peakRss, ['arenas', pid, '--json', '--freeze']).stdout);
    const walk = runs(['arenas', pid, '--json']).seconds;
    console.log(`arenas --freeze: target stopped ${frozen.freeze.stoppedMs.toFixed(0)} ms; the whole command (discovery, walk, output) takes ${(walk * 1000).toFixed(0)} ms unfrozen`);
  } finally {
    target.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
  if (o.check && !ok) {
    console.log('contract broken');
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
