// Finding main_arena and mp_ in a live process, with or without debug
// symbols (malloc.c's static main_arena and mp_ initializers, arena.c's
// heap_info), and saying which way worked (`locatedBy`):
//   debuginfo       - LOCAL symbols of the detached debug file, by build-id
//   file-pattern    - main_arena's static initializer (all zero but `next =
//                     &main_arena` and attached_threads = 1) recognised through
//                     libc's relative relocations; mp_ by its default image
//   live-scan       - libc's rw mapping + .bss scanned for a closed arena ring
//   heap-info-route - a thread arena's heap_info -> ar_ptr -> next ring
// Every candidate is confirmed with checkMainArena before use. `only` (the
// CLI's `arenas --locate METHOD`) tries one route and skips the others.
import type { MemoryReader } from '../memory/reader.js';
import type { LocatedBy } from '../model/snapshot.js';
import type { MapEntry } from '../proc/maps.js';
import type { HeapInfoRecord } from '../regions/kinds.js';
import { checkMainArena, type ArenaRingCheck } from './arenaInvariants.js';
import type { DebugSymbols } from './debuginfo.js';
import type { ElfFile } from './elf.js';
import { matchesMpInitializer, mpInitializer, type MallocLayout } from './layouts.js';
import type { LibraryMapping } from './libc.js';

export interface MallocLocation {
  mainArena: number;
  mallocPar: number | null;
  locatedBy: LocatedBy;
  mpLocatedBy: 'debuginfo' | 'file-pattern' | null;
  layout: MallocLayout;
  ring: ArenaRingCheck;
  /** Methods tried, in order, with why each failed. */
  attempts: Array<{ method: LocatedBy; result: string }>;
}

export interface LocateInput {
  reader: MemoryReader;
  lib: LibraryMapping;
  maps: MapEntry[];
  elf: ElfFile | null;
  bias: number;
  layouts: MallocLayout[];
  heapMaxes: number[];
  debug: DebugSymbols | null;
  /** Arena heaps found by region classification (for the heap-info route). */
  heaps: HeapInfoRecord[];
  /** Symbol-free live scan provided by the native walker; null when unavailable. */
  liveScan: ((start: number, end: number, layout: MallocLayout) => Promise<number[]>) | null;
}

/** main_arena candidates from the file image: a relative relocation at X + offNext whose value is X. */
export function fileImageMainArena(elf: ElfFile, layout: MallocLayout): number[] {
  const data = elf.section('.data');
  const relocs = elf.relativeRelocations();
  const out: number[] = [];
  for (const [at, value] of relocs) {
    if (at - value !== layout.offNext) continue;
    if (data && (value < data.addr || value + layout.stateSize > data.addr + data.size)) continue;
    const off = elf.fileOffsetOf(value);
    if (off === null || off + layout.stateSize > elf.buf.length) continue;
    const img = elf.buf.subarray(off, off + layout.stateSize);
    let clean = true;
    for (let i = 0; i < img.length && clean; i += 8) {
      if (i === layout.offNext) continue;
      const v = img.readBigUInt64LE(i);
      if (v === 0n) continue;
      // attached_threads = 1 from 2.23 on.
      if (i === layout.offAttachedThreads && v === 1n) continue;
      clean = false;
    }
    if (clean) out.push(value);
  }
  return out;
}

/** mp_ from the file image: the version's default initializer (mpInitializer) inside .data. */
export function fileImageMallocPar(elf: ElfFile, layout: MallocLayout): number[] {
  const data = elf.section('.data');
  if (!data) return [];
  const pattern = mpInitializer(layout);
  const hay = elf.buf.subarray(data.offset, data.offset + data.size);
  // The first 32 bytes (trim_threshold, top_pad, mmap_threshold, arena_test) are fixed in every version.
  const head = pattern.image.subarray(0, 32);
  const out: number[] = [];
  for (let i = hay.indexOf(head); i >= 0; i = hay.indexOf(head, i + 1)) {
    if (i % 8 === 0 && matchesMpInitializer(pattern, hay, i)) out.push(data.addr + i);
  }
  return out;
}

function writableLibcRanges(lib: LibraryMapping, maps: MapEntry[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const m of lib.mappings) {
    if (m.perms[1] !== 'w') continue;
    out.push([m.start, m.end]);
    // libc's .bss continues in the anonymous mapping right after its rw-p mapping.
    const after = maps.find((x) => x.start === m.end && x.path === '' && x.perms[1] === 'w');
    if (after) out.push([after.start, Math.min(after.end, after.start + (1 << 20))]);
  }
  return out;
}

/** The routes, in the order locateMalloc tries them. */
export const locateMethods: readonly LocatedBy[] = ['debuginfo', 'file-pattern', 'live-scan', 'heap-info-route'];

export interface LocateOptions {
  useDebuginfo: boolean;
  /** Try this route alone (`arenas --locate`): the others are skipped, not tried. */
  only?: LocatedBy;
  /** Filled with the routes tried and why each failed (also when none worked). */
  attempts?: MallocLocation['attempts'];
}

export async function locateMalloc(input: LocateInput, options: LocateOptions): Promise<MallocLocation | null> {
  const { reader, layouts, heapMaxes } = input;
  const attempts: MallocLocation['attempts'] = options.attempts ?? [];
  const tries = (method: LocatedBy) => options.only === undefined || options.only === method;
  const confirm = (addr: number, layout: MallocLayout) => checkMainArena(reader, addr, layout, heapMaxes);

  const mpFor = (layout: MallocLayout): { addr: number | null; by: MallocLocation['mpLocatedBy'] } => {
    if (options.useDebuginfo && input.debug?.symbols.get('mp_')) return { addr: input.bias + input.debug.symbols.get('mp_')!.value, by: 'debuginfo' };
    const hits = input.elf ? fileImageMallocPar(input.elf, layout) : [];
    if (hits.length === 1) return { addr: input.bias + hits[0]!, by: 'file-pattern' };
    return { addr: null, by: null };
  };

  const accept = (addr: number, layout: MallocLayout, by: LocatedBy, ring: ArenaRingCheck): MallocLocation => {
    const mp = mpFor(layout);
    return { mainArena: addr, mallocPar: mp.addr, locatedBy: by, mpLocatedBy: mp.by, layout, ring, attempts };
  };

  // (a) debug symbols
  if (options.useDebuginfo && tries('debuginfo')) {
    const sym = input.debug?.symbols.get('main_arena');
    if (sym) {
      const addr = input.bias + sym.value;
      for (const layout of layouts) {
        if (sym.size && sym.size !== layout.stateSize) continue;
        const ring = confirm(addr, layout);
        if (ring.ok) return accept(addr, layout, 'debuginfo', ring);
      }
      attempts.push({ method: 'debuginfo', result: 'symbol found but no layout passed the invariants' });
    } else {
      attempts.push({ method: 'debuginfo', result: input.debug ? 'no main_arena symbol' : 'no debug file for this build-id' });
    }
  }

  // (b1) initializer pattern in the file image
  if (!tries('file-pattern')) {
    // skipped: --locate names another route
  } else if (input.elf) {
    for (const layout of layouts) {
      const hits = fileImageMainArena(input.elf, layout);
      for (const h of hits) {
        const ring = confirm(input.bias + h, layout);
        if (ring.ok) return accept(input.bias + h, layout, 'file-pattern', ring);
      }
    }
    attempts.push({ method: 'file-pattern', result: 'no initializer image matched' });
  } else {
    attempts.push({ method: 'file-pattern', result: 'libc file not readable' });
  }

  // (b2) live scan of libc's writable mappings
  if (input.liveScan && tries('live-scan')) {
    for (const layout of layouts) {
      for (const [start, end] of writableLibcRanges(input.lib, input.maps)) {
        for (const cand of await input.liveScan(start, end, layout)) {
          const ring = confirm(cand, layout);
          if (ring.ok) return accept(cand, layout, 'live-scan', ring);
        }
      }
    }
    attempts.push({ method: 'live-scan', result: 'no candidate closed the arena ring' });
  }

  // (b3) through a thread arena's heap_info
  if (!tries('heap-info-route')) return null;
  const firstHeaps = input.heaps.filter((h) => h.prev === 0);
  for (const layout of layouts) {
    for (const h of firstHeaps) {
      if (h.arena !== h.base + layout.heapInfoSize) continue;
      let cur = h.arena;
      for (let i = 0; i < 4096; i++) {
        const next = reader.readU64(cur + layout.offNext);
        if (next === null || next === h.arena) break;
        if (next % h.heapMax !== layout.heapInfoSize) {
          const ring = confirm(next, layout);
          if (ring.ok) return accept(next, layout, 'heap-info-route', ring);
          break;
        }
        cur = next;
      }
    }
  }
  attempts.push({ method: 'heap-info-route', result: firstHeaps.length ? 'ring did not lead to a valid main_arena' : 'no thread arena heaps' });
  return null;
}
