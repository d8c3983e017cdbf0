// Allocator detection on real processes: plain glibc, preloaded jemalloc,
// tcmalloc and mimalloc (Debian packages libjemalloc2, libtcmalloc-minimal4,
// libmimalloc2.0), musl (musl-tools), a static binary, and glibc's malloc
// debug DSO with and without MALLOC_CHECK_.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { detectAllocatorForPid } from '../../src/glibc/allocator.js';
import { readMaps } from '../../src/proc/maps.js';
import { buildTarget, spawnTarget, stopAll } from './helpers.js';

afterAll(stopAll);

const libdir = '/usr/lib/x86_64-linux-gnu';
// "glibc 2.36", from glibc itself.
const glibcVersion = execFileSync('getconf', ['GNU_LIBC_VERSION'], { encoding: 'utf8' }).trim().split(' ')[1]!;

async function detect(bin: string, env: Record<string, string> = {}) {
  const t = spawnTarget(bin, [], env);
  expect(await t.nextLine()).toBe('ready');
  const info = detectAllocatorForPid(t.pid, readMaps(t.pid));
  await t.stop();
  return info;
}

describe('detectAllocatorForPid', () => {
  it('reports glibc with its version for a plain dynamic binary', async () => {
    const info = await detect(buildTarget('hold'));
    expect(info.allocator).toBe('glibc');
    expect(info.glibcVersion).toBe(glibcVersion);
    expect(info.libcPath).toMatch(/libc\.so\.6$/);
  });

  it.each([
    ['jemalloc', 'libjemalloc.so.2'],
    ['tcmalloc', 'libtcmalloc_minimal.so.4'],
    ['mimalloc', 'libmimalloc.so.2'],
  ])('reports %s when %s is preloaded', async (allocator, lib) => {
    expect(existsSync(`${libdir}/${lib}`)).toBe(true);
    const info = await detect(buildTarget('hold'), { LD_PRELOAD: lib });
    expect(info.allocator).toBe(allocator);
    expect(info.evidence).toContain(lib);
    expect(info.evidence).toContain('LD_PRELOAD');
    // glibc is still mapped underneath.
    expect(info.glibcVersion).toBe(glibcVersion);
  });

  it('picks the first of two preloaded allocators', async () => {
    const info = await detect(buildTarget('hold'), { LD_PRELOAD: 'libtcmalloc_minimal.so.4:libjemalloc.so.2' });
    expect(info.allocator).toBe('tcmalloc');
  });

  it('reports musl for a musl-gcc binary', async () => {
    const info = await detect(buildTarget('hold', [], 'musl-gcc', '.musl'));
    expect(info.allocator).toBe('musl');
    expect(info.glibcVersion).toBeNull();
  });

  it('reports a static binary as static, embedding glibc malloc', async () => {
    const info = await detect(buildTarget('hold', ['-static'], 'gcc', '.static'));
    expect(info.allocator).toBe('static');
    expect(info.libcPath).toBeNull();
    expect(info.evidence).toMatch(/glibc/);
  });

  it('reports glibc-debug only when libc_malloc_debug.so is preloaded with MALLOC_CHECK_', async () => {
    const debug = `${libdir}/libc_malloc_debug.so.0`;
    expect(existsSync(debug)).toBe(true);
    const withCheck = await detect(buildTarget('hold'), { LD_PRELOAD: debug, MALLOC_CHECK_: '3' });
    expect(withCheck.allocator).toBe('glibc-debug');
    const viaTunable = await detect(buildTarget('hold'), { LD_PRELOAD: debug, GLIBC_TUNABLES: 'glibc.malloc.check=3' });
    expect(viaTunable.allocator).toBe('glibc-debug');
    // glibc leaves NULs for the ':' in /proc/PID/environ: a later tunable must still be seen.
    const second = await detect(buildTarget('hold'), { LD_PRELOAD: debug, GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0:glibc.malloc.check=3' });
    expect(second.allocator).toBe('glibc-debug');
    const without = await detect(buildTarget('hold'), { LD_PRELOAD: debug });
    expect(without.allocator).toBe('glibc');
    expect(without.evidence).toContain('forwards to libc');
  });
});
