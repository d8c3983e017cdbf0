// Struct layouts of glibc malloc by version, x86-64 (reference §0-§6, checked
// there against every release tag 2.17-2.42 and a live 2.36). The version only
// picks the first guess; locate.ts confirms it with memory invariants and
// tries the neighbours when it fails (distributions backport malloc patches).
// Field names match the C++ MallocLayout (native/ptmalloc); -1 = absent.

export interface MallocLayout {
  name: string;
  stateSize: number;
  offFlags: number;
  offHaveFastchunks: number;
  offFastbins: number;
  nFastbins: number;
  offTop: number;
  offLastRemainder: number;
  offBins: number;
  offBinmap: number;
  offNext: number;
  offNextFree: number;
  offAttachedThreads: number;
  offSystemMem: number;
  offMaxSystemMem: number;
  heapInfoSize: number;
  heapInfoHasPagesize: number;
  mpSize: number;
  mpTrimThreshold: number;
  mpTopPad: number;
  mpMmapThreshold: number;
  mpArenaTest: number;
  mpArenaMax: number;
  /** malloc_par.thp_mode (enum, 4 bytes), 2.43+. */
  mpThpMode: number;
  mpThpPagesize: number;
  mpHpPagesize: number;
  mpHpFlags: number;
  mpNMmaps: number;
  mpNMmapsMax: number;
  mpMaxNMmaps: number;
  mpNoDynThreshold: number;
  mpMmappedMem: number;
  mpMaxMmappedMem: number;
  mpMaxTotalMem: number;
  mpSbrkBase: number;
  mpTcacheBins: number;
  mpTcacheMaxBytes: number;
  mpTcacheCount: number;
  mpTcacheUnsortedLimit: number;
  tcacheBins: number;
  tcacheCountWidth: number;
  tcacheEntriesOffset: number;
  tcacheChunkSize: number;
  tcacheCountsAreFreeSlots: number;
  tcacheHasKey: number;
  safeLinking: number;
  fastchunksFlagInverted: number;
  /**
   * Bytes of an mmapped chunk's mapping after chunk + chunksize: 0 up to 2.42
   * (size field = mapping length - offset), CHUNK_HDR_SZ = 16 from 2.43
   * (mmap_set_chunk, mmap_size()); 2.43 also keeps MMAP_HP in prev_size bit 0.
   */
  mmappedTrailer: number;
  /** 1 when free() may put an mmapped chunk in a tcache bin (2.43+; 2.42 checked !chunk_is_mmapped). */
  tcacheHoldsMmapped: number;
}

// malloc_state, three shapes (§1).
const state2_17 = {
  stateSize: 0x888, offFlags: 4, offHaveFastchunks: -1, offFastbins: 0x8, nFastbins: 10, offTop: 0x58,
  offLastRemainder: 0x60, offBins: 0x68, offBinmap: 0x858, offNext: 0x868, offNextFree: 0x870,
  offAttachedThreads: -1, offSystemMem: 0x878, offMaxSystemMem: 0x880,
};
// 2.23 adds attached_threads before system_mem.
const state2_23 = { ...state2_17, stateSize: 0x890, offAttachedThreads: 0x878, offSystemMem: 0x880, offMaxSystemMem: 0x888 };
// 2.27 adds have_fastchunks (int + 4-byte hole): everything after flags moves by 8.
const state2_27 = {
  stateSize: 0x898, offFlags: 4, offHaveFastchunks: 0x8, offFastbins: 0x10, nFastbins: 10, offTop: 0x60,
  offLastRemainder: 0x68, offBins: 0x70, offBinmap: 0x860, offNext: 0x870, offNextFree: 0x878,
  offAttachedThreads: 0x880, offSystemMem: 0x888, offMaxSystemMem: 0x890,
};
// 2.43+: fastbins and have_fastchunks removed (pahole on libc6-dbg 2.43-7 and 2.44-3).
const state2_43 = {
  stateSize: 0x840, offFlags: 4, offHaveFastchunks: -1, offFastbins: -1, nFastbins: 0, offTop: 0x8,
  offLastRemainder: 0x10, offBins: 0x18, offBinmap: 0x808, offNext: 0x818, offNextFree: 0x820,
  offAttachedThreads: 0x828, offSystemMem: 0x830, offMaxSystemMem: 0x838,
};

// malloc_par mp_ (§3).
const noTcacheMp = { mpTcacheBins: -1, mpTcacheMaxBytes: -1, mpTcacheCount: -1, mpTcacheUnsortedLimit: -1 };
const noHp = { mpThpMode: -1, mpThpPagesize: -1, mpHpPagesize: -1, mpHpFlags: -1 };
const mpCommon = { mpTrimThreshold: 0, mpTopPad: 0x8, mpMmapThreshold: 0x10, mpArenaTest: 0x18, mpArenaMax: 0x20 };
const mp2_17 = {
  ...mpCommon, ...noHp, ...noTcacheMp, mpSize: 0x58, mpNMmaps: 0x28, mpNMmapsMax: 0x2c, mpMaxNMmaps: 0x30,
  mpNoDynThreshold: 0x34, mpMmappedMem: 0x38, mpMaxMmappedMem: 0x40, mpMaxTotalMem: 0x48, mpSbrkBase: 0x50,
};
const mp2_24 = { ...mp2_17, mpSize: 0x50, mpMaxTotalMem: -1, mpSbrkBase: 0x48 };
const mp2_26 = { ...mp2_24, mpSize: 0x70, mpTcacheBins: 0x50, mpTcacheMaxBytes: 0x58, mpTcacheCount: 0x60, mpTcacheUnsortedLimit: 0x68 };
const mp2_35 = {
  ...mpCommon, mpSize: 0x88, mpThpMode: -1, mpThpPagesize: 0x28, mpHpPagesize: 0x30, mpHpFlags: 0x38, mpNMmaps: 0x3c,
  mpNMmapsMax: 0x40, mpMaxNMmaps: 0x44, mpNoDynThreshold: 0x48, mpMmappedMem: 0x50, mpMaxMmappedMem: 0x58,
  mpMaxTotalMem: -1, mpSbrkBase: 0x60, mpTcacheBins: 0x68, mpTcacheMaxBytes: 0x70, mpTcacheCount: 0x78,
  mpTcacheUnsortedLimit: 0x80,
};
// 2.43: thp_mode (enum malloc_thp_mode_t) at 0x28 shifts the rest by 8 (pahole, libc6-dbg 2.43-7).
const mp2_43 = {
  ...mpCommon, mpSize: 0x90, mpThpMode: 0x28, mpThpPagesize: 0x30, mpHpPagesize: 0x38, mpHpFlags: 0x40, mpNMmaps: 0x44,
  mpNMmapsMax: 0x48, mpMaxNMmaps: 0x4c, mpNoDynThreshold: 0x50, mpMmappedMem: 0x58, mpMaxMmappedMem: 0x60,
  mpMaxTotalMem: -1, mpSbrkBase: 0x68, mpTcacheBins: 0x70, mpTcacheMaxBytes: 0x78, mpTcacheCount: 0x80,
  mpTcacheUnsortedLimit: 0x88,
};
// 2.44: tcache_unsorted_limit removed; thp_mode is an enum thp_mode_t (pahole, libc6-dbg 2.44-3).
const mp2_44 = { ...mp2_43, mpSize: 0x88, mpTcacheUnsortedLimit: -1 };

// tcache (§5) and heap_info (§2).
const noTcache = { tcacheBins: 0, tcacheCountWidth: 0, tcacheEntriesOffset: 0, tcacheChunkSize: 0, tcacheCountsAreFreeSlots: 0, tcacheHasKey: 0 };
const tcache2_26 = { tcacheBins: 64, tcacheCountWidth: 1, tcacheEntriesOffset: 0x40, tcacheChunkSize: 0x250, tcacheCountsAreFreeSlots: 0, tcacheHasKey: 0 };
const tcache2_29 = { ...tcache2_26, tcacheHasKey: 1 };
const tcache2_30 = { ...tcache2_29, tcacheCountWidth: 2, tcacheEntriesOffset: 0x80, tcacheChunkSize: 0x290 };
const tcache2_42 = { ...tcache2_30, tcacheBins: 76, tcacheEntriesOffset: 0x98, tcacheChunkSize: 0x300, tcacheCountsAreFreeSlots: 1 };
const heapInfoOld = { heapInfoSize: 0x20, heapInfoHasPagesize: 0 };
const heapInfoNew = { heapInfoSize: 0x30, heapInfoHasPagesize: 1 };
// mmapped chunks (malloc.c sysmalloc_mmap): up to 2.42 size = mapping length - offset and never
// in a tcache; from 2.43 (commit "malloc: Change mmap chunk layout") size = mapping length -
// offset - CHUNK_HDR_SZ, and free() puts them in tcache bins like any chunk.
const mmapOld = { mmappedTrailer: 0, tcacheHoldsMmapped: 0 };
const mmap2_43 = { mmappedTrailer: 16, tcacheHoldsMmapped: 1 };

interface VersionRange {
  from: number; // minor version, inclusive
  to: number; // inclusive; Infinity for the newest row
  layout: MallocLayout;
}

function layout(name: string, parts: object[]): MallocLayout {
  return Object.assign({ name }, ...parts) as MallocLayout;
}

export const layoutTable: VersionRange[] = [
  { from: 17, to: 22, layout: layout('2.17-2.22', [state2_17, mp2_17, noTcache, heapInfoOld, mmapOld, { safeLinking: 0, fastchunksFlagInverted: 1 }]) },
  { from: 23, to: 23, layout: layout('2.23', [state2_23, mp2_17, noTcache, heapInfoOld, mmapOld, { safeLinking: 0, fastchunksFlagInverted: 1 }]) },
  { from: 24, to: 25, layout: layout('2.24-2.25', [state2_23, mp2_24, noTcache, heapInfoOld, mmapOld, { safeLinking: 0, fastchunksFlagInverted: 1 }]) },
  { from: 26, to: 26, layout: layout('2.26', [state2_23, mp2_26, tcache2_26, heapInfoOld, mmapOld, { safeLinking: 0, fastchunksFlagInverted: 1 }]) },
  { from: 27, to: 28, layout: layout('2.27-2.28', [state2_27, mp2_26, tcache2_26, heapInfoOld, mmapOld, { safeLinking: 0, fastchunksFlagInverted: 0 }]) },
  { from: 29, to: 29, layout: layout('2.29', [state2_27, mp2_26, tcache2_29, heapInfoOld, mmapOld, { safeLinking: 0, fastchunksFlagInverted: 0 }]) },
  { from: 30, to: 31, layout: layout('2.30-2.31', [state2_27, mp2_26, tcache2_30, heapInfoOld, mmapOld, { safeLinking: 0, fastchunksFlagInverted: 0 }]) },
  { from: 32, to: 34, layout: layout('2.32-2.34', [state2_27, mp2_26, tcache2_30, heapInfoOld, mmapOld, { safeLinking: 1, fastchunksFlagInverted: 0 }]) },
  { from: 35, to: 41, layout: layout('2.35-2.41', [state2_27, mp2_35, tcache2_30, heapInfoNew, mmapOld, { safeLinking: 1, fastchunksFlagInverted: 0 }]) },
  { from: 42, to: 42, layout: layout('2.42', [state2_27, mp2_35, tcache2_42, heapInfoNew, mmapOld, { safeLinking: 1, fastchunksFlagInverted: 0 }]) },
  { from: 43, to: 43, layout: layout('2.43', [state2_43, mp2_43, tcache2_42, heapInfoNew, mmap2_43, { safeLinking: 1, fastchunksFlagInverted: 0 }]) },
  { from: 44, to: Infinity, layout: layout('2.44', [state2_43, mp2_44, tcache2_42, heapInfoNew, mmap2_43, { safeLinking: 1, fastchunksFlagInverted: 0 }]) },
];

/** Layouts to try for a version, the version's own first, then its neighbours. */
export function layoutCandidates(minor: number): MallocLayout[] {
  const idx = layoutTable.findIndex((r) => minor >= r.from && minor <= r.to);
  if (idx < 0) return minor < 17 ? [] : layoutTable.map((r) => r.layout);
  const order = [idx, idx - 1, idx + 1, idx - 2, idx + 2].filter((i) => i >= 0 && i < layoutTable.length);
  return order.map((i) => layoutTable[i]!.layout);
}

/** Without tcache (glibc's malloc-debug DSO is built with USE_TCACHE=0): same state, tcache fields absent. */
export function withoutTcache(l: MallocLayout): MallocLayout {
  return { ...l, ...noTcache, name: `${l.name} (no tcache)` };
}

/**
 * mp_'s static initializer as libc's file image holds it (malloc.c `static
 * struct malloc_par mp_ = {...}`): every byte is fixed except the tail
 * defaults that moved between releases (and backports), which are given as
 * the values each may hold.
 */
export interface MpInitializer {
  /** The fixed bytes; the variable fields are zero here. */
  image: Buffer;
  variable: Array<{ off: number; width: 4 | 8; values: readonly number[] }>;
}

/** Default values of mp_'s initializer (malloc.c, per release): the pattern that finds mp_ in libc's file image. */
export function mpInitializer(l: MallocLayout): MpInitializer {
  const image = Buffer.alloc(l.mpSize);
  const variable: MpInitializer['variable'] = [];
  const put = (off: number, v: number, width: 4 | 8 = 8) => {
    if (off < 0) return;
    if (width === 8) image.writeBigUInt64LE(BigInt(v), off);
    else image.writeUInt32LE(v, off);
  };
  put(l.mpTrimThreshold, 0x20000); // DEFAULT_TRIM_THRESHOLD 128 KiB
  put(l.mpTopPad, 0x20000); // DEFAULT_TOP_PAD from malloc-machine.h
  put(l.mpMmapThreshold, 0x20000); // DEFAULT_MMAP_THRESHOLD_MIN
  put(l.mpArenaTest, 8); // NARENAS_FROM_NCORES(1)
  put(l.mpNMmapsMax, 65536, 4); // DEFAULT_MMAP_MAX
  if (l.mpTcacheBins >= 0) {
    put(l.mpTcacheBins, 64); // TCACHE_MAX_BINS (2.42+: TCACHE_SMALL_BINS)
    // tidx2usize(63) = 1032 up to the glibc-2.42 tag; MAX_TCACHE_SMALL_SIZE + 1 = 0x411 from
    // 2.43 (commit ad4caba414 "malloc: Fix MAX_TCACHE_SMALL_SIZE", backported to 2.42 builds).
    variable.push({ off: l.mpTcacheMaxBytes, width: 8, values: [1032, 0x411] });
    // TCACHE_FILL_COUNT: 7, 16 from 2.43 (commit 0b9210bd76 "malloc: set default tcache fill count to 16").
    variable.push({ off: l.mpTcacheCount, width: 8, values: [7, 16] });
  }
  // thp_mode (2.43+): malloc_thp_mode_not_supported (3) in 2.43, thp_mode_unknown (0) in 2.44.
  if (l.mpThpMode >= 0) variable.push({ off: l.mpThpMode, width: 4, values: [0, 3] });
  return { image, variable };
}

/** Whether the mpSize bytes at buf[at] are mp_'s initializer (mpInitializer). */
export function matchesMpInitializer(p: MpInitializer, buf: Buffer, at: number): boolean {
  if (at < 0 || at + p.image.length > buf.length) return false;
  const isVariable = (i: number) => p.variable.some((v) => i >= v.off && i < v.off + v.width);
  for (let i = 0; i < p.image.length; i++) {
    if (buf[at + i] !== p.image[i] && !isVariable(i)) return false;
  }
  return p.variable.every((v) => v.values.includes(v.width === 8 ? Number(buf.readBigUInt64LE(at + v.off)) : buf.readUInt32LE(at + v.off)));
}
