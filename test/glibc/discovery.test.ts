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
  it('covers every release from 2.17 to 2.44 exactly once', () => {
    for (let minor = 17; minor <= 44; minor++) {
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

  it('matches the DWARF of the installed libc debug file (gdb ptype /o)', () => {
    const lib = '/lib/x86_64-linux-gnu/libc.so.6';
    const out = execFileSync('gdb', ['--batch', '--nx', '-ex', 'ptype /o struct malloc_state', '-ex', 'ptype /o struct malloc_par', lib], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() }).toString();
    const version = /release version (\d+)\.(\d+)/.exec(readFileSync(lib).toString('latin1'))!;
    const l = layoutCandidates(Number(version[2]))[0]!;
    const off = (struct: string, field: string): number => {
      const section = out.slice(out.indexOf(`type = struct ${struct}`));
      const m = new RegExp(`/\\*\\s*(0x[0-9a-f]+|\\d+)\\s*\\|\\s*\\d+\\s*\\*/\\s+[^;]*\\b${field}\\b`).exec(section)!;
      return Number(m[1]);
    };
    expect(off('malloc_state', 'top')).toBe(l.offTop);
    expect(off('malloc_state', 'next')).toBe(l.offNext);
    expect(off('malloc_state', 'system_mem')).toBe(l.offSystemMem);
    expect(off('malloc_state', 'attached_threads')).toBe(l.offAttachedThreads);
    expect(off('malloc_par', 'sbrk_base')).toBe(l.mpSbrkBase);
    expect(off('malloc_par', 'n_mmaps')).toBe(l.mpNMmaps);
    expect(off('malloc_par', 'tcache_count')).toBe(l.mpTcacheCount);
    expect(out).toMatch(new RegExp(`total size \\(bytes\\):\\s+${l.stateSize}\\s`));
  });
});
