// Builds synthetic glibc malloc memory images (main_arena, mp_, non-main
// arenas with heaps, chunks, fastbins, bins, tcaches) for any layout given as
// the same plain object of field offsets the native walker takes. This is an
// independent restatement of where glibc puts things (malloc_state,
// heap_info, malloc_par, the chunk format, tcache, safe-linking), written from the field names, so a walker bug and a builder bug do
// not cancel out. Every number the walker must report is computed here from
// the plan, not read back from the image.
import type { MallocLayout as ProductionLayout } from '../../src/glibc/layouts.js';

/** The walker's layout object (src/glibc/layouts.ts), without its name. */
export type MallocLayout = Omit<ProductionLayout, 'name'>;

/** What a planned chunk is. 'free' goes to its small/large bin by size. */
export type ChunkKind = 'inuse' | 'free' | 'unsorted' | 'fast' | 'tcache' | 'internal';

export interface ChunkSpec {
  size: number;
  kind: ChunkKind;
  id?: string;
  /** User-data fill for in-use chunks: a byte pattern (default) or zeros. */
  fill?: 'pattern' | 'zero';
}

export interface HeapSpec {
  /** heap_info.size for non-main heaps; segment length for the main arena. */
  size: number;
  chunks: ChunkSpec[];
}

export interface ArenaSpec {
  /** Oldest first; the last one holds top. For the main arena: brk heap, or segments when non-contiguous. */
  heaps: HeapSpec[];
}

export interface TcacheSpec {
  /** id of the 'internal' chunk holding the tcache_perthread_struct. */
  structId: string;
  /** ids of 'tcache' chunks; per bin, earlier ids are nearer the head. */
  entryIds: string[];
}

export interface ImageSpec {
  layout: MallocLayout;
  /** arenas[0] is main_arena; the ring is main -> arenas[1] -> ... -> main. */
  arenas: ArenaSpec[];
  tcaches?: TcacheSpec[];
  mainNoncontiguous?: boolean;
  /** Where each main-arena segment starts (default: brk heap, then far-away mmaps). */
  mainSegmentBases?: number[];
  heapMax?: number;
  tcacheCount?: number;
}

export interface CountBytes {
  chunks: number;
  bytes: number;
}

export interface ExpectedArena {
  address: number;
  main: boolean;
  systemMem: number;
  inUse: CountBytes;
  internal: CountBytes;
  fastbins: CountBytes;
  unsorted: CountBytes;
  smallbins: CountBytes;
  largebins: CountBytes;
  tcache: CountBytes;
  top: { address: number; size: number };
  overhead: number;
  heaps: { start: number; size: number; firstChunk: number }[];
  /** Per-bin list contents: key "kind:index". */
  bins: Map<string, { chunks: number; bytes: number; rawSizeSum: number }>;
}

export interface ExpectedTcache {
  address: number;
  chunks: number;
  bytes: number;
  counts: number[];
}

export interface BuiltImage {
  segments: { address: number; data: Buffer }[];
  mainArena: number;
  mp: number;
  heapMax: number;
  expected: ExpectedArena[];
  tcaches: ExpectedTcache[];
  /** Chunk header address of every chunk with an id. */
  chunk: Map<string, number>;
  read64(address: number): number;
  write64(address: number, value: number): void;
}

// x86-64 constants (malloc.c, malloc-size.h): SIZE_SZ 8, MALLOC_ALIGNMENT 16, MINSIZE 0x20.
const PREV_INUSE = 1n;
const NON_MAIN_ARENA = 4n;
const MINSIZE = 0x20;
const PAGE = 0x1000;
const FENCEPOST = 0x10;

// Addresses of the synthetic process (arbitrary but realistic).
const LIBC_DATA = 0x7ff0_0000_0000;
const MP_OFFSET = 0x340; // mp_ and main_arena sit in libc .data, 32-byte aligned
const MAIN_ARENA_OFFSET = 0xc60;
const SBRK_BASE = 0x5555_5555_a000;
const SECOND_MAIN_SEGMENT = 0x7fe0_0000_0000;
const ARENA_HEAPS = 0x7f00_0000_0000;
const TCACHE_KEY = 0x5a17_c0de_1234_5678n;

function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

/** glibc's bin_index on x86-64: smallbin_index below 0x400, largebin_index_64 above. */
export function binIndexOf(size: number): number {
  if (size < 0x400) return size >> 4;
  const s = BigInt(size);
  if (s >> 6n <= 48n) return 48 + Number(s >> 6n);
  if (s >> 9n <= 20n) return 91 + Number(s >> 9n);
  if (s >> 12n <= 10n) return 110 + Number(s >> 12n);
  if (s >> 15n <= 4n) return 119 + Number(s >> 15n);
  if (s >> 18n <= 2n) return 124 + Number(s >> 18n);
  return 126;
}

/** csize2tidx, and 2.42's large_csize2tidx = 64 + clz32(0x410) - clz32(size). */
export function tcacheIndexOf(size: number): number {
  if (size <= 0x410) return (size - MINSIZE) / 16;
  return 64 + Math.clz32(0x410) - Math.clz32(size);
}

/** Where glibc puts the first chunk of an arena's own heap (_int_new_arena). */
export function firstChunkOffset(layout: MallocLayout): number {
  return alignUp(layout.heapInfoSize + layout.stateSize + 0x10, 16) - 0x10;
}

class Memory {
  readonly segments: { address: number; data: Buffer }[] = [];
  add(address: number, size: number): Buffer {
    const data = Buffer.alloc(size);
    this.segments.push({ address, data });
    return data;
  }
  private locate(address: number, len: number): { data: Buffer; off: number } {
    for (const s of this.segments) {
      if (address >= s.address && address + len <= s.address + s.data.length) {
        return { data: s.data, off: address - s.address };
      }
    }
    throw new Error(`image has no memory at 0x${address.toString(16)}`);
  }
  w64(address: number, value: bigint | number): void {
    const { data, off } = this.locate(address, 8);
    data.writeBigUInt64LE(BigInt.asUintN(64, BigInt(value)), off);
  }
  w32(address: number, value: number): void {
    const { data, off } = this.locate(address, 4);
    data.writeUInt32LE(value >>> 0, off);
  }
  w16(address: number, value: number): void {
    const { data, off } = this.locate(address, 2);
    data.writeUInt16LE(value, off);
  }
  w8(address: number, value: number): void {
    const { data, off } = this.locate(address, 1);
    data.writeUInt8(value, off);
  }
  r64(address: number): number {
    const { data, off } = this.locate(address, 8);
    return Number(data.readBigUInt64LE(off));
  }
  fill(address: number, len: number, byte: number): void {
    const { data, off } = this.locate(address, len);
    data.fill(byte, off, off + len);
  }
}

interface PlacedChunk {
  spec: ChunkSpec;
  address: number;
  arena: number;
}

function zero(): CountBytes {
  return { chunks: 0, bytes: 0 };
}
function count(c: CountBytes, size: number): void {
  c.chunks += 1;
  c.bytes += size;
}

export function buildHeapImage(spec: ImageSpec): BuiltImage {
  const L = spec.layout;
  const heapMax = spec.heapMax ?? 64 * 1024 * 1024;
  const tcacheCount = spec.tcacheCount ?? 7;
  const mem = new Memory();
  const libc = LIBC_DATA;
  mem.add(libc, 0x4000);
  const mainArena = libc + MAIN_ARENA_OFFSET;
  const mp = libc + MP_OFFSET;

  const arenaAddress: number[] = spec.arenas.map((_, k) =>
    k === 0 ? mainArena : ARENA_HEAPS + k * 16 * heapMax + L.heapInfoSize,
  );
  const expected: ExpectedArena[] = [];
  const placed: PlacedChunk[] = [];
  const chunkIds = new Map<string, number>();
  // Size fields are written once every chunk is placed, so PREV_INUSE can
  // follow the previous chunk; remember what each header needs.
  const headers: { address: number; size: number; prevInUse: boolean; nonMain: boolean }[] = [];

  spec.arenas.forEach((arena, k) => {
    const main = k === 0;
    const exp: ExpectedArena = {
      address: arenaAddress[k]!,
      main,
      systemMem: 0,
      inUse: zero(),
      internal: zero(),
      fastbins: zero(),
      unsorted: zero(),
      smallbins: zero(),
      largebins: zero(),
      tcache: zero(),
      top: { address: 0, size: 0 },
      overhead: 0,
      heaps: [],
      bins: new Map(),
    };
    expected.push(exp);
    arena.heaps.forEach((heap, j) => {
      const last = j === arena.heaps.length - 1;
      let base: number;
      let first: number;
      if (main) {
        base = spec.mainSegmentBases?.[j] ?? (j === 0 ? SBRK_BASE : SECOND_MAIN_SEGMENT + (j - 1) * 0x100_0000);
        first = base; // brk and mmap segments are page-aligned here: no correction
      } else {
        base = ARENA_HEAPS + k * 16 * heapMax + j * heapMax;
        first = j === 0 ? base + firstChunkOffset(L) : base + L.heapInfoSize;
        // heap_info: ar_ptr, prev, size, mprotect_size[, pagesize]
        mem.add(base, heap.size);
        mem.w64(base, arenaAddress[k]!);
        mem.w64(base + 8, j === 0 ? 0 : base - heapMax);
        mem.w64(base + 0x10, heap.size);
        mem.w64(base + 0x18, heap.size);
        if (L.heapInfoHasPagesize) mem.w64(base + 0x20, PAGE);
      }
      if (main) mem.add(base, heap.size);
      const end = base + heap.size;
      exp.systemMem += heap.size;
      exp.overhead += first - base;
      exp.heaps.push({ start: base, size: heap.size, firstChunk: first });
      let at = first;
      let prevInUse = true;
      for (const c of heap.chunks) {
        placed.push({ spec: c, address: at, arena: k });
        if (c.id) chunkIds.set(c.id, at);
        headers.push({ address: at, size: c.size, prevInUse, nonMain: !main && c.kind !== 'free' && c.kind !== 'unsorted' });
        prevInUse = c.kind !== 'free' && c.kind !== 'unsorted';
        at += c.size;
      }
      if (last) {
        if (at + MINSIZE > end) throw new Error('no room for top');
        exp.top = { address: at, size: end - at };
        headers.push({ address: at, size: end - at, prevInUse, nonMain: false });
      } else {
        // Closing a heap or segment (sysmalloc): the old top shrinks to leave
        // room for fenceposts and is freed; non-main heaps end with a 0x10
        // fencepost and a 0|PREV_INUSE header, main segments with two 0x10s.
        const oldTop = end - at - 2 * FENCEPOST;
        if (oldTop < MINSIZE) throw new Error('retired heap too full for an old top');
        const c: ChunkSpec = { size: oldTop, kind: 'unsorted' };
        placed.push({ spec: c, address: at, arena: k });
        headers.push({ address: at, size: oldTop, prevInUse, nonMain: false });
        at += oldTop;
        headers.push({ address: at, size: FENCEPOST, prevInUse: false, nonMain: false });
        if (main) {
          headers.push({ address: at + FENCEPOST, size: FENCEPOST, prevInUse: true, nonMain: false });
        } else {
          headers.push({ address: at + FENCEPOST, size: 0, prevInUse: true, nonMain: false });
        }
        exp.overhead += 2 * FENCEPOST;
      }
    });
  });

  for (const h of headers) {
    let field = BigInt(h.size);
    if (h.prevInUse) field |= PREV_INUSE;
    if (h.nonMain) field |= NON_MAIN_ARENA;
    mem.w64(h.address + 8, field);
  }
  // Footers of free chunks: the next chunk's prev_size (set_foot).
  for (const p of placed) {
    if (p.spec.kind === 'free' || p.spec.kind === 'unsorted') mem.w64(p.address + p.spec.size, p.spec.size);
    if (p.spec.kind === 'inuse' && (p.spec.fill ?? 'pattern') === 'pattern') {
      mem.fill(p.address + 0x10, p.spec.size - 0x10, 0xab);
    }
  }

  // --- malloc_state of every arena ---
  const sizeFieldOf = (p: PlacedChunk): bigint => BigInt(mem.r64(p.address + 8));
  spec.arenas.forEach((_, k) => {
    const a = arenaAddress[k]!;
    const exp = expected[k]!;
    const chunks = placed.filter((p) => p.arena === k);
    const fast = chunks.filter((p) => p.spec.kind === 'fast');
    let flags = k === 0 && !spec.mainNoncontiguous ? 0 : 2; // NONCONTIGUOUS_BIT
    if (L.fastchunksFlagInverted && fast.length === 0) flags |= 1; // FASTCHUNKS_BIT set = none
    mem.w32(a, 0);
    mem.w32(a + L.offFlags, flags);
    if (L.offHaveFastchunks >= 0) mem.w32(a + L.offHaveFastchunks, fast.length > 0 ? 1 : 0);
    // Fastbins: singly linked through fd at chunk+0x10, heads raw, links
    // safe-linked when the layout says so.
    for (let i = 0; i < L.nFastbins; i++) {
      const list = fast.filter((p) => (p.spec.size >> 4) - 2 === i);
      list.forEach((p, n) => {
        const next = list[n + 1]?.address ?? 0;
        mem.w64(p.address + 0x10, protect(L, p.address + 0x10, next));
      });
      mem.w64(a + L.offFastbins + 8 * i, list[0]?.address ?? 0);
      if (list.length) {
        exp.bins.set(`fast:${i}`, {
          chunks: list.length,
          bytes: list.reduce((s, p) => s + p.spec.size, 0),
          rawSizeSum: Number(list.reduce((s, p) => s + sizeFieldOf(p), 0n)),
        });
      }
    }
    if (fast.length && L.nFastbins === 0) throw new Error('layout has no fastbins');
    mem.w64(a + L.offTop, exp.top.address);
    mem.w64(a + L.offLastRemainder, 0);
    // Regular bins: circular doubly-linked lists through the bin's fake chunk.
    for (let i = 1; i < 128; i++) {
      const slot = a + L.offBins + 16 * (i - 1);
      const binAt = slot - 0x10;
      let list = chunks.filter((p) =>
        i === 1 ? p.spec.kind === 'unsorted' : p.spec.kind === 'free' && binIndexOf(p.spec.size) === i,
      );
      if (i >= 64) list = [...list].sort((x, y) => y.spec.size - x.spec.size); // large bins: largest first
      const nodes = [binAt, ...list.map((p) => p.address)];
      list.forEach((p, n) => {
        mem.w64(p.address + 0x10, nodes[(n + 2) % nodes.length]!);
        mem.w64(p.address + 0x18, nodes[n]!);
      });
      mem.w64(slot, nodes[1 % nodes.length]!);
      mem.w64(slot + 8, nodes[nodes.length - 1]!);
      if (list.length) {
        const kind = i === 1 ? 'unsorted' : i < 64 ? 'small' : 'large';
        exp.bins.set(`${kind}:${i}`, {
          chunks: list.length,
          bytes: list.reduce((s, p) => s + p.spec.size, 0),
          rawSizeSum: Number(list.reduce((s, p) => s + sizeFieldOf(p), 0n)),
        });
      }
    }
    const next = arenaAddress[(k + 1) % arenaAddress.length]!;
    mem.w64(a + L.offNext, next);
    mem.w64(a + L.offNextFree, 0);
    if (L.offAttachedThreads >= 0) mem.w64(a + L.offAttachedThreads, 1);
    mem.w64(a + L.offSystemMem, exp.systemMem);
    mem.w64(a + L.offMaxSystemMem, exp.systemMem);
  });

  // --- tcaches ---
  const expTcaches: ExpectedTcache[] = [];
  const referenced = new Set<number>();
  for (const t of spec.tcaches ?? []) {
    const structChunk = chunkIds.get(t.structId);
    if (structChunk === undefined) throw new Error(`no chunk ${t.structId}`);
    const user = structChunk + 0x10;
    const bins = new Map<number, PlacedChunk[]>();
    for (const id of t.entryIds) {
      const p = placed.find((q) => q.spec.id === id);
      if (!p || p.spec.kind !== 'tcache') throw new Error(`${id} is not a tcache chunk`);
      const idx = tcacheIndexOf(p.spec.size);
      if (idx >= L.tcacheBins) throw new Error(`${id} does not fit this tcache`);
      bins.set(idx, [...(bins.get(idx) ?? []), p]);
    }
    const counts = new Array<number>(L.tcacheBins).fill(0);
    for (let i = 0; i < L.tcacheBins; i++) {
      const list = bins.get(i) ?? [];
      counts[i] = list.length;
      // 2.42+: num_slots = tcache_count - cached; before: the number cached.
      const stored = L.tcacheCountsAreFreeSlots ? tcacheCount - list.length : list.length;
      if (L.tcacheCountWidth === 1) mem.w8(user + i, stored);
      else mem.w16(user + 2 * i, stored);
      mem.w64(user + L.tcacheEntriesOffset + 8 * i, list[0] ? list[0].address + 0x10 : 0);
      list.forEach((p, n) => {
        const e = p.address + 0x10;
        const next = list[n + 1] ? list[n + 1]!.address + 0x10 : 0;
        mem.w64(e, protect(L, e, next));
        if (L.tcacheHasKey) mem.w64(e + 8, L.safeLinking ? TCACHE_KEY : BigInt(user));
      });
    }
    const all = [...bins.values()].flat();
    for (const p of all) referenced.add(p.address);
    expTcaches.push({ address: user, chunks: all.length, bytes: all.reduce((s, p) => s + p.spec.size, 0), counts });
  }

  for (const p of placed) {
    if (p.spec.kind === 'tcache' && !referenced.has(p.address)) throw new Error('tcache chunk in no tcache');
  }

  // --- expected totals by chunk location ---
  for (const p of placed) {
    const e = expected[p.arena]!;
    const s = p.spec.size;
    if (p.spec.kind === 'inuse') count(e.inUse, s);
    else if (p.spec.kind === 'internal') count(e.internal, s);
    else if (p.spec.kind === 'fast') count(e.fastbins, s);
    else if (p.spec.kind === 'tcache') count(e.tcache, s);
    else if (p.spec.kind === 'unsorted') count(e.unsorted, s);
    else if (binIndexOf(s) < 64) count(e.smallbins, s);
    else count(e.largebins, s);
  }

  // --- mp_ (glibc's defaults, statistics zero) ---
  mem.w64(mp + L.mpTrimThreshold, 0x20000);
  mem.w64(mp + L.mpTopPad, 0x20000);
  mem.w64(mp + L.mpMmapThreshold, 0x20000);
  mem.w64(mp + L.mpArenaTest, 8);
  mem.w64(mp + L.mpArenaMax, 0);
  mem.w32(mp + L.mpNMmapsMax, 65536);
  mem.w64(mp + L.mpSbrkBase, spec.mainSegmentBases?.[0] ?? SBRK_BASE);
  if (L.mpHpPagesize >= 0) mem.w64(mp + L.mpHpPagesize, 0);
  // The members whose defaults changed between versions (thp_mode in 2.43/2.44, tcache_max_bytes 0x411 from 2.43): the version's own.
  if (L.mpThpMode >= 0) mem.w32(mp + L.mpThpMode, L.mpDefaultThpMode);
  if (L.mpTcacheBins >= 0) {
    mem.w64(mp + L.mpTcacheBins, 64);
    mem.w64(mp + L.mpTcacheMaxBytes, L.mpDefaultTcacheMaxBytes);
    mem.w64(mp + L.mpTcacheCount, tcacheCount);
    mem.w64(mp + L.mpTcacheUnsortedLimit, 0);
  }

  return {
    segments: mem.segments,
    mainArena,
    mp,
    heapMax,
    expected,
    tcaches: expTcaches,
    chunk: chunkIds,
    read64: (addr) => mem.r64(addr),
    write64: (addr, v) => mem.w64(addr, v),
  };
}

/** PROTECT_PTR(pos, ptr) = (pos >> 12) ^ ptr on safe-linking layouts. */
function protect(L: MallocLayout, fieldAddress: number, pointer: number): bigint {
  if (!L.safeLinking) return BigInt(pointer);
  return (BigInt(fieldAddress) >> 12n) ^ BigInt(pointer);
}
