// The inspector's own peak memory (VmHWM of the CLI process, from wait4's
// ru_maxrss through test/targets/reliability/peak_rss.c) against targets with
// several GiB resident, next to each command's bound in the memory contract
// (README, "The observer stays lighter than the observed"; the same bounds
// as scripts/bench/cost.mjs).
//
//   node scripts/bench/memory-bound.mjs [--gib N]       (default 3)
//
// dump:    one N GiB resident anonymous region (test/targets/foundation/region.c)
// arenas:  N GiB of small chunks in two arenas, a quarter of them on free
//          lists in shuffled order (test/targets/reliability/busy_heap.c)
// strings: the same heap, every arena (walk + chunk map + scan)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, root, start } from './lib.mjs';

const capMiB = { dump: 96, arenas: 96, report: 128, strings: 160 };

function parseArgs(argv) {
  let gib = 3;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--gib') gib = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!(gib > 0)) throw new Error('--gib must be positive');
  return { gib };
}

function measure(peakRss, args) {
  const dir = mkdtempSync(join(tmpdir(), 'arenascope-membench-'));
  try {
    const out = join(dir, 'peak');
    const t0 = process.hrtime.bigint();
    const r = spawnSync(peakRss, [out, 'nice', '-n', '5', process.execPath, join(root, 'bin', 'arenascope.js'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`arenascope ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return { peakMiB: Number(readFileSync(out, 'utf8').trim()) / 1024, seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let broken = false;
function row(what, cap, m) {
  const verdict = m.peakMiB <= cap ? 'within' : 'ABOVE';
  if (m.peakMiB > cap) broken = true;
  console.log(`${what.padEnd(44)} peak ${m.peakMiB.toFixed(0).padStart(6)} MiB  ${m.seconds.toFixed(1).padStart(6)} s  (${verdict} ${cap} MiB)`);
}

async function main() {
  const { gib } = parseArgs(process.argv.slice(2));
  const peakRss = build('test/targets/reliability/peak_rss.c', 'peak_rss');
  const region = build('test/targets/foundation/region.c', 'region');
  const busyHeap = build('test/targets/reliability/busy_heap.c', 'busy_heap');
  const outDir = mkdtempSync(join(tmpdir(), 'arenascope-membench-out-'));
  try {
    const big = await start(region, [String((gib * 2 ** 30) / 4096)]);
    try {
      const status = readFileSync(`/proc/${big.pid}/status`, 'utf8');
      const rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
      const maps = JSON.parse(spawnSync(process.execPath, [join(root, 'bin', 'arenascope.js'), 'maps', String(big.pid), '--json', '--sort', 'rss']).stdout);
      const region0 = maps.regions[0];
      console.log(`target: ${gib} GiB region, ${rss.toFixed(0)} MiB resident`);
      row(`dump ${gib} GiB`, capMiB.dump, measure(peakRss, ['dump', String(big.pid), region0.start, region0.end, '-o', join(outDir, 'big.bin')]));
      rmSync(join(outDir, 'big.bin'), { force: true });
    } finally {
      big.stop();
    }
    const heap = await start(busyHeap, [String(gib * 1024), '1', 'shuffled']);
    try {
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${heap.pid}/status`, 'utf8'))[1]) / 1024;
      console.log(`target: ${gib} GiB of small chunks in 2 arenas, shuffled free lists, ${rss.toFixed(0)} MiB resident`);
      row('arenas', capMiB.arenas, measure(peakRss, ['arenas', String(heap.pid)]));
      row('arenas --bins --histogram', capMiB.arenas, measure(peakRss, ['arenas', String(heap.pid), '--bins', '--histogram']));
      row('report', capMiB.report, measure(peakRss, ['report', String(heap.pid), '--no-attach']));
      row('strings (every arena: walk + chunk map + scan)', capMiB.strings, measure(peakRss, ['strings', String(heap.pid)]));
      const maps = JSON.parse(spawnSync(process.execPath, [join(root, 'bin', 'arenascope.js'), 'maps', String(heap.pid), '--json', '--sort', 'rss']).stdout);
      const biggest = maps.regions[0];
      row('strings --live', capMiB.strings, measure(peakRss, ['strings', String(heap.pid), '--live']));
      row('strings --region (scan only, no walk)', capMiB.strings, measure(peakRss, ['strings', String(heap.pid), '--region', biggest.start]));
    } finally {
      heap.stop();
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  if (broken) {
    console.log('memory contract broken');
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
