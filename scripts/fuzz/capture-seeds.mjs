#!/usr/bin/env node
// Captures REAL glibc heap images from live test targets as seed inputs for
// the ptmalloc fuzzer (native/fuzz/fuzz_ptmalloc.cc reads this format).
//
//   node scripts/fuzz/capture-seeds.mjs [--out test/fuzz-corpus/ptmalloc]
//
// Needs the built project (npm install) and gcc. For each scenario it starts
// test/targets/oracle.c (or corrupt.c) under glibc 2.36 (the host), 2.31 or
// 2.41 (fetched by scripts/fetch-glibc.mjs), lets arenascope locate main_arena
// and mp_ exactly as `arenascope arenas` does, and reads with /proc/PID/mem:
//   - libc's writable mappings holding main_arena and mp_ (whole mappings, so
//     the symbol-free scans have something to find too),
//   - every heap of every arena from its start to one page past its top chunk
//     (the walk stops at top; what follows is untouched top space).
//
// Seed format (little-endian), also documented in fuzz_ptmalloc.cc:
//   u8 layout selector (the glibc minor version; other values pick a layout by index)
//   u8 flags (1 bins, 2 histogram, 4 chunks, 8 tcache detail, 16 no-tcache variant)
//   u8 segment count, u8 tcache hint count
//   u64 main_arena, u64 mp_, u64 heap_max, u64 &global_max_fast (0 = unknown)
//   u64 tcache hints...
//   per segment: u64 address, u32 length, length bytes
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchGlibc } from '../fetch-glibc.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const hostGlibc = execFileSync('getconf', ['GNU_LIBC_VERSION'], { encoding: 'utf8' }).match(/(\d+\.\d+)/)[1];

const allPatterns = 'tcache-full,tcache-partial,fastbin,bins';
const scenarios = [
  { name: 'host-patterns', target: 'oracle', glibc: hostGlibc, args: ['--threads', '2', '--keep', '20', '--size', '100', '--free-pattern', allPatterns], flags: 1 | 2 | 4 | 8 },
  { name: 'host-resident-free', target: 'oracle', glibc: hostGlibc, args: ['--threads', '1', '--free-pattern', 'fastbin,tcache-partial', '--resident-free', '200000'], flags: 1 | 4 },
  { name: 'host-plain', target: 'oracle', glibc: hostGlibc, args: ['--threads', '3'], flags: 0 },
  { name: '2.31-patterns', target: 'oracle', glibc: '2.31', args: ['--threads', '2', '--keep', '20', '--size', '100', '--free-pattern', allPatterns], flags: 1 | 2 | 4 | 8 },
  { name: '2.41-patterns', target: 'oracle', glibc: '2.41', args: ['--threads', '2', '--keep', '20', '--size', '100', '--free-pattern', allPatterns], flags: 1 | 2 | 4 | 8 },
  // Real corruption: the target damages its own heap (see test/README.md, corrupt).
  ...['size-huge', 'size-zero', 'smallbin-cycle', 'fastbin-wild', 'fastbin-cycle', 'tcache-wild'].flatMap((mode) =>
    ['main', 'thread'].map((arena) => ({ name: `corrupt-${mode}-${arena}`, target: 'corrupt', glibc: hostGlibc, args: ['--mode', mode, '--arena', arena], flags: 1 | 4 | 8 })),
  ),
];

function parseArgs(argv) {
  let out = join(root, 'test', 'fuzz-corpus', 'ptmalloc');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return { out };
}

function glibcLayout(version) {
  if (version === hostGlibc) return { loader: null, debugDir: null, sysroot: null };
  return fetchGlibc(version);
}

/** Compiles a test target for a glibc like test/helpers/targets.ts does (older releases link against their own sysroot). */
function buildTarget(name, version, layout) {
  const outDir = join(root, 'build', 'fuzz', 'targets', version);
  mkdirSync(outDir, { recursive: true });
  const bin = join(outDir, name);
  const flags = [];
  if (layout.sysroot && Number(version.split('.')[1]) < Number(hostGlibc.split('.')[1])) {
    const r = layout.sysroot;
    flags.push(`--sysroot=${r}`, `-B${r}/usr/lib/x86_64-linux-gnu/`, `-L${r}/usr/lib/x86_64-linux-gnu`, `-L${r}/lib/x86_64-linux-gnu`);
  }
  execFileSync('gcc', ['-O1', '-g', '-pthread', '-fno-builtin', '-Wall', ...flags, '-o', bin, join(root, 'test', 'targets', `${name}.c`), '-ldl'], {
    cwd: join(root, 'test', 'targets'),
    stdio: 'inherit',
  });
  return bin;
}

async function startTarget(bin, args, layout) {
  const argv = layout.loader ? [layout.loader, '--library-path', layout.libDir, bin, ...args] : [bin, ...args];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const pid = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /READY (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (c) => reject(new Error(`${bin} exited with ${c} before READY`)));
  });
  return { pid, stop: () => child.kill('SIGKILL') };
}

function readMem(pid, start, length) {
  const buf = Buffer.alloc(length);
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  try {
    for (let off = 0; off < length; off += 4096) {
      try {
        readSync(fd, buf, off, Math.min(4096, length - off), start + off);
      } catch {
        // unreadable page stays zero
      }
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}

function u64(v) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
}

function encodeSeed({ selector, flags, mainArena, mp, heapMax, globalMaxFast, tcacheHints, segments }) {
  const parts = [Buffer.from([selector, flags, segments.length, tcacheHints.length]), u64(mainArena), u64(mp), u64(heapMax), u64(globalMaxFast)];
  for (const t of tcacheHints) parts.push(u64(t));
  for (const s of segments) {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(s.data.length);
    parts.push(u64(s.address), len, s.data);
  }
  return Buffer.concat(parts);
}

async function capture(scenario, engine) {
  const layout = glibcLayout(scenario.glibc);
  const bin = buildTarget(scenario.target, scenario.glibc, layout);
  const outDir = mkdtempSync(join(tmpdir(), 'arenascope-seed-'));
  const args = scenario.target === 'oracle' ? ['--out', outDir, ...scenario.args] : scenario.args;
  const t = await startTarget(bin, args, layout);
  try {
    const { snapshot, regionMap } = await engine.readMallocSnapshot(t.pid, { debugDirs: layout.debugDir ? [layout.debugDir] : [] });
    const regions = regionMap.regions;
    const segments = [];
    const add = (start, end) => {
      if (end <= start) return;
      for (const s of segments) if (start < s.address + s.data.length && end > s.address) return; // already captured
      segments.push({ address: start, data: readMem(t.pid, start, end - start) });
    };
    for (const addr of [snapshot.mainArena, snapshot.mallocPar]) {
      const r = regions.find((x) => addr >= x.start && addr < x.end);
      if (!r) throw new Error(`${scenario.name}: no mapping holds 0x${addr.toString(16)}`);
      add(r.start, r.end);
    }
    for (const a of snapshot.arenas) {
      for (const h of a.heaps) {
        const heapEnd = h.start + h.size;
        const topInside = a.top.address >= h.start && a.top.address < heapEnd;
        add(h.start, topInside ? Math.min(heapEnd, a.top.address + 4096) : heapEnd);
      }
    }
    segments.sort((x, y) => x.address - y.address);
    const minor = Number(snapshot.glibcVersion.split('.')[1]);
    return encodeSeed({
      selector: minor,
      flags: scenario.flags,
      mainArena: snapshot.mainArena,
      mp: snapshot.mallocPar,
      heapMax: snapshot.heapMaxSize ?? 64 << 20,
      globalMaxFast: 0,
      tcacheHints: [],
      segments,
    });
  } finally {
    t.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function main() {
  const { out } = parseArgs(process.argv.slice(2));
  const engine = await import(join(root, 'dist', 'engine', 'malloc.js'));
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (f.startsWith('real-')) rmSync(join(out, f));
  for (const s of scenarios) {
    const seed = await capture(s, engine);
    const name = `real-${s.name}-${createHash('sha1').update(seed).digest('hex').slice(0, 8)}`;
    writeFileSync(join(out, name), seed);
    process.stderr.write(`capture-seeds: ${name} ${seed.length} bytes\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`capture-seeds: ${err instanceof Error ? err.stack : err}\n`);
  process.exit(1);
});
