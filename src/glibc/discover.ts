// Discovery, as one step: from a pid's maps to what a walk of its glibc malloc
// needs, in one typed record. Allocator detection, the library that owns the
// heap (libc, or libc_malloc_debug.so under MALLOC_CHECK_ on 2.34+), its ELF
// file, version banner and build-id, debug symbols when there are any, the
// layout (a table row, or inferred for a glibc newer than the table) and where
// main_arena and mp_ are. None of it changes while the process lives with the
// same libc mapped, so a caller that samples repeatedly (the TUI) keeps the
// record and passes it back (discoveryHolds checks it still applies).
import { ArenascopeError } from '../errors.js';
import type { MemoryReader } from '../memory/reader.js';
import type { AllocatorInfo, LocatedBy } from '../model/snapshot.js';
import { throwIfCancelled } from '../native/cancel.js';
import { loadNative } from '../native/loader.js';
import { readEnviron } from '../proc/status.js';
import { defaultHeapMax, hugetlbHeapMaxes } from '../regions/heapInfo.js';
import type { RegionMap } from '../target/regionMap.js';
import { detectAllocator } from './allocator.js';
import { loadDebugSymbols } from './debuginfo.js';
import { ElfFile } from './elf.js';
import { heapMaxFor, isNewerThanTable, layoutCandidates, layoutForNative, withoutTcache, type MallocLayout } from './layouts.js';
import { findLibrary, libcName, loadBias, mallocDebugName, readBuildIdFromMemory, readGlibcVersion, readLibraryFile } from './libc.js';
import { locateMalloc } from './locate.js';

export interface MallocDiscovery {
  pid: number;
  allocator: AllocatorInfo;
  /** The glibc release, from the banner in the target's memory. */
  version: { text: string; minor: number };
  /** The mapping of the library whose malloc owns the heap: the record holds while it stays mapped. */
  library: { path: string; start: number };
  buildId: string | null;
  /** The struct layout that passed the invariants, and how it was chosen. */
  layout: MallocLayout;
  layoutChosenBy: 'table' | 'inferred';
  locatedBy: LocatedBy;
  mainArena: number;
  mallocPar: number;
  /** heap_max of non-main arenas (HEAP_MAX_SIZE, or a multiple of mp_.hp_pagesize where the version says so). */
  heapMaxSize: number;
  /** Address of global_max_fast when debug symbols give it (the fastbin limit). */
  globalMaxFast: number | null;
  /**
   * The thread-local `tcache` pointer's offset in libc's TLS block, when debug
   * symbols give it: what a per-thread view needs to name each thread's tcache.
   */
  tcacheTlsOffset: number | null;
}

export interface DiscoverOptions {
  useDebuginfo: boolean;
  debugDirs: string[];
  locate?: LocatedBy;
  signal?: AbortSignal;
}

export async function discoverMalloc(pid: number, reader: MemoryReader, regionMap: RegionMap, options: DiscoverOptions): Promise<MallocDiscovery> {
  const maps = regionMap.regions.map((r) => ({ start: r.start, end: r.end, perms: r.perms, offset: r.offset, dev: '', inode: 0, path: r.path }));
  const allocator: AllocatorInfo = detectAllocator(maps, readEnviron(pid));
  if (allocator.allocator !== 'glibc' && allocator.allocator !== 'glibc-debug') {
    throw new ArenascopeError('NOT_GLIBC', `pid ${pid} does not use glibc malloc: its allocator is ${allocator.allocator} (${allocator.evidence}); 'arenascope maps ${pid}' still works`);
  }
  // With MALLOC_CHECK_ on 2.34+, a separate malloc.c copy inside libc_malloc_debug.so owns the heap.
  const debugDso = allocator.allocator === 'glibc-debug';
  const lib = findLibrary(pid, maps, debugDso ? mallocDebugName : libcName);
  const libc = findLibrary(pid, maps, libcName);
  if (!lib || !libc) throw new ArenascopeError('NOT_GLIBC', `pid ${pid}: no libc mapping found`);
  const file = readLibraryFile(lib);
  let elf: ElfFile | null = null;
  try {
    elf = file ? new ElfFile(file) : null;
  } catch {
    elf = null;
  }
  const version = readGlibcVersion(reader, libc, debugDso ? readLibraryFile(libc) : file);
  if (!version) throw new ArenascopeError('NOT_GLIBC', `pid ${pid}: cannot read the glibc version banner from ${libc.path}`);
  allocator.glibcVersion = version.text;
  const buildId = readBuildIdFromMemory(reader, lib) ?? elf?.buildId() ?? null;
  const useDebuginfo = options.useDebuginfo && (options.locate === undefined || options.locate === 'debuginfo');
  const debug = useDebuginfo && buildId ? loadDebugSymbols(pid, buildId, options.debugDirs) : null;
  let layouts: MallocLayout[] = layoutCandidates(version.minor);
  if (debugDso) layouts = layouts.map(withoutTcache);
  const native = loadNative();
  const attempts: Array<{ method: LocatedBy; result: string }> = [];
  const bias = loadBias(lib, elf);
  const location = await locateMalloc(
    {
      reader,
      lib,
      maps,
      elf,
      bias,
      layouts,
      heapMaxes: [defaultHeapMax, ...hugetlbHeapMaxes],
      debug,
      heaps: regionMap.regions.flatMap((r) => r.heaps),
      liveScan: async (start, end, layout) => {
        const found = await native.scanForMainArena(reader.native, start, end, layoutForNative(layout), defaultHeapMax);
        return found.sort((a, b) => b.score - a.score).map((c) => c.address);
      },
    },
    { useDebuginfo, attempts, ...(options.locate ? { only: options.locate } : {}) },
  );
  // Locating can scan libc's data (liveScan): a caller that left meanwhile need not wait for the walk.
  throwIfCancelled(options.signal);
  if (!location) {
    const only = options.locate ? ` with --locate ${options.locate} alone` : '';
    const why = attempts.map((a) => `${a.method}: ${a.result}`).join('; ');
    throw new ArenascopeError('LAYOUT_MISMATCH', `pid ${pid}: could not locate main_arena${only} for glibc ${version.text} (${lib.path}); no layout passed the memory invariants (${why})`);
  }
  if (location.mallocPar === null) {
    throw new ArenascopeError('LAYOUT_MISMATCH', `pid ${pid}: found main_arena but not mp_ (glibc ${version.text}); install libc debug symbols or pass --debug-dir`);
  }
  const layout = location.layout;
  const hpPagesize = layout.mpHpPagesize >= 0 ? (reader.readU64(location.mallocPar + layout.mpHpPagesize) ?? 0) : 0;
  const globalMaxFast = useDebuginfo ? debug?.symbols.get('global_max_fast') : undefined;
  const tcacheTls = debug?.symbols.get('tcache');
  return {
    pid,
    allocator,
    version: { text: version.text, minor: version.minor },
    library: { path: lib.path, start: lib.base },
    buildId,
    layout,
    layoutChosenBy: isNewerThanTable(version.minor) ? 'inferred' : 'table',
    locatedBy: location.locatedBy,
    mainArena: location.mainArena,
    mallocPar: location.mallocPar,
    // The layout row says whether this version's heap_max follows hp_pagesize (glibc.malloc.hugetlb >= 2 on 2.35-2.41).
    heapMaxSize: heapMaxFor(layout, hpPagesize),
    globalMaxFast: globalMaxFast ? bias + globalMaxFast.value : null,
    tcacheTlsOffset: tcacheTls ? tcacheTls.value : null,
  };
}

/** Whether a discovery of this pid still applies: the same library mapped at the same place. */
export function discoveryHolds(d: MallocDiscovery, pid: number, regionMap: RegionMap): boolean {
  return d.pid === pid && regionMap.regions.some((r) => r.start === d.library.start && r.path === d.library.path && r.offset === 0);
}
