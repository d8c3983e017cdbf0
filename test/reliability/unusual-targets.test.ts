// Targets outside the ordinary: tens of thousands of mappings, a kernel thread,
// PID 1 of a PID namespace, a 32-bit process, a process whose executable is not
// ELF, and an inspector without the right to read the target. Each gets a
// clear answer: the right result, or one line with the documented exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, readdirSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget as OracleTarget } from '../helpers/targets.js';
import { assertRunningUntraced } from '../support/inspection.js';
import { buildC, repoRoot, runCli, startNative, type CliResult, type RunningTarget } from '../support/nativeTarget.js';

const page = 4096;
const hex = (n: number) => `0x${n.toString(16)}`;

function expectOneLine(r: CliResult, code: number, message: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

/** The pattern region.c writes: u64 at offset i is i * 0x9e3779b97f4a7c15. */
function expectRegionPattern(file: string, length: number): void {
  const data = readFileSync(file);
  expect(data.length).toBe(length);
  for (let off = 0; off < length; off += 512) {
    expect(data.readBigUInt64LE(off)).toBe((BigInt(off) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn);
  }
}

function tempDir(name: string): string {
  const dir = join(tmpdir(), `arenascope-${name}-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('tens of thousands of mappings', () => {
  let target: OracleTarget;
  beforeAll(async () => {
    target = await startTarget('many_maps', ['--maps', '30000']);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('maps lists every one of them with its own permissions', async () => {
    const r = await runCli(['maps', String(target.pid), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const first = parseInt(target.ready.mapsFirst!, 16);
    const end = parseInt(target.ready.mapsEnd!, 16);
    const run = out.regions.filter((x: { start: string }) => parseInt(x.start, 16) >= first && parseInt(x.start, 16) < end);
    expect(run).toHaveLength(30000);
    run.forEach((x: { start: string; size: number; perms: string }, i: number) => {
      expect(parseInt(x.start, 16)).toBe(first + i * page);
      expect(x.size).toBe(page);
      expect(x.perms).toBe(i % 2 === 0 ? 'r--p' : 'rw-p');
    });
    expect(out.regions.length).toBe(readFileSync(`/proc/${target.pid}/maps`, 'utf8').trim().split('\n').length);
  });
});

/** A kernel thread visible from here: kthreadd (pid 2) or any task without user memory. */
function findKernelThread(): { pid: number; name: string } {
  const candidates = ['2', ...readdirSync('/proc').filter((d) => /^\d+$/.test(d))];
  for (const pid of candidates) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (!/^VmSize:/m.test(status)) return { pid: Number(pid), name: /^Name:\s*(.*)$/m.exec(status)![1]! };
    } catch {
      // gone
    }
  }
  throw new Error('no kernel thread is visible in this PID namespace');
}

describe('a kernel thread', () => {
  it('is refused by every command with exit 10 and says why', async () => {
    const k = findKernelThread();
    const dir = tempDir('kthread');
    const commands = [['maps', String(k.pid)], ['arenas', String(k.pid)], ['strings', String(k.pid)], ['dump', String(k.pid), '0x1000', '0x2000', '-o', join(dir, 'k.bin')]];
    for (const args of commands) {
      const r = await runCli(args);
      expectOneLine(r, 10, new RegExp(`pid ${k.pid} \\(${k.name}\\) is a kernel thread`));
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('PID 1 of a PID namespace', () => {
  let unshare: ChildProcess;
  let hostPid: number;
  let start: number;
  let end: number;
  let hole: number;

  beforeAll(async () => {
    const region = buildC('test/targets/foundation/region.c');
    unshare = spawn('unshare', ['--pid', '--fork', '--mount-proc', region, '64', '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    unshare.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ready = await new Promise<string>((resolve, reject) => {
      let buf = '';
      unshare.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /READY[^\n]*\n/.exec(buf);
        if (m) resolve(m[0].trim());
      });
      unshare.on('exit', (code) => reject(new Error(`unshare exited with ${code} before READY: ${stderr}`)));
    });
    const words = ready.split(/\s+/);
    expect(words[1]).toBe('1'); // the target sees itself as PID 1
    [start, end, hole] = words.slice(2).map((w) => parseInt(w, 16)) as [number, number, number];
    const children = readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, 'utf8').trim().split(/\s+/);
    expect(children).toHaveLength(1);
    hostPid = Number(children[0]);
    expect(readFileSync(`/proc/${hostPid}/status`, 'utf8')).toMatch(new RegExp(`^NSpid:\\s+${hostPid}\\s+1$`, 'm'));
  });
  afterAll(async () => {
    if (hostPid) {
      try {
        process.kill(hostPid, 'SIGKILL'); // PID 1 of the namespace: the namespace ends with it
      } catch {
        // already gone
      }
    }
    if (unshare && unshare.exitCode === null && unshare.signalCode === null) {
      await new Promise((r) => unshare.once('exit', r));
    }
  });

  it('is inspected through its host pid: maps finds its region', async () => {
    const r = await runCli(['maps', String(hostPid), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.pid).toBe(hostPid);
    const mine = out.regions.find((x: { start: string }) => parseInt(x.start, 16) === start);
    expect(mine).toBeDefined();
    expect(out.regions.find((x: { start: string }) => parseInt(x.start, 16) === hole).perms).toBe('---p');
  });

  it('walks its arenas (main first) and scans its strings (bytes scanned)', async () => {
    const a = await runCli(['arenas', String(hostPid), '--json']);
    expect(a.code, a.stderr).toBe(0);
    const out = JSON.parse(a.stdout);
    expect(out.arenas.length).toBeGreaterThanOrEqual(1);
    expect(out.arenas[0].main).toBe(true);
    const s = await runCli(['strings', String(hostPid), '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).scanned.bytes).toBeGreaterThan(0);
  });

  it('dumps its memory exactly, also frozen, and leaves it running', async () => {
    const dir = tempDir('pidns');
    const file = join(dir, 'pid1.bin');
    const r = await runCli(['dump', String(hostPid), hex(start), hex(hole), '-o', file, '--freeze', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).frozen).toBe(true);
    expectRegionPattern(file, hole - start);
    assertRunningUntraced(hostPid);
    expect(end).toBeGreaterThan(hole);
  });
});

describe('a 32-bit process', () => {
  let target: RunningTarget;
  let start: number;
  let hole: number;
  beforeAll(async () => {
    // Debian: gcc-multilib (brings libc6-dev-i386).
    target = await startNative(buildC('test/targets/foundation/region.c', ['-m32']), ['16', '8']);
    [start, , hole] = target.fields.map((f) => parseInt(f, 16)) as [number, number, number];
    const exe = Buffer.alloc(5);
    const fd = openSync(`/proc/${target.pid}/exe`, 'r');
    readSync(fd, exe, 0, 5, 0);
    closeSync(fd);
    expect(exe[4]).toBe(1); // ELFCLASS32: really a 32-bit executable
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('is refused with exit 10 by the commands that parse malloc', async () => {
    for (const cmd of ['arenas', 'strings']) {
      expectOneLine(await runCli([cmd, String(target.pid)]), 10, new RegExp(`pid ${target.pid} is a 32-bit process`));
    }
  });

  it('still gets its map and its dumps', async () => {
    const m = await runCli(['maps', String(target.pid), '--json']);
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout).regions.some((x: { start: string }) => parseInt(x.start, 16) === start)).toBe(true);
    const dir = tempDir('m32');
    const file = join(dir, 'r.bin');
    const d = await runCli(['dump', String(target.pid), hex(start), hex(hole), '-o', file]);
    expect(d.code, d.stderr).toBe(0);
    expectRegionPattern(file, hole - start);
  });
});

describe('a process whose executable is not ELF', () => {
  let target: RunningTarget;
  let exeFile: string;
  beforeAll(async () => {
    const lib = buildC('test/targets/reliability/libnot_elf_exe.c', ['-shared', '-fPIC', '-Wl,-z,now']);
    // -z now: once the executable is unmapped, lazy symbol lookup (which starts at its symbol table) would fault.
    const bin = buildC('test/targets/reliability/not_elf_exe.c', ['-Wl,-z,now', lib]);
    // The kernel wants an executable regular file on an exec-allowed mount.
    exeFile = join(repoRoot, 'test', '.cache', 'not-elf', `exe-${process.pid}.txt`);
    mkdirSync(dirname(exeFile), { recursive: true });
    writeFileSync(exeFile, 'this is a text file, not an ELF executable\n');
    chmodSync(exeFile, 0o755);
    target = await startNative(bin, [exeFile]);
    const magic = Buffer.alloc(4);
    const fd = openSync(`/proc/${target.pid}/exe`, 'r');
    readSync(fd, magic, 0, 4, 0);
    closeSync(fd);
    expect(magic.toString('latin1')).toBe('this');
  });
  afterAll(async () => {
    await target?.stop();
    rmSync(exeFile, { force: true });
  });

  it('is refused with exit 10 by the commands that parse malloc', async () => {
    for (const cmd of ['arenas', 'strings']) {
      expectOneLine(await runCli([cmd, String(target.pid)]), 10, new RegExp(`pid ${target.pid} does not run an ELF executable`));
    }
  });

  it('still gets its map', async () => {
    const m = await runCli(['maps', String(target.pid), '--json']);
    expect(m.code, m.stderr).toBe(0);
    const out = JSON.parse(m.stdout);
    expect(out.regions.filter((x: { kind: string }) => x.kind === 'main-heap')).toHaveLength(1);
  });
});

describe('an inspector without the right to read the target', () => {
  let target: RunningTarget;
  beforeAll(async () => {
    target = await startNative(buildC('test/targets/foundation/region.c'), ['4']);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('gets the permission message and exit 4 from every command', async () => {
    const start = hex(parseInt(target.fields[0]!, 16));
    const dir = tempDir('nobody');
    chmodSync(dir, 0o777);
    const pid = String(target.pid);
    const commands = [
      ['maps', pid],
      ['maps', pid, '--json'],
      ['arenas', pid],
      ['arenas', pid, '--freeze'],
      ['strings', pid],
      ['strings', pid, '--region', start, '--json'],
      ['dump', pid, start, `${start}+4096`, '-o', join(dir, 'a.bin')],
      ['dump', pid, '--region', start, '-o', join(dir, 'b.bin'), '--freeze'],
    ];
    for (const args of commands) {
      const r = await runCli(args, { uid: 65534, gid: 65534 });
      expectOneLine(r, 4, /no permission .*CAP_SYS_PTRACE.*ptrace_scope/);
    }
    expect(readdirSync(dir)).toEqual([]);
    assertRunningUntraced(target.pid);
  });
});
