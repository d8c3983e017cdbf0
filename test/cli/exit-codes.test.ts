// Exit codes 6 and 7 (README "Exit codes") on real processes. 6: a process
// whose malloc is jemalloc, tcmalloc or mimalloc (LD_PRELOAD of the Debian
// packages), as the process itself reports through dladdr. 7: a process that
// damaged main_arena itself (its unsorted bin header), checked with an
// independent read of /proc/PID/mem. `maps` still works on both.
import { realpathSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testedGlibcVersions } from '../helpers/glibc.js';
import { readMemory } from '../helpers/heapWalk.js';
import { startTarget, type RunningTarget as OracleTarget } from '../helpers/targets.js';
import { buildC, runCli, startNative, type CliResult, type RunningTarget } from '../support/nativeTarget.js';

function expectOneLine(r: CliResult, code: number, message: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

const u64 = (b: Buffer) => Number(b.readBigUInt64LE(0));

describe('exit 6: the target does not use glibc malloc', () => {
  const allocators = [
    ['jemalloc', 'libjemalloc.so.2'],
    ['tcmalloc', 'libtcmalloc_minimal.so.4'],
    ['mimalloc', 'libmimalloc.so.2'],
  ] as const;

  const start = (preload?: string): Promise<RunningTarget> =>
    startNative(buildC('test/targets/cli/which_malloc.c', ['-ldl']), [], preload ? { LD_PRELOAD: preload } : {});
  const mallocOf = (t: RunningTarget) => t.fields.find((f) => f.startsWith('malloc='))!.slice('malloc='.length);

  it('a plain glibc target is walked (exit 0), its malloc being libc\'s', async () => {
    const t = await start();
    try {
      expect(mallocOf(t)).toMatch(/\/libc\.so\.6$/);
      const r = await runCli(['arenas', String(t.pid), '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).allocator).toBe('glibc');
    } finally {
      await t.stop();
    }
  });

  for (const [allocator, lib] of allocators) {
    it(`${allocator} (${lib} preloaded): arenas and strings exit 6 naming it, maps exits 0`, async () => {
      const t = await start(lib);
      try {
        // the target's own malloc is the preloaded library's
        expect(mallocOf(t)).toMatch(new RegExp(`/${lib.replace(/\./g, '\\.')}$`));
        const message = new RegExp(`^arenascope: pid ${t.pid} does not use glibc malloc: its allocator is ${allocator} \\(.*${lib.replace(/\./g, '\\.')}.*\\).*'arenascope maps ${t.pid}' still works$`);
        expectOneLine(await runCli(['arenas', String(t.pid)]), 6, message);
        expectOneLine(await runCli(['arenas', String(t.pid), '--json']), 6, message);
        expectOneLine(await runCli(['strings', String(t.pid)]), 6, message);
        const maps = await runCli(['maps', String(t.pid), '--json']);
        expect(maps.code, maps.stderr).toBe(0);
        // and lists the allocator's file, the one the target's malloc came from
        const file = realpathSync(mallocOf(t));
        expect(JSON.parse(maps.stdout).regions.map((r: { path: string }) => r.path)).toContain(file);
      } finally {
        await t.stop();
      }
    });
  }
});

for (const version of testedGlibcVersions()) {
  describe(`exit 7: main_arena itself inconsistent (glibc ${version})`, () => {
    let target: OracleTarget;
    beforeAll(async () => {
      target = await startTarget('corrupt', ['--mode', 'unsorted-header', '--arena', 'main'], { glibc: version });
    });
    afterAll(async () => {
      await target?.stop();
    });

    it('the damage is real: the unsorted bin header lists a chunk in fd and has bk 0', () => {
      const header = parseInt(target.ready.unsortedHeader!, 16);
      const chunk = parseInt(target.ready.unsortedChunk!, 16);
      expect(u64(readMemory(target.pid, header + 16, 8))).toBe(chunk);
      expect(u64(readMemory(target.pid, header + 24, 8))).toBe(0);
      // the chunk still says it is in that bin
      expect(u64(readMemory(target.pid, chunk + 16, 8))).toBe(header);
      expect(u64(readMemory(target.pid, chunk + 24, 8))).toBe(header);
    });

    it('arenas and strings exit 7 with one line, on every route; maps exits 0', async () => {
      const message = new RegExp(`^arenascope: pid ${target.pid}: could not locate main_arena for glibc ${version.replace('.', '\\.')}.*no layout passed the memory invariants`);
      expectOneLine(await runCli(['arenas', String(target.pid)]), 7, message);
      expectOneLine(await runCli(['arenas', String(target.pid), '--json', '--no-debuginfo']), 7, message);
      expectOneLine(await runCli(['strings', String(target.pid), '--json']), 7, message);
      const maps = await runCli(['maps', String(target.pid)]);
      expect(maps.code, maps.stderr).toBe(0);
    });
  });
}
