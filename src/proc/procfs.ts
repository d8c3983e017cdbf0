// Shared /proc access: read a file of one process, turning "the process is
// gone" and "not allowed" into ArenascopeError with the right code.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { ArenascopeError, permissionHint } from '../errors.js';

export const procRoot = process.env.ARENASCOPE_PROC ?? '/proc';

export function procPath(pid: number, ...parts: string[]): string {
  return [procRoot, String(pid), ...parts].join('/');
}

function translate(err: unknown, pid: number, what: string): never {
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ESRCH') {
    throw new ArenascopeError('ESRCH', `no process with pid ${pid} (it may have exited)`, 3);
  }
  if (code === 'EACCES' || code === 'EPERM') {
    throw new ArenascopeError('EPERM', `no permission to read ${what} of pid ${pid}: ${permissionHint}`, 1);
  }
  throw new ArenascopeError('EIO', `cannot read ${what} of pid ${pid}: ${(err as Error).message}`);
}

export function readProcText(pid: number, file: string): string {
  try {
    return readFileSync(procPath(pid, file), 'utf8');
  } catch (err) {
    return translate(err, pid, file);
  }
}

export function readProcBytes(pid: number, file: string): Buffer {
  try {
    return readFileSync(procPath(pid, file));
  } catch (err) {
    return translate(err, pid, file);
  }
}

/** Like readProcText but returns null when the file (or a thread) vanished or is not readable. */
export function tryReadProcText(pid: number, file: string): string | null {
  try {
    return readFileSync(procPath(pid, file), 'utf8');
  } catch {
    return null;
  }
}

export function readProcLink(pid: number, file: string): string | null {
  try {
    return readlinkSync(procPath(pid, file));
  } catch {
    return null;
  }
}

export function listProcDir(pid: number, dir: string): string[] {
  try {
    return readdirSync(procPath(pid, dir));
  } catch (err) {
    return translate(err, pid, dir);
  }
}

/** Throws ESRCH when the pid does not exist, EPERM when it exists but is not ours to read. */
export function assertProcessExists(pid: number): void {
  readProcText(pid, 'stat');
}
