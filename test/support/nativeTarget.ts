// Builds a C target with gcc (cached by content hash) and runs it until it
// prints its READY line. stop() always kills it.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectorEnv } from './sanitizer.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const binDir = join(repoRoot, 'test', '.cache', 'bin', 'foundation');

export function buildC(source: string, extraFlags: string[] = []): string {
  const src = join(repoRoot, source);
  const hash = createHash('sha256').update(readFileSync(src)).update(extraFlags.join(' ')).digest('hex').slice(0, 12);
  const out = join(binDir, `${source.replace(/[/.]/g, '_')}-${hash}`);
  if (!existsSync(out)) {
    mkdirSync(binDir, { recursive: true });
    // Built aside and renamed into place: a test file running in parallel never starts a half-written binary.
    const partial = `${out}.${process.pid}.tmp`;
    execFileSync('gcc', ['-O1', '-g', '-pthread', '-o', partial, src, ...extraFlags], { stdio: 'inherit' });
    renameSync(partial, out);
  }
  return out;
}

export interface RunningTarget {
  pid: number;
  /** Words of the READY line after "READY <pid>". */
  fields: string[];
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startNative(binary: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningTarget> {
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${binary} did not print READY`)), 20000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /READY[^\n]*\n/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m[0].trim());
      }
    });
    child.on('exit', (code) => reject(new Error(`${binary} exited with ${code} before READY`)));
  });
  const words = line.split(/\s+/);
  return {
    // "READY <pid>" from our targets; a bare "READY" (python3, java) is the child itself.
    pid: words[1] !== undefined ? Number(words[1]) : child.pid!,
    fields: words.slice(2),
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await gone;
      }
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (bin/arenascope.js) as a separate process. */
export async function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number; onSpawn?: (c: ChildProcess) => void } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'arenascope.js'), ...args], {
    env: { ...inspectorEnv(), NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
  });
  options.onSpawn?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Killed by a signal: 128 + its number, as a shell reports it.
  const code = await new Promise<number>((resolve) => child.on('close', (c, sig) => resolve(c ?? (sig ? 128 + constants.signals[sig] : 1))));
  return { code, stdout, stderr };
}

/** /proc/PID/status fields as text. */
export function procStatus(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}
