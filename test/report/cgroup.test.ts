// cgroup memory limit/usage: a real cgroup the test creates (we run as root)
// with a limit it sets, a process started inside it, and a v2 tree laid out
// in a temp dir for the v2 rules (this machine's memory controller is on v1).
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupDir, parseCgroupMounts, parseProcCgroup, readCgroupMemory, resolveCgroupMemory } from '../../src/proc/cgroup.js';
import { anonymousBytes, buildTarget, spawnTarget, stopAll } from './helpers.js';

const cleanups: Array<() => void> = [];
afterAll(async () => {
  await stopAll();
  for (const c of cleanups.reverse()) c();
});

/** Where this machine mounts the memory controller: a v1 "memory" mount, else the v2 mount. */
function memoryMount(): { version: 1 | 2; dir: string } {
  const mounts = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
  const v1 = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes('memory') && m.root === '/');
  if (v1) return { version: 1, dir: v1.mountPoint };
  const v2 = mounts.find((m) => m.fsType === 'cgroup2' && m.root === '/');
  if (!v2) throw new Error('no cgroup memory controller mounted');
  return { version: 2, dir: v2.mountPoint };
}

describe('readCgroupMemory on a real cgroup', () => {
  it('reports the limit we set and the usage of a process started inside it', async () => {
    const mount = memoryMount();
    const name = `arenascope-report-test-${process.pid}`;
    const dir = join(mount.dir, name);
    mkdirSync(dir);
    cleanups.push(() => {
      try {
        rmdirSync(dir);
      } catch {
        // a process may still be exiting; the next run uses another name
      }
    });
    const limit = 192 * 1024 * 1024;
    if (mount.version === 1) writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limit));
    else {
      writeFileSync(join(mount.dir, 'cgroup.subtree_control'), '+memory');
      writeFileSync(join(dir, 'memory.max'), String(limit));
    }
    const bin = buildTarget('trim_target');
    // Join the cgroup before exec, so every page the target touches is charged there.
    const t = spawnTarget('/bin/sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec ${bin} --main-alt 40`]);
    expect(await t.nextLine()).toBe('ready');

    const cg = readCgroupMemory(t.pid);
    expect(cg).not.toBeNull();
    expect(cg!.version).toBe(mount.version);
    expect(cg!.path).toBe(`/${name}`);
    expect(cg!.limit).toBe(limit);
    expect(cg!.usage).not.toBeNull();
    expect(cg!.usage!).toBeGreaterThanOrEqual(anonymousBytes(t.pid));
    expect(cg!.usage!).toBeLessThanOrEqual(limit);
    await t.stop();
  });

  it('gives our own process a cgroup whose usage covers our own RSS', () => {
    const cg = readCgroupMemory(process.pid);
    expect(cg).not.toBeNull();
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => (cg!.version === 1 ? /:memory(:|,)/.test(l) || /,memory:/.test(l) : l.startsWith('0::')))!;
    expect(cg!.path).toBe(line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1));
    expect(cg!.usage!).toBeGreaterThan(0);
  });
});

describe('cgroup v2 rules on a laid-out tree', () => {
  function tree(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'arenascope-cg-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), content);
    }
    return root;
  }

  it('takes the tightest memory.max up the tree and memory.current of the cgroup', () => {
    const root = tree({
      'cgroup.controllers': 'cpu memory',
      'app/cgroup.controllers': 'memory',
      'app/memory.max': '1073741824\n',
      'app/memory.current': '5000\n',
      'app/svc/cgroup.controllers': 'memory',
      'app/svc/memory.max': 'max\n',
      'app/svc/memory.current': '4096\n',
    });
    const mounts = parseCgroupMounts(`30 25 0:26 / ${root} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n`);
    const entries = parseProcCgroup('0::/app/svc\n');
    expect(resolveCgroupMemory(entries, mounts)).toEqual({ path: '/app/svc', version: 2, limit: 1073741824, usage: 4096 });
  });

  it('reports no limit when every level says max, and resolves paths through a mount of a subtree', () => {
    const root = tree({ 'svc/cgroup.controllers': 'memory', 'svc/memory.max': 'max\n', 'svc/memory.current': '123\n' });
    // The mount shows the hierarchy from /kubepods down: /kubepods/svc lives at ROOT/svc.
    const mounts = parseCgroupMounts(`30 25 0:26 /kubepods ${root} rw - cgroup2 cgroup2 rw\n`);
    expect(cgroupDir(mounts[0]!, '/kubepods/svc')).toBe(`${root}/svc`);
    expect(cgroupDir(mounts[0]!, '/other')).toBeNull();
    expect(resolveCgroupMemory(parseProcCgroup('0::/kubepods/svc\n'), mounts)).toEqual({ path: '/kubepods/svc', version: 2, limit: null, usage: 123 });
  });

  it('prefers the v1 memory controller on a hybrid system and treats its huge default as unlimited', () => {
    const v1 = tree({ 'g/memory.usage_in_bytes': '8192\n', 'g/memory.limit_in_bytes': '9223372036854771712\n', 'g/memory.stat': 'cache 0\nhierarchical_memory_limit 536870912\n' });
    const v2 = tree({ 'cgroup.controllers': '' });
    const mounts = parseCgroupMounts(
      `35 31 0:32 / ${v1} rw,relatime - cgroup cgroup rw,memory\n41 31 0:38 / ${v2} rw,relatime - cgroup2 cgroup2 rw\n`,
    );
    const entries = parseProcCgroup('4:memory:/g\n0::/\n');
    // The cgroup's own limit is the default; an ancestor's 512 MiB binds (hierarchical_memory_limit).
    expect(resolveCgroupMemory(entries, mounts)).toEqual({ path: '/g', version: 1, limit: 536870912, usage: 8192 });
    expect(existsSync(join(v1, 'g'))).toBe(true);
  });
});
