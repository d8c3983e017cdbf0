#!/usr/bin/env node
// Builds the libFuzzer harnesses under native/fuzz/ and runs each for a while.
//
//   node scripts/fuzz/run.mjs --seconds 20                 # every harness, 20 s each
//   node scripts/fuzz/run.mjs --seconds 600 --target image-source
//   node scripts/fuzz/run.mjs --replay                     # regressions + seeds only, no fuzzing
//   node scripts/fuzz/run.mjs --list
//
// Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev). For every
// harness, in order:
//   1. build build-fuzz/<name> with -fsanitize=fuzzer,address,undefined (cached by content hash);
//   2. replay every committed crash reproducer in test/fuzz-regressions/<name>/
//      (each must now run clean) and every committed seed in test/fuzz-corpus/<name>/;
//   3. fuzz for --seconds, nice'd, starting from the seeds plus what earlier
//      local runs found (build-fuzz/corpus/<name>/, not committed).
// A crash, timeout, leak or out-of-memory stops the run: its reproducer is
// copied into test/fuzz-regressions/<name>/ (commit it with the fix) and the
// script exits 1. Exit 0 means every harness ran clean.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Not under build/: `npm install` runs `node-gyp rebuild`, which deletes build/
// and with it what earlier runs found.
const outRoot = join(root, 'build-fuzz');

/**
 * Harnesses: the C++ file, the native source directories it links (every .cc
 * in them; nothing N-API), and the largest input libFuzzer may generate.
 */
export const harnesses = {
  'image-source': {
    harness: 'native/fuzz/fuzz_image_source.cc',
    sources: ['native/memory'],
    maxLen: 4096,
    about: 'ImageMemorySource + CachedReader against a model of the image',
  },
  'process-source': {
    harness: 'native/fuzz/fuzz_process_source.cc',
    sources: ['native/memory'],
    maxLen: 512,
    about: 'ProcessMemorySource (process_vm_readv) over PROT_NONE patterns in its own memory',
  },
  ptmalloc: {
    harness: 'native/fuzz/fuzz_ptmalloc.cc',
    sources: ['native/memory', 'native/ptmalloc'],
    // the largest real seed (scripts/fuzz/capture-seeds.mjs) is just under 1 MiB
    maxLen: 1 << 20,
    about: 'walkArenas, scanForMainArena/MallocPar, readHeapInfo over images seeded from real heaps, any known layout',
  },
  strings: {
    // written with the scanner (native/strings): counts checked against a byte-at-a-time scanner
    harness: 'native/fuzz/strings_scan_fuzz.cc',
    // chunk_map.cc: the walker's chunk map the scanner reads
    sources: ['native/memory', 'native/strings', 'native/ptmalloc/chunk_map.cc'],
    defines: ['ARENASCOPE_LIBFUZZER'],
    maxLen: 16384,
    about: 'scanStrings with random options, segments, chunk maps and grep against a naive scanner',
  },
  grep: {
    harness: 'native/fuzz/fuzz_grep.cc',
    sources: ['native/memory', 'native/strings', 'native/ptmalloc/chunk_map.cc'],
    maxLen: 512,
    about: 'StringGrep (literal path, required-literal prefilter, lazy DFA, verdict cache) against std::regex_search',
  },
};

const compileFlags = [
  '-std=c++17',
  '-g',
  '-O1',
  '-fno-omit-frame-pointer',
  '-fsanitize=fuzzer,address,undefined',
  // every UBSan finding is a crash, not a warning
  '-fno-sanitize-recover=all',
  '-pthread',
  '-Inative',
];

function log(msg) {
  process.stderr.write(`fuzz: ${msg}\n`);
}

function parseArgs(argv) {
  const opts = { seconds: 20, targets: [], replay: false, list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seconds') opts.seconds = Number(argv[++i]);
    else if (a === '--target') opts.targets.push(argv[++i]);
    else if (a === '--replay') opts.replay = true;
    else if (a === '--list') opts.list = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.seconds) || opts.seconds < 1) throw new Error('--seconds must be a positive integer');
  for (const t of opts.targets) if (!harnesses[t]) throw new Error(`unknown target ${t}; known: ${Object.keys(harnesses).join(', ')}`);
  if (opts.targets.length === 0) opts.targets = Object.keys(harnesses);
  return opts;
}

function findClang() {
  for (const cxx of ['clang++', 'clang++-14']) {
    try {
      execFileSync(cxx, ['--version'], { stdio: 'ignore' });
      return cxx;
    } catch {
      // try the next name
    }
  }
  throw new Error('clang++ not found (Debian: apt-get install clang libclang-rt-14-dev)');
}

function sourcesOf(spec) {
  const files = [spec.harness];
  for (const dir of spec.sources) {
    if (dir.endsWith('.cc')) {
      files.push(dir); // one file of another module
      continue;
    }
    for (const f of readdirSync(join(root, dir)).sort()) if (f.endsWith('.cc')) files.push(join(dir, f));
  }
  return files;
}

/** Every header and source under native/ the harness could include, for the cache key. */
function nativeHash(files, flags, cxx) {
  const h = createHash('sha256').update(cxx).update(flags.join(' '));
  for (const f of files) h.update(f).update(readFileSync(join(root, f)));
  for (const f of readdirSync(join(root, 'native'), { recursive: true }).map(String).sort()) {
    if (f.endsWith('.h')) h.update(f).update(readFileSync(join(root, 'native', f)));
  }
  return h.digest('hex');
}

function build(name, cxx) {
  const spec = harnesses[name];
  const files = sourcesOf(spec);
  const bin = join(outRoot, name);
  const stamp = `${bin}.sha256`;
  const defines = (spec.defines ?? []).map((d) => `-D${d}`);
  const hash = nativeHash(files, [...compileFlags, ...defines], cxx);
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return bin;
  mkdirSync(outRoot, { recursive: true });
  log(`building ${relative(root, bin)} from ${files.join(' ')}`);
  execFileSync('nice', ['-n', '10', cxx, ...compileFlags, ...defines, '-o', bin, ...files], { cwd: root, stdio: 'inherit' });
  writeFileSync(stamp, hash);
  return bin;
}

function filesIn(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.') && f !== 'README.md')
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

const sanitizerEnv = {
  ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1:allocator_may_return_null=1',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};

/**
 * Runs the fuzzer binary; resolves with its exit code and combined output
 * (the whole output also goes to logFile as it comes, to follow a long run).
 */
function runFuzzer(bin, args, logFile) {
  return new Promise((resolve) => {
    const child = spawn('nice', ['-n', '10', bin, ...args], { cwd: root, env: { ...process.env, ...sanitizerEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = logFile ? createWriteStream(logFile) : null;
    let out = '';
    const collect = (d) => {
      log?.write(d);
      out += d.toString();
      if (out.length > 4_000_000) out = out.slice(-2_000_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('close', (code, signal) => {
      log?.end();
      resolve({ code: code ?? 128, signal, out });
    });
  });
}

function lastMatch(text, re) {
  let m;
  let last = null;
  const g = new RegExp(re.source, 'g');
  while ((m = g.exec(text))) last = m;
  return last;
}

function saveReproducers(name, artifactDir) {
  const regressions = join(root, 'test', 'fuzz-regressions', name);
  mkdirSync(regressions, { recursive: true });
  const saved = [];
  for (const f of filesIn(artifactDir)) {
    const dest = join(regressions, basename(f));
    copyFileSync(f, dest);
    saved.push(relative(root, dest));
  }
  return saved;
}

async function fuzzOne(name, cxx, opts) {
  const spec = harnesses[name];
  const bin = build(name, cxx);
  const artifactDir = join(outRoot, 'artifacts', name);
  rmSync(artifactDir, { recursive: true, force: true });
  mkdirSync(artifactDir, { recursive: true });
  const common = [`-max_len=${spec.maxLen}`, '-timeout=10', '-rss_limit_mb=2048', `-artifact_prefix=${artifactDir}/`];

  const regressions = filesIn(join(root, 'test', 'fuzz-regressions', name));
  const seedDir = join(root, 'test', 'fuzz-corpus', name);
  const seeds = filesIn(seedDir);
  const replay = [...regressions, ...seeds];
  if (replay.length) {
    // Files given as arguments are executed once each, without mutation.
    const r = await runFuzzer(bin, [...common, ...replay]);
    if (r.code !== 0) {
      process.stderr.write(r.out.slice(-8000));
      throw new Error(`${name}: replaying ${regressions.length} regression input(s) and ${seeds.length} seed(s) failed`);
    }
    log(`${name}: replayed ${regressions.length} regression input(s) and ${seeds.length} seed(s) clean`);
  }
  if (opts.replay) return { name, replayed: replay.length };

  const workCorpus = join(outRoot, 'corpus', name);
  mkdirSync(workCorpus, { recursive: true });
  const dirs = [workCorpus, ...(seeds.length ? [seedDir] : [])];
  log(`${name}: ${spec.about}`);
  const logFile = join(outRoot, `${name}.log`);
  log(`${name}: fuzzing ${opts.seconds} s, output in ${relative(root, logFile)}`);
  const r = await runFuzzer(bin, [...common, `-max_total_time=${opts.seconds}`, '-print_final_stats=1', '-reload=0', ...dirs], logFile);
  const done = lastMatch(r.out, /#(\d+)\s+(?:DONE|pulse|NEW|REDUCE|INITED)\s+cov: (\d+) ft: (\d+) corp: (\d+)\/(\S+)/);
  const execs = Number(lastMatch(r.out, /stat::number_of_executed_units:\s+(\d+)/)?.[1] ?? done?.[1] ?? 0);
  const summary = {
    name,
    seconds: opts.seconds,
    execs,
    execsPerSecond: Number(lastMatch(r.out, /stat::average_exec_per_sec:\s+(\d+)/)?.[1] ?? 0),
    cov: Number(done?.[2] ?? 0),
    ft: Number(done?.[3] ?? 0),
    corpus: Number(done?.[4] ?? 0),
    peakRssMb: Number(lastMatch(r.out, /stat::peak_rss_mb:\s+(\d+)/)?.[1] ?? 0),
  };
  if (r.code !== 0) {
    process.stderr.write(r.out.slice(-12000));
    const saved = saveReproducers(name, artifactDir);
    throw new Error(`${name}: the fuzzer failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}); reproducer(s) saved: ${saved.join(', ') || 'none'} — fix the bug and commit them`);
  }
  return summary;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.list) {
    for (const [name, spec] of Object.entries(harnesses)) process.stdout.write(`${name.padEnd(16)} ${spec.about}\n`);
    return;
  }
  const cxx = findClang();
  const results = [];
  // One harness at a time: the machine's cores are shared.
  for (const name of opts.targets) results.push(await fuzzOne(name, cxx, opts));
  for (const r of results) {
    if (r.execs !== undefined) {
      log(`${r.name}: ${r.execs} execs (${r.execsPerSecond}/s) in ${r.seconds} s, cov ${r.cov}, ft ${r.ft}, corpus ${r.corpus}, peak ${r.peakRssMb} MB, no crash`);
    }
  }
  if (process.env.FUZZ_SUMMARY_JSON) writeFileSync(process.env.FUZZ_SUMMARY_JSON, JSON.stringify(results, null, 2) + '\n');
}

main().catch((err) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
