// `arenascope dump`: bytes equal to an independent read, exact holes, atomic
// 0600 files, no overwrite, no partial file when the target dies mid-dump,
// and a --freeze interrupted by SIGINT leaves the target running.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildC, procStatus, repoRoot, runCli, startNative, type RunningTarget } from '../support/nativeTarget.js';
import { inspectorEnv } from '../support/sanitizer.js';

const page = 4096;

/**
 * Reads [start, end) through /proc/PID/mem, independently of process_vm_readv.
 * /proc/PID/mem reads with FOLL_FORCE and so sees even PROT_NONE pages: the
 * pages in `skip` are left as zeros, as a dump must write them.
 */
function readProcMem(pid: number, start: number, end: number, skip: number[]): Buffer {
  const out = Buffer.alloc(end - start);
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  try {
    for (let at = start; at < end; at += page) {
      if (skip.includes(at)) continue;
      try {
        readSync(fd, out, at - start, Math.min(page, end - at), at);
      } catch {
        // unreadable page: stays zero
      }
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

describe('dump', () => {
  let target: RunningTarget;
  let start: number;
  let end: number;
  let hole: number;
  let dir: string;

  beforeAll(async () => {
    target = await startNative(buildC('test/targets/foundation/region.c'), ['64', '20']);
    [start, end, hole] = target.fields.map((f) => parseInt(f, 16)) as [number, number, number];
    dir = mkdtempSync(join(tmpdir(), 'arenascope-dump-'));
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('writes the same bytes as an independent read, with exactly the PROT_NONE page as a hole', async () => {
    const file = join(dir, 'region.bin');
    const r = await runCli(['dump', String(target.pid), `0x${start.toString(16)}`, `0x${start.toString(16)}+${end - start}`, '-o', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    process.kill(target.pid, 'SIGSTOP');
    let expected: Buffer;
    try {
      expected = readProcMem(target.pid, start, end, [hole]);
    } finally {
      process.kill(target.pid, 'SIGCONT');
    }
    const got = readFileSync(file);
    expect(got.length).toBe(end - start);
    expect(got.equals(expected)).toBe(true);
    // the pattern is really there (not an all-zero read)
    expect(got.readBigUInt64LE(8)).toBe((8n * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn);
    const meta = JSON.parse(readFileSync(`${file}.json`, 'utf8'));
    expect(meta.holes).toEqual([{ start: `0x${hole.toString(16)}`, end: `0x${(hole + page).toString(16)}` }]);
    expect(meta.bytesRead).toBe(end - start - page);
    expect(meta.sha256).toBe(createHash('sha256').update(got).digest('hex'));
    expect(meta.frozen).toBe(false);
    expect(meta.pid).toBe(target.pid);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(`${file}.json`).mode & 0o777).toBe(0o600);
    expect(got.subarray(hole - start, hole - start + page).every((b) => b === 0)).toBe(true);
  });

  it('dumps the whole mapping with --region and freezes only when asked', async () => {
    const file = join(dir, 'whole.bin');
    const r = await runCli(['dump', String(target.pid), '--region', `0x${(start + 3 * page).toString(16)}`, '-o', file, '--freeze', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const meta = JSON.parse(r.stdout);
    // mprotect split the mapping: --region picks the part holding the address
    expect(meta.start).toBe(`0x${start.toString(16)}`);
    expect(meta.end).toBe(`0x${hole.toString(16)}`);
    expect(meta.frozen).toBe(true);
    expect(meta.stoppedMs).toBeGreaterThan(0);
    // the stop spans the read (and only resume/stop overhead besides): read <= stop <= whole command
    expect(meta.readMs).toBeGreaterThan(0);
    expect(meta.stoppedMs).toBeGreaterThanOrEqual(meta.readMs);
    expect(meta.durationMs).toBeGreaterThanOrEqual(meta.stoppedMs);
    expect(procStatus(target.pid).TracerPid).toBe('0');
    expect(procStatus(target.pid).State).not.toMatch(/^[tT]/);
  });

  it('refuses to overwrite without --force and accepts with it', async () => {
    const file = join(dir, 'exists.bin');
    writeFileSync(file, 'keep me');
    const r = await runCli(['dump', String(target.pid), `0x${start.toString(16)}`, `0x${(start + page).toString(16)}`, '-o', file]);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/--force/);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    const f = await runCli(['dump', String(target.pid), `0x${start.toString(16)}`, `0x${(start + page).toString(16)}`, '-o', file, '--force']);
    expect(f.code, f.stderr).toBe(0);
    expect(statSync(file).size).toBe(page);
  });

  it('reports nothing readable with exit 5 and leaves no file', async () => {
    const file = join(dir, 'hole.bin');
    const r = await runCli(['dump', String(target.pid), `0x${hole.toString(16)}`, `0x${(hole + page).toString(16)}`, '-o', file]);
    expect(r.code).toBe(5);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('hole.bin') || n.startsWith('.hole.bin'))).toEqual([]);
  });

  it('rejects bad ranges as usage errors', async () => {
    const r = await runCli(['dump', String(target.pid), '0x2000', '0x1000', '-o', join(dir, 'x.bin')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/END .* must be above START/);
    const r2 = await runCli(['dump', String(target.pid), 'zz', '0x1000', '-o', join(dir, 'x.bin')]);
    expect(r2.code).toBe(2);
  });
});

describe('dump of a dying or interrupted session', () => {
  it('leaves no partial file when the target is killed mid-dump', async () => {
    const big = await startNative(buildC('test/targets/foundation/region.c'), ['65536']);
    const [s, e] = big.fields.map((f) => parseInt(f, 16)) as [number, number];
    const dir = mkdtempSync(join(tmpdir(), 'arenascope-kill-'));
    const file = join(dir, 'dying.bin');
    const { dumpRange } = await import(join(repoRoot, 'dist/commands/dump.js'));
    let killed = false;
    const p = dumpRange({
      pid: big.pid,
      start: s,
      end: e,
      output: file,
      onProgress: () => {
        if (!killed) {
          killed = true;
          process.kill(big.pid, 'SIGKILL');
        }
      },
    });
    await expect(p).rejects.toMatchObject({ code: 'ESRCH' });
    await big.stop();
    expect(killed).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('SIGINT during --freeze leaves the target running and untraced, and no file', async () => {
    const big = await startNative(buildC('test/targets/foundation/region.c'), ['262144']);
    const [s, e] = big.fields.map((f) => parseInt(f, 16)) as [number, number];
    const dir = mkdtempSync(join(tmpdir(), 'arenascope-int-'));
    const file = join(dir, 'frozen.bin');
    let sawTraced = false;
    const run = runCli(['dump', String(big.pid), `0x${s.toString(16)}`, `0x${e.toString(16)}`, '-o', file, '--freeze'], {
      onSpawn: (child) => {
        const poll = setInterval(() => {
          try {
            if (procStatus(big.pid).TracerPid !== '0') {
              sawTraced = true;
              clearInterval(poll);
              child.kill('SIGINT');
            }
          } catch {
            clearInterval(poll);
          }
        }, 1);
        child.on('exit', () => clearInterval(poll));
      },
    });
    const r = await run;
    expect(sawTraced).toBe(true);
    expect(r.code).toBe(130);
    const st = procStatus(big.pid);
    expect(st.TracerPid).toBe('0');
    expect(st.State).not.toMatch(/^[tT]/);
    expect(readdirSync(dir)).toEqual([]);
    await big.stop();
  });
});

describe('dump where process_vm_readv is refused', () => {
  it('falls back to /proc/PID/mem and writes the same bytes, the PROT_NONE page still a hole', async () => {
    const t = await startNative(buildC('test/targets/foundation/region.c'), ['16', '5']);
    const [s, e, h] = t.fields.map((f) => parseInt(f, 16)) as [number, number, number];
    const dir = mkdtempSync(join(tmpdir(), 'arenascope-procmem-'));
    try {
      const deny = buildC('test/targets/foundation/deny_vm_readv.c');
      const viaVm = join(dir, 'vm.bin');
      const viaMem = join(dir, 'mem.bin');
      const a = await runCli(['dump', String(t.pid), `0x${s.toString(16)}`, `0x${e.toString(16)}`, '-o', viaVm]);
      expect(a.code, a.stderr).toBe(0);
      // the same CLI, under a seccomp filter that makes process_vm_readv fail with EPERM
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync(deny, [process.execPath, join(repoRoot, 'bin/arenascope.js'), 'dump', String(t.pid), `0x${s.toString(16)}`, `0x${e.toString(16)}`, '-o', viaMem], { encoding: 'utf8', env: inspectorEnv() });
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(viaMem).equals(readFileSync(viaVm))).toBe(true);
      // /proc/PID/mem could read the PROT_NONE page (FOLL_FORCE); a dump must not show it
      expect(JSON.parse(readFileSync(`${viaMem}.json`, 'utf8')).holes).toEqual([{ start: `0x${h.toString(16)}`, end: `0x${(h + page).toString(16)}` }]);
    } finally {
      await t.stop();
    }
  });
});
