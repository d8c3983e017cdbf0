import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCgroupFile, parseCgroupMounts, readCgroupMemory } from '../../src/proc/cgroup.js';

// --- The live system: our own process and a child, checked against the files the kernel exposes.

/** Independently finds the memory cgroup directory of this process from the raw files. */
function expectedMemoryCgroup(): { version: 1 | 2; path: string; dir: string } | null {
  const cgroupLines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  const mountLines = readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n');
  const memoryLine = cgroupLines.find((l) => l.split(':')[1]!.split(',').includes('memory'));
  if (memoryLine) {
    const mount = mountLines.find((l) => / - cgroup /.test(l) && /[ ,]memory(,|$)/.test(l.split(' - ')[1]!));
    if (mount) {
      const [, , , root, mountPoint] = mount.split(' ');
      const path = memoryLine.split(':')[2]!;
      const rel = root === '/' ? path : path.slice(root!.length);
      return { version: 1, path, dir: join(mountPoint!, rel) };
    }
  }
  const unified = cgroupLines.find((l) => l.startsWith('0::'));
  const mount = mountLines.find((l) => / - cgroup2 /.test(l));
  if (unified && mount) {
    const [, , , root, mountPoint] = mount.split(' ');
    const path = unified.slice(3);
    const rel = root === '/' ? path : path.slice(root!.length);
    return { version: 2, path, dir: join(mountPoint!, rel) };
  }
  return null;
}

describe('readCgroupMemory on this machine', () => {
  let child: ChildProcess;
  beforeAll(() => {
    child = spawn('sleep', ['60'], { stdio: 'ignore' });
  });
  afterAll(() => {
    child.kill('SIGKILL');
  });

  it('finds the cgroup the kernel reports for this process and reads its usage', () => {
    const expected = expectedMemoryCgroup();
    const got = readCgroupMemory(process.pid);
    if (expected === null) {
      expect(got).toBeNull();
      return;
    }
    expect(got).not.toBeNull();
    expect(got!.version).toBe(expected.version);
    expect(got!.path).toBe(expected.path);
    const usageFile = expected.version === 1 ? 'memory.usage_in_bytes' : 'memory.current';
    let before: number | null = null;
    try {
      before = Number(readFileSync(join(expected.dir, usageFile), 'utf8'));
    } catch {
      before = null;
    }
    if (before === null) {
      expect(got!.usage).toBeNull();
    } else {
      // usage moves while we look; it is the same counter if it is within a few MiB of an independent read.
      expect(got!.usage).not.toBeNull();
      expect(Math.abs(got!.usage! - before)).toBeLessThan(16 * 1024 * 1024);
    }
  });

  it('gives a child the same cgroup as its parent', () => {
    const mine = readCgroupMemory(process.pid);
    const its = readCgroupMemory(child.pid!);
    expect(its?.path).toBe(mine?.path);
    expect(its?.version).toBe(mine?.version);
  });

  it('returns null for a pid that does not exist', () => {
    // pid_max is at most 2^22 on x86-64 (PID_MAX_LIMIT), so this pid cannot exist.
    expect(readCgroupMemory(2 ** 22 + 1)).toBeNull();
  });
});

// --- Layouts this machine does not have, as small file trees.

describe('readCgroupMemory on other layouts', () => {
  let root: string;
  const pid = 4242;

  function write(path: string, text: string): void {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  function mountLine(id: number, subtree: string, mountPoint: string, fsType: string, superOptions: string): string {
    return `${id} 1 0:${id} ${subtree} ${mountPoint} rw,relatime shared:${id} - ${fsType} ${fsType} ${superOptions}`;
  }
  function read(): ReturnType<typeof readCgroupMemory> {
    return readCgroupMemory(pid, { proc: join(root, 'proc'), mountinfo: join(root, 'mountinfo') });
  }

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'arenascope-cgroup-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('v2: takes the tightest memory.max on the way to the root', () => {
    const sys = join(root, 'v2');
    write(`proc/${pid}/cgroup`, '0::/system.slice/app.service\n');
    write('mountinfo', mountLine(30, '/', sys, 'cgroup2', 'rw,nsdelegate') + '\n');
    write('v2/system.slice/memory.max', '1073741824\n');
    write('v2/system.slice/app.service/memory.max', 'max\n');
    write('v2/system.slice/app.service/memory.current', '52428800\n');
    expect(read()).toEqual({ path: '/system.slice/app.service', version: 2, limit: 1073741824, usage: 52428800 });
    write('v2/system.slice/app.service/memory.max', '268435456\n');
    expect(read()?.limit).toBe(268435456);
    write('v2/system.slice/memory.max', 'max\n');
    write('v2/system.slice/app.service/memory.max', 'max\n');
    expect(read()?.limit).toBeNull();
  });

  it('v2 inside a container that mounts only its own subtree', () => {
    const sys = join(root, 'v2ns');
    write(`proc/${pid}/cgroup`, '0::/kubepods/pod1/ctr\n');
    write('mountinfo', mountLine(31, '/kubepods/pod1', sys, 'cgroup2', 'rw') + '\n');
    write('v2ns/ctr/memory.max', '536870912\n');
    write('v2ns/ctr/memory.current', '1000\n');
    expect(read()).toEqual({ path: '/kubepods/pod1/ctr', version: 2, limit: 536870912, usage: 1000 });
  });

  it('v1: uses hierarchical_memory_limit and treats PAGE_COUNTER_MAX as no limit', () => {
    const sys = join(root, 'v1');
    write(`proc/${pid}/cgroup`, '5:cpu,cpuacct:/\n4:memory:/docker/abc\n0::/\n');
    write(
      'mountinfo',
      [mountLine(40, '/', join(root, 'v1cpu'), 'cgroup', 'rw,cpu,cpuacct'), mountLine(41, '/', sys, 'cgroup', 'rw,memory'), mountLine(42, '/', join(root, 'unified'), 'cgroup2', 'rw')].join('\n') + '\n',
    );
    write('v1/docker/abc/memory.limit_in_bytes', '9223372036854771712\n');
    write('v1/docker/abc/memory.usage_in_bytes', '7340032\n');
    write('v1/docker/abc/memory.stat', 'cache 0\nrss 7340032\nhierarchical_memory_limit 2147483648\nhierarchical_memsw_limit 9223372036854771712\n');
    expect(read()).toEqual({ path: '/docker/abc', version: 1, limit: 2147483648, usage: 7340032 });
    write('v1/docker/abc/memory.stat', 'cache 0\nhierarchical_memory_limit 9223372036854771712\n');
    expect(read()?.limit).toBeNull();
  });

  it('returns null when no memory hierarchy is mounted', () => {
    write(`proc/${pid}/cgroup`, '4:memory:/x\n');
    write('mountinfo', mountLine(50, '/', join(root, 'cpu-only'), 'cgroup', 'rw,cpu') + '\n');
    expect(read()).toBeNull();
  });

  it('parses the cgroup file and mountinfo fields, including escaped mount points', () => {
    expect(parseCgroupFile('12:memory:/a:b\n0::/\n')).toEqual([
      { id: '12', controllers: ['memory'], path: '/a:b' },
      { id: '0', controllers: [], path: '/' },
    ]);
    const mounts = parseCgroupMounts(mountLine(60, '/', '/sys/fs/my\\040cgroup', 'cgroup2', 'rw'));
    expect(mounts).toEqual([{ root: '/', mountPoint: '/sys/fs/my cgroup', version: 2, controllers: [] }]);
  });
});
