// Benchmark: dump one fully resident 64 MiB arena heap with arenascope and with
// gdb (`dump memory`), in the same run, and report wall time and how long each
// stopped the target (from the target's own heartbeat).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { arenaHeapOf, build, Heartbeat, median, root, sleep, start, timeCommand } from './lib.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 5);
const hbPath = join('/dev/shm', `arenascope-bench-${process.pid}`);
const bin = build('scripts/bench/targets/resident-arena.c', 'resident-arena');
const target = await start(bin, [hbPath, '63']);
const hb = new Heartbeat(hbPath);
try {
  const heap = arenaHeapOf(target.pid);
  console.log(`target ${target.pid}: arena heap ${heap.start}-${heap.end}, ${(heap.size / 2 ** 20).toFixed(1)} MiB, ${(heap.rss / 2 ** 20).toFixed(1)} MiB resident`);
  const out = (n) => join(tmpdir(), `arenascope-bench-${process.pid}-${n}`);
  const measure = async (label, fn) => {
    const times = [];
    const stops = [];
    for (let i = 0; i < runs; i++) {
      hb.reset();
      await sleep(20);
      times.push(fn(i));
      await sleep(20);
      stops.push(hb.maxGapMs());
    }
    return { label, ms: median(times), stopMs: median(stops) };
  };
  const cli = join(root, 'bin/arenascope.js');
  const results = [];
  results.push(
    await measure('gdb dump memory', (i) => {
      const f = out(`gdb${i}`);
      const r = timeCommand('gdb', ['--batch', '--nx', '--pid', String(target.pid), '-ex', `dump memory ${f} ${heap.start} ${heap.end}`]);
      rmSync(f, { force: true });
      return r.ms;
    }),
  );
  for (const freeze of [false, true]) {
    results.push(
      await measure(`arenascope dump${freeze ? ' --freeze' : ''}`, (i) => {
        const f = out(`as${i}`);
        const r = timeCommand(process.execPath, [cli, 'dump', String(target.pid), heap.start, heap.end, '-o', f, '--force', ...(freeze ? ['--freeze'] : [])]);
        rmSync(f, { force: true });
        rmSync(`${f}.json`, { force: true });
        return r.ms;
      }),
    );
  }
  const gdb = results[0];
  console.log(`\n${'tool'.padEnd(26)} ${'wall ms'.padStart(9)} ${'target stopped ms'.padStart(18)} ${'speed-up vs gdb'.padStart(16)}`);
  for (const r of results) {
    console.log(`${r.label.padEnd(26)} ${r.ms.toFixed(1).padStart(9)} ${r.stopMs.toFixed(1).padStart(18)} ${(gdb.ms / r.ms).toFixed(2).padStart(15)}x`);
  }
  console.log('\n(heartbeat ticks every 0.2 ms; a "stop" below ~1 ms is scheduling noise, not a stop)');
} finally {
  target.stop();
  rmSync(hbPath, { force: true });
}
