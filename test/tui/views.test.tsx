// Each view rendered from snapshots sampled from a live demo target, checked
// against /proc and glibc facts read independently; plus small targeted props
// for the edge cases (no arenas, no heap map).
import { readFileSync } from 'node:fs';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessSnapshot } from '../../src/model/snapshot.js';
import type { Region } from '../../src/regions/kinds.js';
import { readCgroupMemory, type CgroupMemory } from '../../src/proc/cgroup.js';
import { formatBytes, hex } from '../../src/util/format.js';
import { HeapMap, downsampleCells, heapMapMissingNote } from '../../src/tui/components/HeapMap.js';
import type { CellState } from '../../src/tui/components/cells.js';
import { ThemeProvider } from '../../src/tui/theme.js';
import { arenaGrowth } from '../../src/tui/sampling/growth.js';
import { heapMapFromCells } from '../../src/tui/sampling/heapMapCells.js';
import { sampleProcess } from '../../src/engine/sample.js';
import { ArenaDetail } from '../../src/tui/views/ArenaDetail/ArenaDetail.js';
import { arenaDetailLines } from '../../src/tui/views/ArenaDetail/arenaDetailLines.js';
import { Arenas } from '../../src/tui/views/Arenas/Arenas.js';
import { arenaRows } from '../../src/tui/views/Arenas/useArenasState.js';
import { Overview } from '../../src/tui/views/Overview/Overview.js';
import { overviewLines } from '../../src/tui/views/Overview/overviewLines.js';
import { Regions } from '../../src/tui/views/Regions/Regions.js';
import { sortRegions } from '../../src/tui/views/Regions/useRegionsState.js';
import { Help } from '../../src/tui/views/Help/Help.js';
import { helpLines } from '../../src/tui/views/Help/helpLines.js';
import { keyBindings } from '../../src/tui/keys.js';
import { formatDuration, padLeft } from '../../src/tui/text.js';
import { startDemo, type RunningDemo } from './helpers/demoTarget.js';
import { buildC, startNative, type RunningTarget } from '../support/nativeTarget.js';
import { plain } from './helpers/ink.js';
import type { ReactElement } from 'react';

let demo: RunningDemo;
let first: ProcessSnapshot;
let snapshot: ProcessSnapshot;
let cgroup: CgroupMemory | null;

beforeAll(async () => {
  demo = await startDemo();
  first = await sampleProcess(demo.pid);
  snapshot = await sampleProcess(demo.pid, { withBins: true, withHistogram: true });
  cgroup = readCgroupMemory(demo.pid);
}, 120_000);
afterAll(async () => {
  await demo.stop();
});

function frame(element: ReactElement): string {
  const app = render(<ThemeProvider theme={{ color: false }}>{element}</ThemeProvider>);
  const out = plain(app.lastFrame());
  app.unmount();
  return out;
}

function glibcVersion(): string {
  const header = (process.report.getReport() as { header: { glibcVersionRuntime: string } }).header;
  return header.glibcVersionRuntime;
}

describe('Overview', () => {
  it('shows the process, its command line, threads, RSS, VIRT, growth and memory cgroup as /proc has them', () => {
    const f = frame(<Overview lines={overviewLines({ snapshot, first, previous: first, cgroup, width: 100 })} scroll={0} height={40} />);
    const cmdline = readFileSync(`/proc/${demo.pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    expect(f).toContain(`pid ${demo.pid}  demo-target`);
    expect(f).toContain(`Command   ${cmdline}`);
    expect(f).toMatch(new RegExp(`^Threads\\s+${demo.threads + 1}$`, 'm'));
    expect(f).toContain(`RSS ${formatBytes(snapshot.status.vmRss!)}  VIRT ${formatBytes(snapshot.status.vmSize!)}`);
    // The memory cgroup from /proc/PID/cgroup: the v1 memory controller's line when mounted, else the v2 one.
    const cgroupLines = readFileSync(`/proc/${demo.pid}/cgroup`, 'utf8').trim().split('\n');
    const v1 = cgroupLines.find((l) => l.split(':')[1]!.split(',').includes('memory'));
    const v2 = cgroupLines.find((l) => l.startsWith('0::'));
    const memoryLine = v1 ?? v2;
    expect(memoryLine).toBeDefined();
    expect(f).toMatch(new RegExp(`^cgroup\\s+.*\\(v${v1 ? 1 : 2} ${memoryLine!.split(':')[2]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`, 'm'));
    const rssGrowth = snapshot.status.vmRss! - first.status.vmRss!;
    // Over the time between the two samples, as their own timestamps say.
    const over = formatDuration(snapshot.takenAt - first.takenAt);
    expect(f).toMatch(new RegExp(`^Growth\\s+over ${over}: RSS ${rssGrowth > 0 ? '\\+' : ''}${formatBytes(rssGrowth).replace(/[.+]/g, '\\$&')}`, 'm'));
  });

  it('shows the advice lines it is given', () => {
    const advice = [
      { rule: 'arena-count', message: 'more arenas than cores: consider MALLOC_ARENA_MAX' },
      { rule: 'free-resident', message: 'free memory stays resident: malloc_trim could return some' },
    ];
    const f = frame(<Overview lines={overviewLines({ snapshot, first, previous: first, cgroup, advice, width: 120 })} scroll={0} height={40} />);
    expect(f).toMatch(/^Advice\s+arena-count: more arenas than cores: consider MALLOC_ARENA_MAX$/m);
    expect(f).toMatch(/^\s+free-resident: free memory stays resident: malloc_trim could return some$/m);
  });

  it('scrolls when it does not fit', () => {
    const all = frame(<Overview lines={overviewLines({ snapshot, first, previous: first, cgroup, width: 100 })} scroll={0} height={60} />).split('\n');
    const f = frame(<Overview lines={overviewLines({ snapshot, first, previous: first, cgroup, width: 100 })} scroll={3} height={6} />).split('\n');
    expect(f.slice(0, 5)).toEqual(all.slice(3, 8));
    expect(f[5]).toMatch(/lines 4-8 of \d+ \(j\/k to scroll\)/);
  });

  it('shows the arena totals, glibc version and malloc thresholds of the demo', () => {
    const f = frame(<Overview lines={overviewLines({ snapshot, first, previous: first, cgroup, width: 160 })} scroll={0} height={40} />);
    // One arena per worker thread plus main_arena (each new thread gets a new arena below 8 x cores, malloc/arena.c arena_get2).
    expect(f).toMatch(new RegExp(`^Arenas\\s+${demo.threads + 1} \\(1 main \\+ ${demo.threads} thread\\)`, 'm'));
    expect(f).toMatch(new RegExp(`^glibc\\s+${glibcVersion().replace('.', '\\.')}`, 'm'));
    // The demo sets no tunables: glibc's defaults, DEFAULT_MMAP_THRESHOLD_MIN and DEFAULT_TRIM_THRESHOLD (128 KiB).
    expect(f).toContain('mmap_threshold 128 KiB');
    expect(f).toContain('trim_threshold 128 KiB');
  });
});

describe('Regions', () => {
  it('lists every mapping of the snapshot with its kind, the [heap] as main-heap', () => {
    const rows = sortRegions(snapshot.regions, 'addr');
    const thp = rows.some((r) => r.anonHugePages > 0);
    const f = frame(<Regions rows={rows} total={rows.length} selected={0} sort="addr" kind={null} filter="" editing={false} thp={thp} width={100} height={200} />);
    // The THP column only when a mapping has transparent huge pages (the demo has none unless THP is "always").
    expect(f.split('\n')[1]!.trim().split(/\s+/)).toEqual(['Start', 'Size', 'RSS', ...(thp ? ['THP'] : []), 'Perm', 'Kind', 'Detail']);
    const maps = readFileSync(`/proc/${demo.pid}/maps`, 'utf8').trim().split('\n');
    expect(f).toContain(`${rows.length} of ${rows.length} mappings`);
    const heapLine = maps.find((l) => l.endsWith('[heap]'))!;
    const heapStart = '0x' + heapLine.split('-')[0]!.replace(/^0+/, '');
    expect(f).toMatch(new RegExp(`^  ${heapStart} .* main-heap +\\[heap\\]$`, 'm'));
    const tableLines = f.split('\n').filter((l) => /^[› ] 0x/.test(l));
    expect(tableLines).toHaveLength(rows.length);
    expect(tableLines[0]!.startsWith('› ')).toBe(true);
  });

  it('shows the filter being typed and an empty result', () => {
    const f = frame(<Regions rows={[]} total={snapshot.regions.length} selected={0} sort="rss" kind="thread-stack" filter="nomatch" editing thp={false} width={80} height={10} />);
    expect(f).toContain('sort rss  kind thread-stack  filter /nomatch_');
    expect(f).toContain(`0 of ${snapshot.regions.length} mappings`);
    expect(f).toContain('no mapping matches');
  });
});

describe('Regions with transparent huge pages', () => {
  // A thread arena heap whose range [heap + 2 MiB, heap + 4 MiB) the target advised
  // MADV_HUGEPAGE and touched (glibc 2.43+ advises heaps itself, malloc.c madvise_thp).
  let target: RunningTarget;
  afterAll(async () => {
    await target?.stop();
  });

  it('adds a THP column with each mapping\'s AnonHugePages from smaps, when some mapping has any', async () => {
    target = await startNative(buildC('test/targets/foundation/thp_arena.c'));
    const advised = Number(target.fields.find((f) => f.startsWith('advised='))!.slice('advised='.length));
    const thpSnapshot = await sampleProcess(target.pid);
    const rows = sortRegions(thpSnapshot.regions, 'addr');
    // smaps read here, independently of the region map.
    const huge = new Map<number, number>();
    let start = -1;
    for (const line of readFileSync(`/proc/${target.pid}/smaps`, 'utf8').split('\n')) {
      const head = /^([0-9a-f]+)-/.exec(line);
      if (head) start = parseInt(head[1]!, 16);
      const m = /^AnonHugePages:\s+(\d+) kB/.exec(line);
      if (m) huge.set(start, Number(m[1]) * 1024);
    }
    const thp = [...huge.values()].some((v) => v > 0);
    const mode = /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))![1];
    expect(thp).toBe(mode !== 'never');
    const f = frame(<Regions rows={rows} total={rows.length} selected={0} sort="addr" kind={null} filter="" editing={false} thp={rows.some((r) => r.anonHugePages > 0)} width={100} height={200} />);
    expect(f.split('\n')[1]!.trim().split(/\s+/)).toEqual(['Start', 'Size', 'RSS', ...(thp ? ['THP'] : []), 'Perm', 'Kind', 'Detail']);
    // Each row as the table lays it out: Start (14), Size, RSS, THP (9, right-aligned), Perm, Kind, Detail.
    const row = (r: Region): string => {
      const cells = [hex(r.start).padEnd(14), padLeft(formatBytes(r.size), 9), padLeft(formatBytes(r.rss), 9), ...(thp ? [padLeft(huge.get(r.start)! > 0 ? formatBytes(huge.get(r.start)!) : '', 9)] : []), r.perms, r.kind.padEnd(13)];
      return cells.join(' ');
    };
    const lineOf = (r: Region): string => f.split('\n').find((l) => l.slice(2).startsWith(hex(r.start) + ' '))!.slice(2);
    const heapPart = rows.find((x) => x.start === advised)!;
    expect(heapPart.kind).toBe('arena-heap');
    expect(lineOf(heapPart)).toBe(`${row(heapPart)} arena ${hex(heapPart.arena!)}`);
    // A mapping without huge pages leaves its THP cell empty.
    const stack = rows.find((x) => x.kind === 'stack')!;
    expect(lineOf(stack).startsWith(row(stack))).toBe(true);
  });
});

describe('Arenas', () => {
  it('shows one row per arena, main included, with fill bars, sorted by RSS, the largest marked', () => {
    const rows = arenaRows(snapshot, first, first, 'rss');
    const f = frame(<Arenas rows={rows} selected={0} sort="rss" unavailable={null} width={100} height={30} />);
    const tableLines = f.split('\n').filter((l) => /^[› ] [* ] (main|0x[0-9a-f]+) /.test(l));
    expect(tableLines).toHaveLength(demo.threads + 1);
    expect(tableLines.filter((l) => / main /.test(l))).toHaveLength(1);
    // Thread arenas sit right after their heap's heap_info: base + 0x30 on glibc 2.35+, + 0x20 before.
    const [major, minor] = glibcVersion().split('.').map(Number) as [number, number];
    const arenaOffset = major > 2 || minor >= 35 ? 0x30 : 0x20;
    const heapBases = readFileSync(`/proc/${demo.pid}/maps`, 'utf8')
      .split('\n')
      .filter((l) => / rw-p 00000000 00:00 0\s*$/.test(l))
      .map((l) => parseInt(l.split('-')[0]!, 16))
      .filter((start) => start % (64 * 1024 * 1024) === 0);
    for (const base of heapBases) expect(f).toContain(hex(base + arenaOffset));
    expect(tableLines.every((l) => /[█▒░·]{5,}/.test(l))).toBe(true);
    expect(tableLines.filter((l) => /^[› ] \* /.test(l)).length).toBeGreaterThanOrEqual(1);
    expect(tableLines[0]).toMatch(/^› \* /); // the biggest arena is first and marked
  });

  it('says so when the snapshot has no arenas, or why they are unavailable', () => {
    expect(frame(<Arenas rows={[]} selected={0} sort="rss" unavailable={null} width={80} height={10} />)).toContain('no arenas in this snapshot');
    expect(frame(<Arenas rows={[]} selected={0} sort="rss" unavailable="allocator is jemalloc" width={80} height={10} />)).toContain(
      'arenas unavailable: allocator is jemalloc',
    );
  });
});

describe('Arena detail', () => {
  it('shows the free lists, size classes and heaps of a thread arena', () => {
    const arena = snapshot.malloc!.arenas.find((a) => !a.main)!;
    const growth = arenaGrowth(first, first, snapshot).get(arena.address) ?? null;
    const f = frame(<ArenaDetail lines={arenaDetailLines({ arena, growth, width: 100 })} address={arena.address} scroll={0} height={500} />);
    expect(f).toContain(`thread arena  ${hex(arena.address)}`);
    expect(f).toMatch(new RegExp(`^  tcache +${arena.free.tcache.chunks} chunks +${formatBytes(arena.free.tcache.bytes).replace('.', '\\.')}`, 'm'));
    expect(f).toMatch(new RegExp(`^  smallbins +${arena.free.smallbins.chunks} chunks`, 'm'));
    expect(f).toContain('Size classes');
    expect(f).not.toContain('size-class histogram not in this snapshot');
    // The histogram's buckets add up to the arena's in-use chunks (tcache struct included or not).
    const inUseChunks = f
      .split('\n')
      .map((l) => /^ +[0-9.]+ (?:B|KiB|MiB)\+ +(\d+) /.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .reduce((sum, m) => sum + Number(m[1]), 0);
    expect([arena.inUse.chunks, arena.inUse.chunks + arena.internal.chunks]).toContain(inUseChunks);
    for (const h of arena.heaps) expect(f).toContain(hex(h.start));
    expect(f).toContain(heapMapMissingNote);
  });

  it('says when the opened arena is gone from the snapshot', () => {
    expect(frame(<ArenaDetail lines={null} address={0x7f0000000030} scroll={0} height={10} />)).toContain(
      'arena 0x7f0000000030 is not in the current snapshot',
    );
  });
});

describe('HeapMap', () => {
  it('draws the cells it is given, one glyph per state, with a legend', () => {
    const cells: CellState[] = [...Array(10).fill('used'), ...Array(5).fill('free'), ...Array(3).fill('top'), ...Array(2).fill('unmapped')];
    const f = frame(<HeapMap heapMap={{ cells }} width={40} height={5} />);
    expect(f.split('\n')[0]).toBe('██████████▒▒▒▒▒░░░··');
    expect(f).toContain('█ in use  ▒ free  ░ top  · not resident');
  });

  it('wraps rows and merges cells when there are more than fit', () => {
    const cells: CellState[] = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 'free' : 'used'));
    expect(frame(<HeapMap heapMap={{ cells }} width={10} height={4} />).split('\n').slice(0, 3)).toEqual(['▒██▒██▒██▒', '██▒██▒██▒█', '█▒██▒██▒██']);
    const merged = downsampleCells(cells, 10);
    expect(merged.perCell).toBe(3);
    expect(merged.cells).toEqual(Array(10).fill('used')); // two of each three are in use
  });

  it('says the map is not in the snapshot when there are no cells', () => {
    expect(frame(<HeapMap width={40} height={3} />)).toContain(heapMapMissingNote);
  });
});

describe('heap map from the cells the walk counts', () => {
  it('gives each cell the state holding most of its bytes; bytes no chunk covers are not resident', () => {
    const page = 4096;
    // used, free, top bytes per cell, as the walk counts them.
    const bytes = new Float64Array([page, 0, 0, 100, page - 100, 0, page - 100, 100, 0, 0, 0, page, 0, 0, 10, 0, 0, 0]);
    const map = heapMapFromCells({ cellBytes: page, bytes }, 6 * page);
    expect(map.cells).toEqual(['used', 'free', 'used', 'top', 'unmapped', 'unmapped']);
  });

  it('draws the map the walk built of a live demo arena: in use at the start, nothing past system_mem', async () => {
    const first = await sampleProcess(demo.pid);
    const address = first.malloc!.arenas.find((a) => !a.main)!.address;
    const cellCount = 512;
    const s = await sampleProcess(demo.pid, { heapMap: { arena: address, cells: cellCount } });
    const arena = s.malloc!.arenas.find((a) => a.address === address)!;
    // Only the arena asked for carries a map.
    expect(s.malloc!.arenas.filter((a) => a.heapMap)).toEqual([arena]);
    const reserved = arena.heaps.reduce((sum, h) => sum + h.reserved, 0);
    const { cells } = heapMapFromCells(arena.heapMap!, reserved);
    const cellBytes = Math.max(4096, Math.ceil(reserved / cellCount / 4096) * 4096);
    expect(arena.heapMap!.cellBytes).toBe(cellBytes);
    expect(cells).toHaveLength(Math.ceil(reserved / cellBytes));
    // heap_info, the arena itself and the tcache struct open the first heap (all in use).
    expect(cells[0]).toBe('used');
    const mapped = cells.filter((c) => c !== 'unmapped').length;
    expect(Math.abs(mapped - arena.systemMem / cellBytes)).toBeLessThanOrEqual(1.5);
    expect(cells.slice(mapped).every((c) => c === 'unmapped')).toBe(true);
  });
});

describe('Help', () => {
  it('lists every key binding', () => {
    const f = frame(<Help lines={helpLines(120)} scroll={0} height={100} />);
    for (const k of keyBindings) expect(f).toContain(k.keys);
    for (const k of ['Tab', 'Enter', 'Esc', '/', 's', 'd', 'r', 'p', '?', 'q']) {
      expect(keyBindings.some((b) => b.keys.split(/\s+/).includes(k))).toBe(true);
    }
  });
});
