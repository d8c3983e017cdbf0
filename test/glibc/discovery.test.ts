// glibc discovery against a live process: version from the banner in target
// memory, build-id from the mapped ELF header, main_arena and mp_ found both
// from debug symbols and symbol-free, with identical answers.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDebugSymbols } from '../../src/glibc/debuginfo.js';
import { ElfFile } from '../../src/glibc/elf.js';
import { layoutCandidates, layoutTable } from '../../src/glibc/layouts.js';
import { findLibrary, libcName, loadBias, readBuildIdFromMemory, readGlibcVersion, readLibraryFile } from '../../src/glibc/libc.js';
import { fileImageMainArena, fileImageMallocPar, locateMalloc } from '../../src/glibc/locate.js';
import { MemoryReader } from '../../src/memory/reader.js';
import { readMaps } from '../../src/proc/maps.js';
import { ensureGlibc, testedGlibcVersions } from '../helpers/glibc.js';
import { debugFileFor, symbolValue } from '../support/libcSymbols.js';
import { buildC, startNative, type RunningTarget } from '../support/nativeTarget.js';
import { childEnv } from '../support/childEnv.js';

describe('glibc discovery (system glibc)', () => {
  let target: RunningTarget;
  beforeAll(async () => {
    target = await startNative(buildC('test/targets/foundation/threads.c'), ['3']);
  });
  afterAll(async () => {
    await target?.stop();
  });

  function setup() {
    const reader = MemoryReader.forProcess(target.pid);
    const maps = readMaps(target.pid);
    const lib = findLibrary(target.pid, maps, libcName)!;
    const file = readLibraryFile(lib)!;
    const elf = new ElfFile(file);
    return { reader, maps, lib, file, elf, bias: loadBias(lib, elf) };
  }

  it('reads the version banner from target memory, equal to what ldd reports', () => {
    const { reader, lib } = setup();
    const v = readGlibcVersion(reader, lib, null)!;
    expect(v).not.toBeNull();
    const ldd = execFileSync('ldd', ['--version'], { env: childEnv() }).toString();
    expect(ldd).toContain(`${v.major}.${v.minor}`);
    expect(v.banner).toMatch(/^GNU C Library .*release version \d+\.\d+/);
  });

  it('reads the build-id from the mapped ELF header, equal to the file note', () => {
    const { reader, lib, elf } = setup();
    const id = readBuildIdFromMemory(reader, lib);
    expect(id).toMatch(/^[0-9a-f]{40}$/);
    expect(id).toBe(elf.buildId());
    const readelf = execFileSync('readelf', ['-n', lib.path], { env: childEnv() }).toString();
    expect(readelf).toContain(id!);
  });

  it('finds main_arena and mp_ the same way with and without debug symbols', async () => {
    const { reader, maps, lib, elf, bias } = setup();
    const v = readGlibcVersion(reader, lib, null)!;
    const debug = loadDebugSymbols(target.pid, readBuildIdFromMemory(reader, lib)!, []);
    expect(debug, 'libc6-dbg must be installed (.ci/run installs it)').not.toBeNull();
    const input = { reader, lib, maps, elf, bias, layouts: layoutCandidates(v.minor), heapMaxes: [64 << 20], debug, heaps: [], liveScan: null };
    const withSyms = (await locateMalloc(input, { useDebuginfo: true }))!;
    const without = (await locateMalloc(input, { useDebuginfo: false }))!;
    expect(withSyms.locatedBy).toBe('debuginfo');
    expect(without.locatedBy).toBe('file-pattern');
    expect(without.mainArena).toBe(withSyms.mainArena);
    expect(without.mallocPar).toBe(withSyms.mallocPar);
    expect(without.layout.name).toBe(withSyms.layout.name);
    expect(withSyms.mainArena).toBe(bias + debug!.symbols.get('main_arena')!.value);
    // the ring: main_arena plus one arena per thread
    expect(withSyms.ring.ring).toHaveLength(4);
    expect(withSyms.ring.ring[0]).toBe(withSyms.mainArena);
    // the debug file's symbol sizes agree with the layout table
    expect(debug!.symbols.get('main_arena')!.size).toBe(withSyms.layout.stateSize);
    expect(debug!.symbols.get('mp_')!.size).toBe(withSyms.layout.mpSize);
  });

  it('finds exactly one initializer image in the libc file', () => {
    const { elf, reader, lib } = setup();
    const v = readGlibcVersion(reader, lib, null)!;
    const layout = layoutCandidates(v.minor)[0]!;
    expect(fileImageMainArena(elf, layout)).toHaveLength(1);
    expect(fileImageMallocPar(elf, layout)).toHaveLength(1);
  });
});

describe.each(testedGlibcVersions())('symbol-free patterns in the libc file of glibc %s', (version) => {
  // Each glibc's own libc.so.6 and libc6-dbg debug file: the initializer images must name
  // exactly the addresses of the main_arena and mp_ symbols (mp_'s tail defaults moved in
  // 2.42/2.43 and thp_mode appeared in 2.43, so a pattern keyed on one release misses another).
  it('finds main_arena and mp_ once each, where the debug symbols put them', () => {
    const glibc = ensureGlibc(version);
    const libcPath = `${glibc.libDir}/libc.so.6`;
    const elf = new ElfFile(readFileSync(libcPath));
    const debugFile = debugFileFor(glibc.debugDir ?? '/usr/lib/debug', elf.buildId()!);
    expect(debugFile, `libc6-dbg for ${libcPath}`).not.toBeNull();
    const layout = layoutCandidates(Number(version.split('.')[1]))[0]!;
    expect(fileImageMainArena(elf, layout)).toEqual([symbolValue(debugFile!, 'main_arena')]);
    expect(fileImageMallocPar(elf, layout)).toEqual([symbolValue(debugFile!, 'mp_')]);
  });
});

describe('layout table', () => {
  it('covers every release from 2.17 to the newest row exactly once', () => {
    for (let minor = 17; minor <= layoutTable.at(-1)!.to; minor++) {
      expect(layoutTable.filter((r) => minor >= r.from && minor <= r.to)).toHaveLength(1);
    }
  });

  it('puts every malloc_state field inside the struct and in order', () => {
    for (const { layout: l } of layoutTable) {
      const order = [l.offTop, l.offLastRemainder, l.offBins, l.offBinmap, l.offNext, l.offNextFree, l.offSystemMem, l.offMaxSystemMem];
      for (let i = 1; i < order.length; i++) expect(order[i]!).toBeGreaterThan(order[i - 1]!);
      expect(l.offMaxSystemMem + 8).toBe(l.stateSize);
      // bins[254] of 8 bytes then binmap[4] of 4 bytes
      expect(l.offBinmap - l.offBins).toBe(254 * 8);
      expect(l.offNext - l.offBinmap).toBe(16);
      // sizeof(heap_info) + 2*SIZE_SZ is a multiple of MALLOC_ALIGNMENT (16)
      expect((l.heapInfoSize + 16) % 16).toBe(0);
    }
  });
});

// Every offset of the layout row a tested glibc gets (its own first) against the DWARF of its
// libc6-dbg debug file (gdb ptype /o): malloc_state, malloc_par, tcache_perthread_struct and
// heap_info, fields the row says are absent included.
describe.each(testedGlibcVersions())('layout row of glibc %s', (version) => {
  it('matches the DWARF of its libc debug file (gdb ptype /o)', () => {
    const glibc = ensureGlibc(version);
    const libcPath = `${glibc.libDir}/libc.so.6`;
    const debugFile = debugFileFor(glibc.debugDir ?? '/usr/lib/debug', new ElfFile(readFileSync(libcPath)).buildId()!)!;
    const structs = ['malloc_state', 'malloc_par', 'tcache_perthread_struct', '_heap_info'];
    const out = execFileSync('gdb', ['--batch', '--nx', ...structs.flatMap((x) => ['-ex', `ptype /o struct ${x}`]), debugFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv(),
    }).toString();
    const section = (struct: string): string => {
      const from = out.indexOf(`type = struct ${struct} {`);
      expect(from, struct).toBeGreaterThanOrEqual(0);
      return out.slice(from, out.indexOf('total size', from));
    };
    /** Offset of a field, or -1 when the struct has none by any of the names. */
    const off = (struct: string, ...names: string[]): number => {
      for (const name of names) {
        const m = new RegExp(`/\\*\\s*(\\d+)\\s*\\|\\s*\\d+\\s*\\*/\\s+[^;]*\\b${name}\\b(\\[\\d+\\])?;`).exec(section(struct));
        if (m) return Number(m[1]);
      }
      return -1;
    };
    const size = (struct: string): number => {
      const from = out.indexOf(`type = struct ${struct} {`);
      return Number(/total size \(bytes\):\s+(\d+)/.exec(out.slice(from))![1]);
    };
    const l = layoutCandidates(Number(version.split('.')[1]))[0]!;
    expect({
      stateSize: size('malloc_state'),
      offFlags: off('malloc_state', 'flags'),
      offHaveFastchunks: off('malloc_state', 'have_fastchunks'),
      offFastbins: off('malloc_state', 'fastbinsY'),
      offTop: off('malloc_state', 'top'),
      offLastRemainder: off('malloc_state', 'last_remainder'),
      offBins: off('malloc_state', 'bins'),
      offBinmap: off('malloc_state', 'binmap'),
      offNext: off('malloc_state', 'next'),
      offNextFree: off('malloc_state', 'next_free'),
      offAttachedThreads: off('malloc_state', 'attached_threads'),
      offSystemMem: off('malloc_state', 'system_mem'),
      offMaxSystemMem: off('malloc_state', 'max_system_mem'),
      mpSize: size('malloc_par'),
      mpTrimThreshold: off('malloc_par', 'trim_threshold'),
      mpTopPad: off('malloc_par', 'top_pad'),
      mpMmapThreshold: off('malloc_par', 'mmap_threshold'),
      mpArenaTest: off('malloc_par', 'arena_test'),
      mpArenaMax: off('malloc_par', 'arena_max'),
      mpThpMode: off('malloc_par', 'thp_mode'),
      mpThpPagesize: off('malloc_par', 'thp_pagesize'),
      mpHpPagesize: off('malloc_par', 'hp_pagesize'),
      mpHpFlags: off('malloc_par', 'hp_flags'),
      mpNMmaps: off('malloc_par', 'n_mmaps'),
      mpNMmapsMax: off('malloc_par', 'n_mmaps_max'),
      mpMaxNMmaps: off('malloc_par', 'max_n_mmaps'),
      mpNoDynThreshold: off('malloc_par', 'no_dyn_threshold'),
      mpMmappedMem: off('malloc_par', 'mmapped_mem'),
      mpMaxMmappedMem: off('malloc_par', 'max_mmapped_mem'),
      mpMaxTotalMem: off('malloc_par', 'max_total_mem'),
      mpSbrkBase: off('malloc_par', 'sbrk_base'),
      // 2.42 renamed tcache_bins to tcache_small_bins
      mpTcacheBins: off('malloc_par', 'tcache_bins', 'tcache_small_bins'),
      mpTcacheMaxBytes: off('malloc_par', 'tcache_max_bytes'),
      mpTcacheCount: off('malloc_par', 'tcache_count'),
      mpTcacheUnsortedLimit: off('malloc_par', 'tcache_unsorted_limit'),
      tcacheEntriesOffset: off('tcache_perthread_struct', 'entries'),
      heapInfoSize: size('_heap_info'),
      heapInfoHasPagesize: off('_heap_info', 'pagesize') >= 0 ? 1 : 0,
    }).toEqual({
      stateSize: l.stateSize,
      offFlags: l.offFlags,
      offHaveFastchunks: l.offHaveFastchunks,
      offFastbins: l.offFastbins,
      offTop: l.offTop,
      offLastRemainder: l.offLastRemainder,
      offBins: l.offBins,
      offBinmap: l.offBinmap,
      offNext: l.offNext,
      offNextFree: l.offNextFree,
      offAttachedThreads: l.offAttachedThreads,
      offSystemMem: l.offSystemMem,
      offMaxSystemMem: l.offMaxSystemMem,
      mpSize: l.mpSize,
      mpTrimThreshold: l.mpTrimThreshold,
      mpTopPad: l.mpTopPad,
      mpMmapThreshold: l.mpMmapThreshold,
      mpArenaTest: l.mpArenaTest,
      mpArenaMax: l.mpArenaMax,
      mpThpMode: l.mpThpMode,
      mpThpPagesize: l.mpThpPagesize,
      mpHpPagesize: l.mpHpPagesize,
      mpHpFlags: l.mpHpFlags,
      mpNMmaps: l.mpNMmaps,
      mpNMmapsMax: l.mpNMmapsMax,
      mpMaxNMmaps: l.mpMaxNMmaps,
      mpNoDynThreshold: l.mpNoDynThreshold,
      mpMmappedMem: l.mpMmappedMem,
      mpMaxMmappedMem: l.mpMaxMmappedMem,
      mpMaxTotalMem: l.mpMaxTotalMem,
      mpSbrkBase: l.mpSbrkBase,
      mpTcacheBins: l.mpTcacheBins,
      mpTcacheMaxBytes: l.mpTcacheMaxBytes,
      mpTcacheCount: l.mpTcacheCount,
      mpTcacheUnsortedLimit: l.mpTcacheUnsortedLimit,
      tcacheEntriesOffset: l.tcacheEntriesOffset,
      heapInfoSize: l.heapInfoSize,
      heapInfoHasPagesize: l.heapInfoHasPagesize,
    });
    // counts[TCACHE_MAX_BINS] / num_slots[TCACHE_MAX_BINS] of uint16_t (char before 2.30), then the heads
    const counters = /(uint16_t|char)\s+(?:counts|num_slots)\[(\d+)\];/.exec(section('tcache_perthread_struct'))!;
    expect([counters[1] === 'char' ? 1 : 2, Number(counters[2])]).toEqual([l.tcacheCountWidth, l.tcacheBins]);
    expect(Math.floor((size('tcache_perthread_struct') + 8 + 15) / 16) * 16).toBe(l.tcacheChunkSize); // request2size
  });
});
