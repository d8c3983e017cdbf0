// The memory cgroup a process is charged to: its limit (the tightest one on
// the way up to the root) and its current usage, so RSS can be shown as a
// fraction of what the kernel will allow before reclaim and the OOM killer.
//
// /proc/PID/cgroup names the cgroup as a path relative to the cgroup
// filesystem's root; /proc/self/mountinfo says where that filesystem is
// mounted in our mount namespace (and which subtree of it, field 4 "root",
// when a container bind-mounts only its own part). Both cgroup v2 (one
// unified hierarchy, line "0::/path") and v1 (a "memory" controller line) are
// read; on hybrid systems the memory controller is wherever the memory line
// says, so v1 wins when it is present and mounted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { procRoot } from './procfs.js';

export interface CgroupMemory {
  /** The process's cgroup path as /proc/PID/cgroup gives it. */
  path: string;
  version: 1 | 2;
  /** Effective limit in bytes (the smallest on the path to the root), null when unlimited or unreadable. */
  limit: number | null;
  /** Bytes charged to the cgroup now, null when unreadable. */
  usage: number | null;
}

export interface CgroupSources {
  /** The /proc root to read PID/cgroup from. */
  proc?: string;
  /** The mountinfo that says where the cgroup filesystems are mounted for us. */
  mountinfo?: string;
}

interface CgroupLine {
  id: string;
  controllers: string[];
  path: string;
}

interface CgroupMount {
  /** Subtree of the hierarchy that is mounted (mountinfo field 4). */
  root: string;
  mountPoint: string;
  version: 1 | 2;
  /** v1: the controllers of this hierarchy (from the super options). */
  controllers: string[];
}

/** v1 reports "no limit" as PAGE_COUNTER_MAX pages (0x7ffffffffffff000 on 64-bit); anything this large is no limit. */
const unlimitedAbove = 2 ** 60;

export function parseCgroupFile(text: string): CgroupLine[] {
  const lines: CgroupLine[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    lines.push({ id: line.slice(0, first), controllers: controllers ? controllers.split(',') : [], path: line.slice(second + 1) });
  }
  return lines;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040 ...). */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6 || fields.length < dash + 4) continue;
    const fsType = fields[dash + 1];
    const superOptions = (fields[dash + 3] ?? '').split(',');
    const root = unescapeMountField(fields[3]!);
    const mountPoint = unescapeMountField(fields[4]!);
    if (fsType === 'cgroup2') mounts.push({ root, mountPoint, version: 2, controllers: [] });
    else if (fsType === 'cgroup') mounts.push({ root, mountPoint, version: 1, controllers: superOptions });
  }
  return mounts;
}

/** The directory of cgroup `path` under `mount`, or null when the path lies outside the mounted subtree. */
function directoryOf(mount: CgroupMount, path: string): string | null {
  if (mount.root === '/') return join(mount.mountPoint, path);
  if (path === mount.root) return mount.mountPoint;
  if (path.startsWith(mount.root + '/')) return join(mount.mountPoint, path.slice(mount.root.length));
  return null;
}

function readNumberFile(file: string): number | null | 'max' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
  if (text === 'max') return 'max';
  if (!/^[0-9]+$/.test(text)) return null;
  return Number(text);
}

/** The directories from dir up to (and including) the mount point. */
function ancestors(dir: string, mountPoint: string): string[] {
  const out = [dir];
  let d = dir;
  while (d !== mountPoint && d.startsWith(mountPoint + '/')) {
    d = d.slice(0, d.lastIndexOf('/'));
    out.push(d);
  }
  return out;
}

function readV2(dir: string, mountPoint: string): { limit: number | null; usage: number | null } {
  const usage = readNumberFile(join(dir, 'memory.current'));
  // A child can set a higher memory.max than its parent; the parent's still applies.
  let limit: number | null = null;
  for (const d of ancestors(dir, mountPoint)) {
    const max = readNumberFile(join(d, 'memory.max'));
    if (typeof max === 'number' && (limit === null || max < limit)) limit = max;
  }
  return { limit, usage: typeof usage === 'number' ? usage : null };
}

function readV1(dir: string): { limit: number | null; usage: number | null } {
  const usage = readNumberFile(join(dir, 'memory.usage_in_bytes'));
  // memory.stat's hierarchical_memory_limit already is the minimum over the ancestors (use_hierarchy).
  let limit: number | null = null;
  try {
    const stat = readFileSync(join(dir, 'memory.stat'), 'utf8');
    const m = /^hierarchical_memory_limit ([0-9]+)$/m.exec(stat);
    if (m) limit = Number(m[1]);
  } catch {
    // fall back to the cgroup's own limit below
  }
  if (limit === null) {
    const own = readNumberFile(join(dir, 'memory.limit_in_bytes'));
    if (typeof own === 'number') limit = own;
  }
  if (limit !== null && limit >= unlimitedAbove) limit = null;
  return { limit, usage: typeof usage === 'number' ? usage : null };
}

/**
 * The memory cgroup of pid with its effective limit and usage; null when the
 * process has no readable cgroup file or no memory cgroup is mounted here.
 */
export function readCgroupMemory(pid: number, sources: CgroupSources = {}): CgroupMemory | null {
  let cgroupText: string;
  let mountinfo: string;
  try {
    cgroupText = readFileSync(join(sources.proc ?? procRoot, String(pid), 'cgroup'), 'utf8');
    mountinfo = readFileSync(sources.mountinfo ?? join(procRoot, 'self', 'mountinfo'), 'utf8');
  } catch {
    return null;
  }
  const lines = parseCgroupFile(cgroupText);
  const mounts = parseCgroupMounts(mountinfo);

  const v1Line = lines.find((l) => l.controllers.includes('memory'));
  if (v1Line) {
    for (const mount of mounts.filter((m) => m.version === 1 && m.controllers.includes('memory'))) {
      const dir = directoryOf(mount, v1Line.path);
      if (dir) return { path: v1Line.path, version: 1, ...readV1(dir) };
    }
  }
  const v2Line = lines.find((l) => l.id === '0' && l.controllers.length === 0);
  if (v2Line) {
    for (const mount of mounts.filter((m) => m.version === 2)) {
      const dir = directoryOf(mount, v2Line.path);
      if (dir) return { path: v2Line.path, version: 2, ...readV2(dir, mount.mountPoint) };
    }
  }
  return null;
}
