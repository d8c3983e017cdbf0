// /proc/PID/status, /proc/PID/stat, cmdline, comm, environ.
import { readProcBytes, readProcText, tryReadProcText } from './procfs.js';

export interface ProcessStatus {
  name: string;
  state: string;
  tgid: number;
  ppid: number;
  tracerPid: number;
  threads: number;
  /** Bytes; null for kernel threads, which have no memory of their own. */
  vmRss: number | null;
  vmSize: number | null;
  vmSwap: number | null;
  nspid: number[];
  /** Every field as text. */
  raw: Record<string, string>;
}

export function parseStatus(text: string): ProcessStatus {
  const raw: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) raw[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  const kb = (k: string): number | null => {
    const v = raw[k];
    if (v === undefined) return null;
    const n = parseInt(v, 10);
    return Number.isFinite(n) ? n * 1024 : null;
  };
  const num = (k: string): number => parseInt(raw[k] ?? '0', 10) || 0;
  return {
    name: raw.Name ?? '',
    state: raw.State ?? '',
    tgid: num('Tgid'),
    ppid: num('PPid'),
    tracerPid: num('TracerPid'),
    threads: num('Threads'),
    vmRss: kb('VmRSS'),
    vmSize: kb('VmSize'),
    vmSwap: kb('VmSwap'),
    nspid: (raw.NSpid ?? '').split(/\s+/).filter(Boolean).map(Number),
    raw,
  };
}

export function readStatus(pid: number): ProcessStatus {
  return parseStatus(readProcText(pid, 'status'));
}

export interface ProcessStat {
  comm: string;
  state: string;
  ppid: number;
  flags: number;
  utime: number;
  stime: number;
  numThreads: number;
  startTime: number;
  vsize: number;
  rssPages: number;
  startStack: number;
  kstkesp: number;
}

/** Parses /proc/PID/stat; comm may contain spaces and parentheses, so split after the last ')'. */
export function parseStat(text: string): ProcessStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const comm = text.slice(open + 1, close);
  const f = text.slice(close + 2).trim().split(/\s+/);
  const n = (i: number): number => Number(f[i - 3] ?? 0);
  return {
    comm,
    state: f[0] ?? '?',
    ppid: n(4),
    flags: n(9),
    utime: n(14),
    stime: n(15),
    numThreads: n(20),
    startTime: n(22),
    vsize: n(23),
    rssPages: n(24),
    startStack: n(28),
    kstkesp: n(29),
  };
}

export function readStat(pid: number): ProcessStat {
  return parseStat(readProcText(pid, 'stat'));
}

export function readCmdline(pid: number): string[] {
  const buf = readProcBytes(pid, 'cmdline');
  const parts = buf.toString('utf8').split('\0');
  if (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export function readComm(pid: number): string {
  return readProcText(pid, 'comm').trim();
}

/** The environment the process started with (what malloc saw at its first call). Null when unreadable. */
export function readEnviron(pid: number): Record<string, string> | null {
  const text = tryReadProcText(pid, 'environ');
  if (text === null) return null;
  const env: Record<string, string> = {};
  for (const kv of text.split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}
