// Shared by the report tests: compile C targets once, spawn them, talk to
// them line by line, and read exact RSS figures from /proc.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeChunkTable, type ChunkRecord, type ChunkStateValue } from '../helpers/chunkTable.js';
import type { ArenaLayout } from '../../src/analysis/residency.js';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../..');
export const targetsDir = join(repoRoot, 'test/targets/report');
export const cacheDir = join(repoRoot, 'test/.cache/report');

/** Compiles test/targets/java/*.java (when a source is newer than its class) and returns the class directory. */
export function compileJavaTarget(): string {
  const javaDir = join(repoRoot, 'test/targets/java');
  const classDir = join(cacheDir, 'java');
  mkdirSync(classDir, { recursive: true });
  const sources = readdirSync(javaDir).filter((f) => f.endsWith('.java'));
  const stale = sources.some((f) => {
    const cls = join(classDir, f.replace(/\.java$/, '.class'));
    return !existsSync(cls) || statSync(cls).mtimeMs < statSync(join(javaDir, f)).mtimeMs;
  });
  if (stale) execFileSync('javac', ['-d', classDir, ...sources.map((f) => join(javaDir, f))], { stdio: 'pipe' });
  return classDir;
}

/** Compiles test/targets/report/NAME.c (when newer than the binary) and returns the binary path. */
export function buildTarget(name: string, extraFlags: string[] = [], compiler = 'gcc', suffix = ''): string {
  mkdirSync(cacheDir, { recursive: true });
  const src = join(targetsDir, `${name}.c`);
  const bin = join(cacheDir, name + suffix);
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    // Built aside and renamed into place: another test file starting the same
    // target meanwhile runs the old binary or the new one, never a half-written one.
    const partial = `${bin}.${process.pid}.tmp`;
    execFileSync(compiler, ['-O1', '-g', '-Wall', '-o', partial, src, '-pthread', ...extraFlags], { stdio: 'pipe' });
    renameSync(partial, bin);
  }
  return bin;
}

export interface Target {
  child: ChildProcess;
  pid: number;
  /** Resolves with the next line the target prints. */
  nextLine(): Promise<string>;
  /** Lines up to (not including) one equal to `end`. */
  linesUntil(end: string): Promise<string[]>;
  send(line: string): void;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

export function spawnTarget(bin: string, args: string[], env: Record<string, string> = {}, options: SpawnOptions = {}): Target {
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, ...options });
  running.add(child);
  let buffered = '';
  const lines: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  let closed = false;
  const failWaiters = (): void => {
    closed = true;
    while (waiters.length) waiters.shift()!('\u0000closed');
  };
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buffered += d;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  child.on('exit', failWaiters);
  const nextLine = (): Promise<string> =>
    new Promise((res, rej) => {
      const l = lines.shift();
      if (l !== undefined) return res(l);
      if (closed) return rej(new Error(`target ${bin} exited`));
      waiters.push((line) => (line === '\u0000closed' ? rej(new Error(`target ${bin} exited`)) : res(line)));
    });
  return {
    child,
    pid: child.pid!,
    nextLine,
    async linesUntil(end: string) {
      const out: string[] = [];
      for (;;) {
        const l = await nextLine();
        if (l === end) return out;
        out.push(l);
      }
    },
    send(line: string) {
      child.stdin!.write(line + '\n');
    },
    stop() {
      return new Promise<void>((res) => {
        running.delete(child);
        if (child.exitCode !== null || child.signalCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGKILL');
      });
    },
  };
}

export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (c) =>
        new Promise<void>((res) => {
          running.delete(c);
          if (c.exitCode !== null || c.signalCode !== null) return res();
          c.once('exit', () => res());
          c.kill('SIGKILL');
        }),
    ),
  );
}

/** Exact anonymous resident bytes: smaps_rollup walks the page tables (status's VmRSS is a batched per-cpu counter). */
export function anonymousBytes(pid: number): number {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const m = /^Anonymous:\s+(\d+) kB/m.exec(text);
  if (!m) throw new Error('no Anonymous line in smaps_rollup');
  return Number(m[1]) * 1024;
}

export function smapsRssSum(pid: number): number {
  const text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  let sum = 0;
  for (const m of text.matchAll(/^Rss:\s+(\d+) kB/gm)) sum += Number(m[1]) * 1024;
  return sum;
}

export interface SelfReport {
  arenas: ArenaLayout[];
  records: ChunkRecord[];
  table: Buffer;
}

/** Parses the trim target's "dump" output into arena layouts and a chunk table in the engine's format. */
export function parseSelfReport(lines: string[]): SelfReport {
  const arenas: ArenaLayout[] = [];
  const records: ChunkRecord[] = [];
  for (const line of lines) {
    const f = line.split(' ');
    if (f[0] === 'arena') {
      const [index, main, start, end, atBrk] = f.slice(1).map(Number) as [number, number, number, number, number];
      arenas.push({
        index,
        address: start,
        main: main === 1,
        ranges: [{ start, end }],
        // The brk heap reserves what it spans; a thread heap reserves heap_max (64 MiB).
        reserved: main === 1 ? end - start : 64 * 1024 * 1024,
        topEndsAtBreak: atBrk === 1,
      });
    } else if (f[0] === 'c') {
      const [arenaIndex, start, size, state] = f.slice(1).map(Number) as [number, number, number, number];
      records.push({ arenaIndex, start, size, state: state as ChunkStateValue });
    }
  }
  return { arenas, records, table: encodeChunkTable(records) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
