// scanTargetStrings: resolve what to scan (ranges, regions, arenas, the
// suspicious heaps), run the native scanner over live memory, and attribute
// what it found to chunks and arenas.
import { ArenascopeError, toArenascopeError } from '../errors.js';
import { redact } from '../analysis/redact.js';
import { MemoryReader } from '../memory/reader.js';
import type { MallocSnapshot } from '../model/snapshot.js';
import type { StringScanOptions, StringScanResult, StringSelection } from '../model/strings.js';
import { withCancelToken } from '../native/cancel.js';
import { loadNative } from '../native/loader.js';
import type { NativeChunkMap, NativeStringScanResult } from '../native/native.js';
import { readMaps } from '../proc/maps.js';
import { regionContaining } from '../regions/kinds.js';
import { arenaOwnersIn, mappingContaining } from '../target/heapOwners.js';
import { preflight } from '../target/preflight.js';
import type { RegionMap } from '../target/regionMap.js';

export interface ScanContext {
  /** Resident bytes per heap start from an earlier look (the TUI's first refresh): ranks growth for --suspicious. */
  baseline?: Map<number, number>;
  regionMap?: RegionMap;
  /** Aborting it cancels the walk and the scan (ECANCELED). */
  signal?: AbortSignal;
}

type Range = { start: number; end: number };

function heapRanges(s: MallocSnapshot, filter?: (arenaIndex: number) => boolean): Range[] {
  const out: Range[] = [];
  s.arenas.forEach((a, i) => {
    if (filter && !filter(i)) return;
    for (const h of a.heaps) out.push({ start: h.start, end: h.start + h.size });
  });
  return out;
}

/** Arena heaps ranked by resident bytes (or growth over the baseline), top n. */
export function suspiciousRanges(s: MallocSnapshot, map: RegionMap, n: number, baseline?: Map<number, number>): Range[] {
  const heaps = s.arenas.filter((a) => !a.main).flatMap((a) => a.heaps);
  const rssOf = (start: number) => regionContaining(map, start)?.rss ?? 0;
  const score = (start: number) => (baseline ? rssOf(start) - (baseline.get(start) ?? 0) : rssOf(start));
  return heaps
    .sort((a, b) => score(b.start) - score(a.start) || rssOf(b.start) - rssOf(a.start))
    .slice(0, Math.max(1, n))
    .map((h) => ({ start: h.start, end: h.start + h.size }));
}

function needsWalk(selection: StringSelection, options: StringScanOptions): boolean {
  return options.filter !== 'all' || !['range', 'region'].includes(selection.kind);
}

export async function scanTargetStrings(
  pid: number,
  selection: StringSelection,
  options: StringScanOptions,
  onProgress?: (bytesDone: number, bytesTotal: number) => void,
  context: ScanContext = {},
): Promise<StringScanResult> {
  const t0 = process.hrtime.bigint();
  preflight(pid, { requireX86_64: true });
  const reader = MemoryReader.forProcess(pid, { readSwapped: options.readSwapped });
  let ranges: Range[] = [];
  let malloc: MallocSnapshot | null = null;
  let chunkMap: NativeChunkMap | null = null;
  let arenaAt: (address: number) => number | null;
  let map = context.regionMap;
  if (selection.kind === 'range' || selection.kind === 'region') {
    // The quick path (`strings --region` is timed against gdb + strings):
    // the maps file and the heap_info of the scanned heaps, nothing heavier.
    const known = map;
    const maps = known ? [] : readMaps(pid);
    if (selection.kind === 'range') ranges = [{ start: selection.start, end: selection.end }];
    else {
      const m = known ? regionContaining(known, selection.address) : mappingContaining(maps, selection.address);
      if (!m) throw new ArenascopeError('EINVAL', `no mapping of pid ${pid} contains 0x${selection.address.toString(16)}`);
      ranges = [{ start: m.start, end: m.end }];
    }
    arenaAt = known ? (a) => regionContaining(known, a)?.arena ?? null : arenaOwnersIn(reader, maps, ranges);
  } else {
    const known = map ?? (await import('../target/regionMap.js')).readRegionMap(pid, reader);
    map = known;
    arenaAt = (a) => regionContaining(known, a)?.arena ?? null;
  }
  if (needsWalk(selection, options)) {
    const { readMallocSnapshot } = await import('./malloc.js');
    const r = await readMallocSnapshot(pid, { regionMap: map, withChunkMap: true, readSwapped: options.readSwapped, ...(context.signal ? { signal: context.signal } : {}) });
    malloc = r.snapshot;
    chunkMap = r.chunkMap;
  }
  switch (selection.kind) {
    case 'range':
    case 'region':
      break;
    case 'arena': {
      const idx = malloc!.arenas.findIndex((a) => a.address === selection.address);
      if (idx < 0) throw new ArenascopeError('EINVAL', `pid ${pid} has no arena at 0x${selection.address.toString(16)}`);
      ranges = heapRanges(malloc!, (i) => i === idx);
      break;
    }
    case 'suspicious':
      ranges = suspiciousRanges(malloc!, map!, selection.top, context.baseline);
      break;
    case 'arenas':
    case 'default':
      ranges = heapRanges(malloc!);
      break;
  }
  if (!ranges.length) throw new ArenascopeError('EINVAL', `nothing to scan in pid ${pid}: no arena heaps found`);
  let native: NativeStringScanResult;
  try {
    native = await withCancelToken(context.signal, (cancel) =>
      loadNative().scanStrings(
        reader.native,
        ranges,
        {
          minLength: options.minLength,
          encoding: options.encoding,
          top: options.top,
          samples: options.samples,
          ...(options.grep ? { grep: options.grep } : {}),
          ...(chunkMap ? { chunkMap, chunkFilter: options.filter } : {}),
          ...(cancel ? { cancel } : {}),
        },
        onProgress,
      ),
    );
  } catch (err) {
    throw toArenascopeError(err, { pid });
  }
  const clean = options.redact ? redact : (t: string) => t;
  const own = reader.counters();
  const walked = malloc?.reads;
  return {
    pid,
    reads: {
      zeroBytes: own.zeroBytes + (walked?.zeroBytes ?? 0),
      swappedBytes: own.swappedBytes + (walked?.swappedBytes ?? 0),
      pagemapUsed: own.pagemapUsed && (walked?.pagemapUsed ?? true),
    },
    scanned: { ranges, bytes: native.bytesScanned },
    stringsFound: native.stringsFound,
    approximate: native.approximate,
    strings: native.strings.map((s) => ({ text: clean(s.text), count: s.count, bytes: s.bytes })),
    samples: native.samples.map((s) => {
      const arena = s.chunk && malloc && s.arenaIndex >= 0 ? (malloc.arenas[s.arenaIndex]?.address ?? null) : arenaAt(s.address);
      return {
        address: s.address,
        text: clean(s.text),
        length: s.length,
        // glibc's own chunks (the tcache struct) are in use too, by malloc itself.
        chunk: s.chunk ? { start: s.chunk.start, size: s.chunk.size, inUse: s.chunk.state !== 'free' } : null,
        arena,
      };
    }),
    bySizeClass: native.bySizeClass,
    durationMs: Number(process.hrtime.bigint() - t0) / 1e6,
  };
}
