// `arenascope maps` against real processes: classification of thread arenas
// and stacks, JSON shape, filters, and the error paths.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testedGlibcVersions } from '../helpers/glibc.js';
import { buildC, runCli, startNative, type RunningTarget } from '../support/nativeTarget.js';

/** Rss of every mapping by its start address, read from /proc/PID/smaps. */
function smapsRss(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let start = -1;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-[0-9a-f]+ /.exec(line);
    if (head) start = parseInt(head[1]!, 16);
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out.set(start, Number(rss[1]) * 1024);
  }
  return out;
}

describe('maps', () => {
  let target: RunningTarget;
  const threads = 5;

  beforeAll(async () => {
    target = await startNative(buildC('test/targets/foundation/threads.c'), [String(threads)]);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('finds N arena heaps linked to N distinct arenas and N thread stacks', async () => {
    const r = await runCli(['maps', String(target.pid), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.pid).toBe(target.pid);
    const heaps = out.regions.filter((x: { kind: string }) => x.kind === 'arena-heap');
    expect(heaps).toHaveLength(threads);
    const arenas = new Set(heaps.map((h: { arena: string }) => h.arena));
    expect(arenas.size).toBe(threads);
    // Each arena lives in its own heap, right after heap_info (0x30 on 2.35+).
    for (const h of heaps) expect(BigInt(h.arena) - BigInt(h.start)).toBe(0x30n);
    const reserves = out.regions.filter((x: { kind: string }) => x.kind === 'arena-reserve');
    expect(new Set(reserves.map((x: { arena: string }) => x.arena))).toEqual(arenas);
    const stacks = out.regions.filter((x: { kind: string }) => x.kind === 'thread-stack');
    expect(stacks).toHaveLength(threads);
    const tids = new Set(stacks.map((s: { tid: number }) => s.tid));
    expect(tids.size).toBe(threads);
    expect(out.regions.filter((x: { kind: string }) => x.kind === 'stack-guard')).toHaveLength(threads);
    expect(out.regions.filter((x: { kind: string }) => x.kind === 'stack')).toHaveLength(1);
    expect(out.regions.filter((x: { kind: string }) => x.kind === 'main-heap')).toHaveLength(1);
    // summary and totals agree with the regions
    expect(out.summary['arena-heap'].count).toBe(threads);
    const rss = out.regions.reduce((s: number, x: { rss: number }) => s + x.rss, 0);
    expect(out.totals.rss).toBe(rss);
    for (const x of out.regions) {
      expect(x.start).toMatch(/^0x[0-9a-f]+$/);
      expect(typeof x.size).toBe('number');
    }
  });

  it('filters the table by kind: exactly the thread stacks, and the summary counts them', async () => {
    const r = await runCli(['maps', String(target.pid), '--kind', 'thread-stack', '--sort', 'rss']);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n\n')[0]!.split('\n').slice(1);
    expect(rows).toHaveLength(threads);
    for (const row of rows) expect(row).toContain('thread-stack');
    expect(r.stdout).toMatch(/thread-stack\s+5 maps/);
    expect(r.stdout).not.toMatch(/\u001b\[/); // NO_COLOR
  });

  it('sorts the table by rss, largest first, by the Rss /proc/PID/smaps gives each mapping', async () => {
    const r = await runCli(['maps', String(target.pid), '--sort', 'rss']);
    expect(r.code, r.stderr).toBe(0);
    const smaps = smapsRss(target.pid);
    const rows = r.stdout.split('\n\n')[0]!.split('\n').slice(1);
    expect(rows).toHaveLength(smaps.size);
    const rss = rows.map((row) => {
      const start = parseInt(row.split(/\s+/)[0]!, 16);
      expect(smaps.has(start), row).toBe(true);
      return smaps.get(start)!;
    });
    // the parked target's mappings differ in RSS, so the order says something
    expect(new Set(rss).size).toBeGreaterThan(2);
    expect(rss).toEqual([...rss].sort((a, b) => b - a));
  });

  it('rejects a bad kind with a usage error', async () => {
    const r = await runCli(['maps', String(target.pid), '--kind', 'nonsense']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--kind must be one of/);
  });

  it('names a missing process with exit code 3', async () => {
    const r = await runCli(['maps', '4194303']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no process with pid 4194303/);
  });

  it('tells an unprivileged inspector what would allow it (exit 4)', async () => {
    const r = await runCli(['maps', String(target.pid)], { uid: 65534, gid: 65534 });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/CAP_SYS_PTRACE/);
    expect(r.stderr).toMatch(/ptrace_scope/);
  });
});

describe('maps: mmapped chunks', () => {
  // On every tested glibc: from 2.43 an mmapped chunk's size is its mapping length less
  // CHUNK_HDR_SZ (malloc.c mmap_size()), up to 2.42 the mapping length itself.
  it.each(testedGlibcVersions())('finds every chunk malloc placed in its own mapping, as malloc_info counts them (glibc %s)', async (glibc) => {
    const { startTarget } = await import('../helpers/targets.js');
    const target = await startTarget('oracle', ['--threads', '2', '--free-pattern', 'mmapped', '--pattern-in', 'all'], { glibc });
    try {
      const truth = (await import('../helpers/truth.js')).readTruth(target.outDir);
      const r = await runCli(['maps', String(target.pid), '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      // mostly kind mmapped-chunk; a chunk mapped right below an arena heap shares its VMA
      const mm = out.regions.filter((x: { mmappedChunks: unknown }) => x.mmappedChunks !== null);
      const count = mm.reduce((t: number, x: { mmappedChunks: { count: number } }) => t + x.mmappedChunks.count, 0);
      const bytes = mm.reduce((t: number, x: { mmappedChunks: { bytes: number } }) => t + x.mmappedChunks.bytes, 0);
      expect(truth.mallocInfo.mmap!.count).toBeGreaterThanOrEqual(3);
      expect(count).toBe(truth.mallocInfo.mmap!.count);
      expect(bytes).toBe(truth.mallocInfo.mmap!.size);
    } finally {
      await target.stop();
    }
  });
});
