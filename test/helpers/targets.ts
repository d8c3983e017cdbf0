// Builds the C test targets (test/targets/*.c) for a given glibc and runs them under it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildIdOf, debugFileFor, symbolValue } from '../support/libcSymbols.js';
import { compareGlibcVersions, ensureGlibc, hostGlibcVersion } from './glibc.js';
import { readTruth, type OracleTruth } from './truth.js';

const execFileAsync = promisify(execFile);

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const targetSourceDir = path.join(projectRoot, 'test', 'targets');
export const targetBinRoot = path.join(projectRoot, 'test', '.cache', 'bin');

/** Every buildable target: one test/targets/<name>.c each. */
export function targetNames(): string[] {
  return fs
    .readdirSync(targetSourceDir)
    .filter((f) => f.endsWith('.c'))
    .map((f) => f.slice(0, -2))
    .sort();
}

// -fno-builtin: gcc must not fold malloc/free pairs or memset+malloc in scenario code (the
// allocations are the point), nor treat the interposed definitions as builtins.
const commonFlags = ['-O1', '-g', '-pthread', '-fno-builtin', '-Wall'];

interface BuildPlan {
  version: string;
  flags: string[];
  /** Packages the sysroot came from, part of the cache key. */
  sysrootId: string;
}

function buildPlan(glibc: string | undefined): BuildPlan {
  const host = hostGlibcVersion();
  const version = glibc ?? host;
  if (compareGlibcVersions(version, host) >= 0) {
    // A binary linked against an older glibc runs on a newer one (symbol versioning).
    return { version, flags: [], sysrootId: `host-${host}` };
  }
  // Linked against the host's glibc the binary would need GLIBC_2.34 symbols
  // (__libc_start_main, pthread_create in libc) and fail to load; link against the old
  // release's own headers, crt files and libraries instead. -B/-L put the sysroot's crt
  // files and libraries ahead of gcc's built-in multiarch paths, which --sysroot alone
  // does not override on Debian's gcc.
  const layout = ensureGlibc(version);
  if (!layout.sysroot) throw new Error(`glibc ${version} has no sysroot to build against`);
  const root = layout.sysroot;
  return {
    version,
    flags: [
      `--sysroot=${root}`,
      `-B${root}/usr/lib/x86_64-linux-gnu/`,
      `-L${root}/usr/lib/x86_64-linux-gnu`,
      `-L${root}/lib/x86_64-linux-gnu`,
    ],
    sysrootId: `${layout.source}-${layout.packageVersion ?? ''}`,
  };
}

function sourceHash(name: string, plan: BuildPlan): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ commonFlags, flags: plan.flags, sysroot: plan.sysrootId }));
  hash.update(fs.readFileSync(path.join(targetSourceDir, `${name}.c`)));
  const libDir = path.join(targetSourceDir, 'lib');
  if (fs.existsSync(libDir)) {
    for (const f of fs.readdirSync(libDir).sort()) {
      hash.update(f);
      hash.update(fs.readFileSync(path.join(libDir, f)));
    }
  }
  return hash.digest('hex');
}

/**
 * Compiles test/targets/<name>.c for glibc `glibc` (default: the host's) into
 * test/.cache/bin/<version>/<name>, reusing the binary while sources and flags are unchanged.
 */
export async function buildTarget(name: string, options: { glibc?: string } = {}): Promise<string> {
  const source = path.join(targetSourceDir, `${name}.c`);
  if (!fs.existsSync(source)) throw new Error(`no target source ${source}`);
  const plan = buildPlan(options.glibc);
  const outDir = path.join(targetBinRoot, plan.version);
  const binary = path.join(outDir, name);
  const stampFile = `${binary}.sha256`;
  const hash = sourceHash(name, plan);
  if (fs.existsSync(binary) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === hash) {
    return binary;
  }
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = `${binary}.tmp-${process.pid}`;
  try {
    await execFileAsync('gcc', [...commonFlags, ...plan.flags, '-o', tmp, source, '-ldl'], {
      cwd: targetSourceDir,
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`building ${name} for glibc ${plan.version} failed:\n${stderr}`);
  }
  fs.renameSync(tmp, binary);
  fs.writeFileSync(stampFile, hash);
  return binary;
}

export interface StartOptions {
  /** glibc version to run under (default: the host's). Other versions run through their own loader. */
  glibc?: string;
  /** Extra environment (merged over process.env), e.g. { MALLOC_ARENA_MAX: '1' }. */
  env?: Record<string, string>;
  /** How long to wait for the READY line (default 30 s). */
  readyTimeoutMs?: number;
}

export interface RunningTarget {
  pid: number;
  /** Truth directory (the oracle's --out); removed by stop(). */
  outDir: string;
  glibc: string;
  binary: string;
  /** The argv actually executed (loader first when not the host glibc). */
  argv: string[];
  /** key=value fields that followed "READY <pid>" on the READY line. */
  ready: Record<string, string>;
  /** Reads the oracle's truth files (only meaningful for the oracle target). */
  truth(): OracleTruth;
  /** Writes one command line to the target's stdin. */
  send(command: string): void;
  /**
   * Resolves with the first stdout line after the previous waitFor's match that equals
   * `match` (string) or matches it (RegExp); rejects on timeout or target exit.
   */
  waitFor(match: string | RegExp, timeoutMs?: number): Promise<string>;
  stdoutLines(): string[];
  stderr(): string;
  /** Kills the target (SIGKILL) if it still runs, waits for it, removes outDir. */
  stop(): Promise<void>;
}

const tcacheTlsOffsets = new Map<string, number | null>();

/**
 * Where glibc `version` keeps a thread's `tcache` pointer in libc's TLS block: the TLS
 * symbol's value in libc's debug file (libc6-dbg), or null without one. The oracle reads
 * its threads' own tcache pointers with it (--tcache-tls).
 */
export function tcacheTlsOffset(version: string): number | null {
  if (!tcacheTlsOffsets.has(version)) {
    const layout = ensureGlibc(version);
    const debugFile = debugFileFor(layout.debugDir ?? '/usr/lib/debug', buildIdOf(path.join(layout.libDir, 'libc.so.6')));
    tcacheTlsOffsets.set(version, debugFile ? symbolValue(debugFile, 'tcache', 'TLS') : null);
  }
  return tcacheTlsOffsets.get(version) ?? null;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Builds (if needed) and starts a target; resolves once it printed READY. */
export async function startTarget(name: string, args: string[] = [], options: StartOptions = {}): Promise<RunningTarget> {
  const version = options.glibc ?? hostGlibcVersion();
  const binary = await buildTarget(name, { glibc: version });
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), `arenascope-${name}-`));
  let targetArgs = name === 'oracle' && !args.includes('--out') ? ['--out', outDir, ...args] : args;
  if (name === 'oracle' && !args.includes('--tcache-tls')) {
    const tls = tcacheTlsOffset(version);
    if (tls !== null) targetArgs = [...targetArgs, '--tcache-tls', String(tls)];
  }
  let argv = [binary, ...targetArgs];
  if (version !== hostGlibcVersion()) {
    const layout = ensureGlibc(version);
    argv = [layout.loader, '--library-path', layout.libDir, ...argv];
  }
  const child = spawn(argv[0] as string, argv.slice(1), {
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  let cursor = 0;
  let partial = '';
  let stderrText = '';
  let exited = false;
  let exitDescription = '';
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    notify();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderrText.length < 64 * 1024) stderrText += chunk;
  });
  // A dead target must not crash the test process through EPIPE on stdin.
  child.stdin.on('error', () => {});
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true;
      exitDescription = signal ? `signal ${signal}` : `exit code ${code}`;
      running.delete(child);
      notify();
      resolve();
    });
  });
  child.on('error', (err) => {
    exited = true;
    exitDescription = String(err);
    running.delete(child);
    notify();
  });

  const waitFor = (match: string | RegExp, timeoutMs = 30_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = () => {
        for (let i = cursor; i < lines.length; i++) {
          const line = lines[i] as string;
          if (typeof match === 'string' ? line === match : match.test(line)) {
            cursor = i + 1;
            finish();
            resolve(line);
            return;
          }
        }
        if (exited) {
          finish();
          reject(new Error(`${name} exited (${exitDescription}) before printing ${String(match)}; stderr: ${stderrText}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${name} did not print ${String(match)} within ${timeoutMs} ms; stderr: ${stderrText}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const stop = async () => {
    if (!exited) {
      child.kill('SIGKILL');
      await exitPromise;
    }
    fs.rmSync(outDir, { recursive: true, force: true });
  };

  let readyLine: string;
  try {
    readyLine = await waitFor(/^READY \d+/, options.readyTimeoutMs ?? 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const [, pidText, ...fields] = readyLine.split(/\s+/);
  const pid = Number(pidText);
  if (pid !== child.pid) {
    await stop();
    throw new Error(`${name} reported pid ${pid}, spawned ${child.pid}`);
  }
  const ready = Object.fromEntries(
    fields.filter((f) => f.includes('=')).map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]),
  );
  return {
    pid,
    outDir,
    glibc: version,
    binary,
    argv,
    ready,
    truth: () => readTruth(outDir),
    send: (command: string) => {
      child.stdin.write(`${command}\n`);
    },
    waitFor,
    stdoutLines: () => [...lines],
    stderr: () => stderrText,
    stop,
  };
}
