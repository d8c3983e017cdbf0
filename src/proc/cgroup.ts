// Memory limit and usage of a process's cgroup, v1 or v2.
//
// /proc/PID/cgroup lines are "hierarchy-ID:controllers:path"; v2 is the line
// "0::path". The path is relative to the *reader's* cgroup namespace root, so
// it is resolved against our own mounts (/proc/self/mountinfo), taking each
// mount's root into account (a mount may show only a subtree).
// v1 (memory controller): memory.limit_in_bytes, memory.usage_in_bytes, and
//   hierarchical_memory_limit in memory.stat, which folds in ancestors' limits.
//   "No limit" reads as PAGE_COUNTER_MAX * page size (about 2^63).
// v2: memory.max ("max" = none) of the cgroup and each ancestor up to the
//   mount; memory.current of the cgroup. The root cgroup has neither.
// When a hybrid system has the memory controller on v1, v1 is what limits.
import { readFileSync } from 'node:fs';
import { procPath, procRoot, tryReadProcText } from './procfs.js';

export interface CgroupMemory {
  /** Path of the cgroup as /proc/PID/cgroup shows it. */
  path: string;
  version: 1 | 2;
  /** Effective limit in bytes (the tightest of the cgroup and its ancestors), null when unlimited or unknown. */
  limit: number | null;
  /** Bytes charged to the cgroup, null when the file is absent. */
  usage: number | null;
}

export interface ProcCgroupEntry {
  hierarchy: number;
  controllers: string[];
  path: string;
}

export interface CgroupMount {
  /** Root of the mounted subtree within the hierarchy. */
  root: string;
  mountPoint: string;
  fsType: 'cgroup' | 'cgroup2';
  superOptions: string[];
}

/** Values at or above this mean "no limit" in cgroup v1 (PAGE_COUNTER_MAX pages). */
const v1Unlimited = 2 ** 62;

export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const out: ProcCgroupEntry[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first <= 0 || second < 0) continue;
    out.push({
      hierarchy: Number(line.slice(0, first)),
      controllers: line.slice(first + 1, second).split(',').filter(Boolean),
      path: line.slice(second + 1),
    });
  }
  return out;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** cgroup and cgroup2 mounts from a mountinfo text ("ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS] - FSTYPE SOURCE SUPEROPTS"). */
export function parseCgroupMounts(text: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const fsType = right[0];
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    out.push({
      root: unescapeMount(left[3] ?? '/'),
      mountPoint: unescapeMount(left[4] ?? ''),
      fsType,
      superOptions: (right[2] ?? '').split(','),
    });
  }
  return out;
}

/** Directory of cgroup `path` under a mount, or null when the mount does not contain it. */
export function cgroupDir(mount: CgroupMount, path: string): string | null {
  const root = mount.root === '/' ? '' : mount.root.replace(/\/$/, '');
  if (root && path !== root && !path.startsWith(root + '/')) return null;
  const rel = path.slice(root.length);
  return (mount.mountPoint.replace(/\/$/, '') + rel).replace(/\/$/, '') || '/';
}

export type ReadFile = (path: string) => string | null;

function defaultRead(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readNumber(read: ReadFile, path: string): number | null {
  const t = read(path)?.trim();
  if (t === undefined || !/^\d+$/.test(t)) return null;
  return Number(t);
}

function minLimit(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

function parentOf(dir: string): string {
  const i = dir.lastIndexOf('/');
  return i <= 0 ? '/' : dir.slice(0, i);
}

function readV1(entry: ProcCgroupEntry, mounts: CgroupMount[], read: ReadFile): CgroupMemory | null {
  for (const m of mounts) {
    if (m.fsType !== 'cgroup' || !m.superOptions.includes('memory')) continue;
    const dir = cgroupDir(m, entry.path);
    if (!dir) continue;
    const usage = readNumber(read, `${dir}/memory.usage_in_bytes`);
    const own = readNumber(read, `${dir}/memory.limit_in_bytes`);
    if (usage === null && own === null) continue;
    let limit = own !== null && own < v1Unlimited ? own : null;
    const stat = read(`${dir}/memory.stat`);
    const h = stat ? /^hierarchical_memory_limit (\d+)$/m.exec(stat) : null;
    if (h && Number(h[1]) < v1Unlimited) limit = minLimit(limit, Number(h[1]));
    return { path: entry.path, version: 1, limit, usage };
  }
  return null;
}

function readV2(entry: ProcCgroupEntry, mounts: CgroupMount[], read: ReadFile): CgroupMemory | null {
  for (const m of mounts) {
    if (m.fsType !== 'cgroup2') continue;
    const dir = cgroupDir(m, entry.path);
    if (!dir) continue;
    const usage = readNumber(read, `${dir}/memory.current`);
    let limit: number | null = null;
    const top = m.mountPoint.replace(/\/$/, '') || '/';
    // memory.max of the cgroup and each ancestor below the mount point: the tightest one binds.
    for (let d = dir; ; d = parentOf(d)) {
      limit = minLimit(limit, readNumber(read, `${d}/memory.max`));
      if (d === top || d === '/' || !d.startsWith(top)) break;
    }
    const knownCgroup = read(`${dir}/cgroup.controllers`) !== null || usage !== null;
    if (!knownCgroup) continue;
    return { path: entry.path, version: 2, limit, usage };
  }
  return null;
}

/** Resolves memory limit/usage from parsed /proc/PID/cgroup and mounts, reading files through `read`. */
export function resolveCgroupMemory(entries: ProcCgroupEntry[], mounts: CgroupMount[], read: ReadFile = defaultRead): CgroupMemory | null {
  const v1 = entries.find((e) => e.hierarchy !== 0 && e.controllers.includes('memory'));
  if (v1) {
    const r = readV1(v1, mounts, read);
    if (r) return r;
  }
  const v2 = entries.find((e) => e.hierarchy === 0 && e.controllers.length === 0);
  if (v2) return readV2(v2, mounts, read);
  return null;
}

/** The memory cgroup of a live process; null when it has none we can read. */
export function readCgroupMemory(pid: number): CgroupMemory | null {
  const text = tryReadProcText(pid, 'cgroup');
  if (text === null) return null;
  const mountinfo = defaultRead(`${procRoot}/self/mountinfo`) ?? defaultRead(procPath(pid, 'mountinfo'));
  if (mountinfo === null) return null;
  return resolveCgroupMemory(parseProcCgroup(text), parseCgroupMounts(mountinfo));
}
