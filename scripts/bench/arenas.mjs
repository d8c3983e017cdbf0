// Benchmark: `arenascope arenas` on (a) one arena holding a million live small
// chunks and (b) sixteen fully resident arenas, against (1) merely reading the
// same bytes with process_vm_readv in this process and (2) a gdb Python loop
// that reads each chunk's size field. Prints times and ratios.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, median, root, start, timeCommand } from './lib.mjs';

const { readMallocSnapshot } = await import(join(root, 'dist/engine/malloc.js'));
const { MemoryReader } = await import(join(root, 'dist/memory/reader.js'));
const { layoutTable } = await import(join(root, 'dist/glibc/layouts.js'));
const { layoutForNative } = await import(join(root, 'dist/engine/malloc.js'));
const { loadNative } = await import(join(root, 'dist/native/loader.js'));

/** The native walk alone, with what discovery found: the cost the 2x-of-bare-read target is about. */
async function walkOnly(pid, s) {
  const layout = layoutTable.find((r) => r.layout.name === s.layout).layout;
  const reader = MemoryReader.forProcess(pid);
  const t0 = process.hrtime.bigint();
  await loadNative().walkArenas(reader.native, layoutForNative(layout), { mainArena: s.mainArena, mp: s.mallocPar, heapMaxSize: s.heapMaxSize });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const runs = Number(process.env.BENCH_RUNS ?? 5);
const oracle = build('test/targets/oracle.c', 'oracle', ['-ldl']);
const cli = join(root, 'bin/arenascope.js');

async function bareRead(pid, snapshot) {
  const reader = MemoryReader.forProcess(pid);
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  for (const a of snapshot.arenas) {
    for (const h of a.heaps) {
      for (let at = h.start; at < h.start + h.size; at += 16 << 20) {
        const len = Math.min(16 << 20, h.start + h.size - at);
        await reader.readAsync(at, len);
        bytes += len;
      }
    }
  }
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes };
}

function gdbLoop(pid, heaps) {
  // Reads every chunk's size field, as a gdb user would script a heap walk.
  const py = join(tmpdir(), `arenascope-walk-${process.pid}.py`);
  writeFileSync(
    py,
    `import gdb, time, struct
inf = gdb.selected_inferior()
t0 = time.time()
n = 0
for (p, end) in [${heaps.map((h) => `(${h.first}, ${h.end})`).join(', ')}]:
    while p < end:
        size = struct.unpack('<Q', bytes(inf.read_memory(p + 8, 8)))[0] & ~7
        if size == 0:
            break
        p += size
        n += 1
print("WALK %d %.3f" % (n, time.time() - t0))
`,
  );
  const t0 = process.hrtime.bigint();
  const r = spawnSync('gdb', ['--batch', '--nx', '-p', String(pid), '-x', py], { encoding: 'utf8' });
  const total = Number(process.hrtime.bigint() - t0) / 1e6;
  rmSync(py, { force: true });
  const m = /WALK (\d+) ([\d.]+)/.exec(r.stdout);
  return { totalMs: total, walkMs: m ? Number(m[2]) * 1000 : NaN, chunks: m ? Number(m[1]) : 0 };
}

async function scenario(label, args) {
  const target = await start(oracle, ['--out', join(tmpdir(), `arenascope-bench-out-${process.pid}`), ...args]);
  try {
    const { snapshot } = await readMallocSnapshot(target.pid);
    const chunks = snapshot.arenas.reduce((t, a) => t + a.inUse.chunks + a.free.fastbins.chunks + a.free.tcache.chunks, 0);
    const inProc = [];
    const walks = [];
    const bare = [];
    const cliTimes = [];
    for (let i = 0; i < runs; i++) {
      bare.push((await bareRead(target.pid, snapshot)).ms);
      walks.push(await walkOnly(target.pid, snapshot));
      const t0 = process.hrtime.bigint();
      await readMallocSnapshot(target.pid);
      inProc.push(Number(process.hrtime.bigint() - t0) / 1e6);
      cliTimes.push(timeCommand(process.execPath, [cli, 'arenas', String(target.pid), '--json']).ms);
    }
    const gdb = gdbLoop(target.pid, snapshot.arenas.filter((a) => !a.main && a.heaps.length === 1).map((a) => ({ first: a.heaps[0].start + 0x8d0, end: a.top.address })));
    const bytes = snapshot.arenas.reduce((t, a) => t + a.heaps.reduce((s, h) => s + h.size, 0), 0);
    console.log(`\n${label}: ${snapshot.arenas.length} arenas, ${(bytes / 2 ** 20).toFixed(0)} MiB of heaps, ${chunks} chunks`);
    console.log(`  bare process_vm_readv of the heaps   ${median(bare).toFixed(1)} ms`);
    console.log(`  read + walk in process (native)      ${median(walks).toFixed(1)} ms   (${(median(walks) / median(bare)).toFixed(2)}x the bare read; target <= 2x)`);
    console.log(`  discovery + read + walk in process   ${median(inProc).toFixed(1)} ms`);
    console.log(`  arenascope arenas --json end to end  ${median(cliTimes).toFixed(1)} ms`);
    console.log(`  gdb python loop over the arenas      ${gdb.totalMs.toFixed(0)} ms total, walk alone ${gdb.walkMs.toFixed(0)} ms for ${gdb.chunks} chunks`);
    console.log(`  speed-up end to end vs gdb           ${(gdb.totalMs / median(cliTimes)).toFixed(1)}x (target >= 10x)`);
  } finally {
    target.stop();
  }
}

await scenario('one arena, a million live small chunks', ['--threads', '1', '--keep', '1000000', '--size', '24', '--keep-in', 'workers']);
await scenario('sixteen fully resident arenas', ['--threads', '16', '--keep', '60000', '--size', '1000', '--keep-in', 'workers']);
