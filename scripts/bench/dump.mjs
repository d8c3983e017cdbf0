// Benchmark: dump one fully resident 64 MiB arena heap with arenascope and with
// gdb (`dump memory`), in the same run, and report wall time and how long each
// stopped the target (from the target's own heartbeat).
import { readFileSync, rmSync } from 'node:fs';
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
  // BENCH_OUT_DIR=/dev/shm takes the disk (and its write stalls) out of the comparison.
  const out = (n) => join(process.env.BENCH_OUT_DIR ?? tmpdir(), `arenascope-bench-${process.pid}-${n}`);
  const cli = join(root, 'bin/arenascope.js');
  const tools = [
    {
      label: 'gdb dump memory',
      run: (f) => ({ ms: timeCommand('gdb', ['--batch', '--nx', '--pid', String(target.pid), '-ex', `dump memory ${f} ${heap.start} ${heap.end}`]).ms }),
    },
    {
      // Control: the same CPU and disk load without touching the target, so
      // heartbeat gaps that come from scheduling on a small machine show as such.
      label: 'control (no target access)',
      run: (f) => {
        const load = `const c=require('crypto'),fs=require('fs');const b=c.randomBytes(${2 ** 20});const h=c.createHash('sha256');const fd=fs.openSync(process.argv[1],'w');for(let i=0;i<63;i++){h.update(b);fs.writeSync(fd,b)}h.digest()`;
        return { ms: timeCommand(process.execPath, ['-e', load, f]).ms };
      },
    },
    ...[false, true].map((freeze) => ({
      label: `arenascope dump${freeze ? ' --freeze' : ''}`,
      run: (f) => {
        const r = timeCommand(process.execPath, [cli, 'dump', String(target.pid), heap.start, heap.end, '-o', f, ...(freeze ? ['--freeze'] : [])]);
        // the record says how long the read itself took: the bound for a --freeze stop
        const { readMs } = JSON.parse(readFileSync(`${f}.json`, 'utf8'));
        return { ms: r.ms, readMs };
      },
    })),
  ];
  // Round-robin, so a filesystem stall (ext4 journal commits, writeback) hits
  // every tool alike instead of one tool's whole series.
  const samples = tools.map(() => ({ times: [], stops: [], reads: [] }));
  for (let i = 0; i < runs; i++) {
    for (const [t, tool] of tools.entries()) {
      const f = out(`${t}-${i}`);
      hb.reset();
      await sleep(20);
      const r = tool.run(f);
      await sleep(20);
      samples[t].stops.push(hb.maxGapMs());
      samples[t].times.push(r.ms);
      if (r.readMs !== undefined) samples[t].reads.push(r.readMs);
      rmSync(f, { force: true });
      rmSync(`${f}.json`, { force: true });
    }
  }
  const results = tools.map((tool, t) => ({
    label: tool.label,
    ms: median(samples[t].times),
    stopMs: median(samples[t].stops),
    readMs: samples[t].reads.length ? median(samples[t].reads) : null,
  }));
  const gdb = results[0];
  console.log(`\n${'tool'.padEnd(26)} ${'wall ms'.padStart(9)} ${'read ms'.padStart(9)} ${'target stopped ms'.padStart(18)} ${'speed-up vs gdb'.padStart(16)}`);
  for (const r of results) {
    const read = r.readMs === null ? '-' : r.readMs.toFixed(1);
    console.log(`${r.label.padEnd(26)} ${r.ms.toFixed(1).padStart(9)} ${read.padStart(9)} ${r.stopMs.toFixed(1).padStart(18)} ${(gdb.ms / r.ms).toFixed(2).padStart(15)}x`);
  }
  const frozen = results[3];
  console.log(`\ntargets: end to end >= 1.5x gdb: ${(gdb.ms / results[2].ms).toFixed(2)}x; --freeze stop / its read: ${(frozen.stopMs / frozen.readMs).toFixed(2)} (stop and resume of every thread come on top of the read)`);
  console.log("\n(heartbeat ticks every 0.2 ms; gaps as long as the control row's are scheduling, not a stop)");
} finally {
  target.stop();
  rmSync(hbPath, { force: true });
}
