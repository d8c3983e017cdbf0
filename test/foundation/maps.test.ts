// `arenascope maps` against real processes: classification of thread arenas
// and stacks, JSON shape, filters, and the error paths.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/util/format.js';
import { testedGlibcVersions } from '../helpers/glibc.js';
import { buildC, runCli, startNative, type RunningTarget } from '../support/nativeTarget.js';

/** One smaps field (Rss, AnonHugePages, ...) of every mapping by its start address, in bytes, read from /proc/PID/smaps. */
function smapsField(pid: number, field: string): Map<number, number> {
  const out = new Map<number, number>();
  const value = new RegExp(`^${field}:\\s+(\\d+) kB`);
  let start = -1;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-[0-9a-f]+ /.exec(line);
    if (head) start = parseInt(head[1]!, 16);
    const m = value.exec(line);
    if (m) out.set(start, Number(m[1]) * 1024);
  }
  return out;
}
const smapsRss = (pid: number): Map<number, number> => smapsField(pid, 'Rss');
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
    // The THP column is there only when some mapping has AnonHugePages (none here unless THP is "always").
    const anyThp = [...smapsField(target.pid, 'AnonHugePages').values()].some((v) => v > 0);
    expect(r.stdout.split('\n')[0]!.split(/\s+/)).toEqual(['Address', 'Size', 'RSS', ...(anyThp ? ['THP'] : []), 'Dirty', 'Swap', 'Mode', 'Kind', 'Mapping']);
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

describe('maps: a thread arena heap backed by transparent huge pages', () => {
  // The target advises [heap + 2 MiB, heap + 4 MiB) of its thread arena's heap with
  // MADV_HUGEPAGE and touches it (glibc 2.43+ advises arena heaps itself: malloc.c
  // madvise_thp). What the kernel allows decides whether that range gets a huge page.
  const MiB = 1024 * 1024;
  const heapMax = 64 * MiB;
  const thpMode = /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))![1]!;
  let target: RunningTarget;
  let heap: number;
  let advised: number;

  beforeAll(async () => {
    target = await startNative(buildC('test/targets/foundation/thp_arena.c'));
    const field = (k: string) => target.fields.find((f) => f.startsWith(`${k}=`))!.slice(k.length + 1);
    heap = Number(field('heap'));
    advised = Number(field('advised'));
    expect(field('madvise')).toBe('0');
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('gives every mapping its smaps AnonHugePages, and the advised heap range has a huge page when THP is not "never"', async () => {
    const r = await runCli(['maps', String(target.pid), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const truth = smapsField(target.pid, 'AnonHugePages');
    const out = JSON.parse(r.stdout);
    expect(out.regions.length).toBe(truth.size);
    for (const x of out.regions) expect(x.anonHugePages, x.start).toBe(truth.get(parseInt(x.start, 16)));
    expect(out.totals.anonHugePages).toBe([...truth.values()].reduce((a, b) => a + b, 0));
    if (thpMode === 'never') expect(truth.get(advised)).toBe(0);
    else expect(truth.get(advised), `THP is "${thpMode}" but the advised range holds no huge page`).toBeGreaterThan(0);

    // The advice split the heap's rw part into three mappings: all are the same arena's heap.
    const inHeap = out.regions.filter((x: { start: string }) => parseInt(x.start, 16) >= heap && parseInt(x.start, 16) < heap + heapMax);
    const rw = inHeap.filter((x: { perms: string }) => x.perms.startsWith('rw'));
    expect(rw.length).toBeGreaterThanOrEqual(3);
    expect(new Set(rw.map((x: { kind: string }) => x.kind))).toEqual(new Set(['arena-heap']));
    const arena = rw[0].arena;
    expect(rw[0].start).toBe('0x' + heap.toString(16));
    expect(rw[0].heaps.map((h: { base: string }) => h.base)).toEqual([rw[0].start]);
    for (const x of inHeap) expect(x.arena).toBe(arena);
    expect(inHeap.filter((x: { kind: string }) => x.kind === 'arena-reserve')).toHaveLength(1);
    expect(out.summary['arena-heap'].anonHugePages).toBe(rw.reduce((s: number, x: { start: string }) => s + truth.get(parseInt(x.start, 16))!, 0));
  });

  it('shows a THP column and the huge pages of the arena heaps in the summary, when there are any', async () => {
    const r = await runCli(['maps', String(target.pid), '--kind', 'arena-heap']);
    expect(r.code, r.stderr).toBe(0);
    const truth = smapsField(target.pid, 'AnonHugePages');
    const [table, summary] = r.stdout.split('\n\n') as [string, string];
    const rows = table.split('\n');
    const thp = [...truth.entries()].filter(([start]) => start >= heap && start < heap + heapMax).reduce((s, [, v]) => s + v, 0);
    expect(rows[0]!.split(/\s+/).includes('THP')).toBe(thp > 0);
    const row = rows.find((l) => parseInt(l.split(/\s+/)[0]!, 16) === advised)!;
    expect(row).toBeDefined();
    if (thp > 0) {
      // Address, Size, RSS, THP: the advised mapping's own numbers from smaps.
      const cells = [formatBytes(2 * MiB), formatBytes(smapsRss(target.pid).get(advised)!), formatBytes(truth.get(advised)!)];
      expect(row).toMatch(new RegExp(`^${advised.toString(16).padStart(12, '0')} +${cells.map(esc).join(' +')} `));
      expect(summary).toMatch(new RegExp(`^arena-heap +1 blocks .* resident  ${esc(formatBytes(thp))} in huge pages$`, 'm'));
    } else {
      expect(summary).not.toMatch(/in huge pages/);
    }
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
