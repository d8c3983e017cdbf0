// Layouts of the glibc releases no Debian suite ships any more (or never
// shipped), so no libc6-dbg gives their DWARF: restated by hand from glibc's
// sources (malloc/malloc.c, malloc/arena.c at each release tag). The releases
// next to them that do have DWARF check the same fields (a DWARF row and the
// source-derived row beside it are equal wherever the source says nothing changed).
// Fields that DWARF cannot give either are in rules.mjs.

// struct malloc_state up to 2.22: mutex, flags, fastbinsY[NFASTBINS=10], top,
// last_remainder, bins[254], binmap[4], next, next_free; system_mem, max_system_mem.
// (2.17/2.18 have next_free and arena_test/arena_max under PER_THREAD, which
// their malloc/Makefile always defines; THREAD_STATS fields default off.)
const state2_17 = {
  stateSize: 0x888, offFlags: 0x4, offHaveFastchunks: -1, offFastbins: 0x8, nFastbins: 10, offTop: 0x58,
  offLastRemainder: 0x60, offBins: 0x68, offBinmap: 0x858, offNext: 0x868, offNextFree: 0x870,
  offAttachedThreads: -1, offSystemMem: 0x878, offMaxSystemMem: 0x880,
};
// 2.23 (commit a62719ba90, BZ #19048) adds attached_threads before system_mem.
const state2_23 = { ...state2_17, stateSize: 0x890, offAttachedThreads: 0x878, offSystemMem: 0x880, offMaxSystemMem: 0x888 };
// 2.27 adds int have_fastchunks after flags (4-byte hole follows): the rest moves by 8.
const state2_27 = {
  stateSize: 0x898, offFlags: 0x4, offHaveFastchunks: 0x8, offFastbins: 0x10, nFastbins: 10, offTop: 0x60,
  offLastRemainder: 0x68, offBins: 0x70, offBinmap: 0x860, offNext: 0x870, offNextFree: 0x878,
  offAttachedThreads: 0x880, offSystemMem: 0x888, offMaxSystemMem: 0x890,
};

// struct malloc_par mp_. No thp_mode (2.43) in any source-derived release.
const mpHead = { mpTrimThreshold: 0, mpTopPad: 0x8, mpMmapThreshold: 0x10, mpArenaTest: 0x18, mpArenaMax: 0x20, mpThpMode: -1 };
const noHugePages = { mpThpPagesize: -1, mpHpPagesize: -1, mpHpFlags: -1 };
const noTcacheMp = { mpTcacheBins: -1, mpTcacheMaxBytes: -1, mpTcacheCount: -1, mpTcacheUnsortedLimit: -1 };
// 2.17-2.23: max_total_mem before sbrk_base.
const mp2_17 = {
  ...mpHead, ...noHugePages, ...noTcacheMp, mpSize: 0x58, mpNMmaps: 0x28, mpNMmapsMax: 0x2c, mpMaxNMmaps: 0x30,
  mpNoDynThreshold: 0x34, mpMmappedMem: 0x38, mpMaxMmappedMem: 0x40, mpMaxTotalMem: 0x48, mpSbrkBase: 0x50,
};
// 2.24 (commit ca135f824b) removes max_total_mem.
const mp2_24 = { ...mp2_17, mpSize: 0x50, mpMaxTotalMem: -1, mpSbrkBase: 0x48 };
// 2.26 appends the tcache tunables (USE_TCACHE, the default build).
const mp2_26 = { ...mp2_24, mpSize: 0x70, mpTcacheBins: 0x50, mpTcacheMaxBytes: 0x58, mpTcacheCount: 0x60, mpTcacheUnsortedLimit: 0x68 };
// 2.35 (commit c1beb51d08) adds thp_pagesize, hp_pagesize, hp_flags after arena_max.
const mp2_35 = {
  ...mpHead, mpSize: 0x88, mpThpPagesize: 0x28, mpHpPagesize: 0x30, mpHpFlags: 0x38, mpNMmaps: 0x3c,
  mpNMmapsMax: 0x40, mpMaxNMmaps: 0x44, mpNoDynThreshold: 0x48, mpMmappedMem: 0x50, mpMaxMmappedMem: 0x58,
  mpMaxTotalMem: -1, mpSbrkBase: 0x60, mpTcacheBins: 0x68, mpTcacheMaxBytes: 0x70, mpTcacheCount: 0x78,
  mpTcacheUnsortedLimit: 0x80,
};

// mp_'s initializer: DEFAULT_TRIM_THRESHOLD, DEFAULT_TOP_PAD (malloc-machine.h: 128 KiB),
// DEFAULT_MMAP_THRESHOLD_MIN, NARENAS_FROM_NCORES (1) = 8, DEFAULT_MMAP_MAX 65536.
const mpDefaults = {
  mpDefaultTrimThreshold: 0x20000, mpDefaultTopPad: 0x20000, mpDefaultMmapThreshold: 0x20000, mpDefaultArenaTest: 8,
  mpDefaultNMmapsMax: 65536, mpDefaultThpMode: -1,
};
const noTcacheDefaults = { mpDefaultTcacheBins: -1, mpDefaultTcacheMaxBytes: -1, mpDefaultTcacheCount: -1 };
// TCACHE_MAX_BINS 64, tcache_max_bytes = tidx2usize (63) = 1032, TCACHE_FILL_COUNT 7. The
// glibc-2.42 tag keeps 1032 (MAX_TCACHE_SMALL_SIZE = tidx2usize (63)); the fix ad4caba414
// (0x411) reached the 2.42 branch only after the release (c491dabd8a), so a 2.42 build may hold either.
const tcacheDefaults = { mpDefaultTcacheBins: 64, mpDefaultTcacheMaxBytes: 1032, mpDefaultTcacheCount: 7 };

// tcache_perthread_struct and tcache_entry. No tcache before 2.26 (the struct came with
// USE_TCACHE in 2.26), so no counter and no counter width: 0, as a DWARF row without the
// struct says too (the hand-made C++ table this replaces had 1 here; nothing read it).
const noTcache = { tcacheBins: 0, tcacheCountWidth: 0, tcacheEntriesOffset: 0, tcacheChunkSize: 0, tcacheHasKey: 0 };
// 2.26: char counts[64]; tcache_entry *entries[64] (0x240, chunk 0x250); tcache_entry has only next.
const tcache2_26 = { tcacheBins: 64, tcacheCountWidth: 1, tcacheEntriesOffset: 0x40, tcacheChunkSize: 0x250, tcacheHasKey: 0 };
// 2.29 adds tcache_entry.key (the double-free check).
const tcache2_29 = { ...tcache2_26, tcacheHasKey: 1 };
// 2.30 widens counts to uint16_t (0x280, chunk 0x290).
const tcache2_30 = { ...tcache2_29, tcacheCountWidth: 2, tcacheEntriesOffset: 0x80, tcacheChunkSize: 0x290 };
// 2.42: uint16_t num_slots[76]; entries[76] (12 large bins added; 0x2f8, chunk 0x300).
const tcache2_42 = { ...tcache2_30, tcacheBins: 76, tcacheEntriesOffset: 0x98, tcacheChunkSize: 0x300 };

// heap_info: 2.35 (commit c1beb51d08) adds pagesize; pad keeps sizeof + 2*SIZE_SZ a multiple of 16.
const heapInfo2_17 = { heapInfoSize: 0x20, heapInfoHasPagesize: 0 };
const heapInfo2_35 = { heapInfoSize: 0x30, heapInfoHasPagesize: 1 };

const row = (from, to, ...parts) => ({ from, to, layout: Object.assign({}, ...parts) });

/** Hand-kept rows, oldest first: { from: minor, to: minor, layout } with every non-rule field. */
export const sourceDerivedRows = [
  row(17, 22, state2_17, heapInfo2_17, mp2_17, mpDefaults, noTcacheDefaults, noTcache),
  row(23, 23, state2_23, heapInfo2_17, mp2_17, mpDefaults, noTcacheDefaults, noTcache),
  row(24, 25, state2_23, heapInfo2_17, mp2_24, mpDefaults, noTcacheDefaults, noTcache),
  row(26, 26, state2_23, heapInfo2_17, mp2_26, mpDefaults, tcacheDefaults, tcache2_26),
  row(27, 28, state2_27, heapInfo2_17, mp2_26, mpDefaults, tcacheDefaults, tcache2_26),
  row(29, 29, state2_27, heapInfo2_17, mp2_26, mpDefaults, tcacheDefaults, tcache2_29),
  row(30, 30, state2_27, heapInfo2_17, mp2_26, mpDefaults, tcacheDefaults, tcache2_30),
  // 2.34 changes what tcache_entry.key holds (a random tcache_key, not the owner's
  // tcache), not where it is: one row with 2.32-2.33.
  row(32, 34, state2_27, heapInfo2_17, mp2_26, mpDefaults, tcacheDefaults, tcache2_30),
  row(35, 35, state2_27, heapInfo2_35, mp2_35, mpDefaults, tcacheDefaults, tcache2_30),
  row(37, 40, state2_27, heapInfo2_35, mp2_35, mpDefaults, tcacheDefaults, tcache2_30),
  row(42, 42, state2_27, heapInfo2_35, mp2_35, mpDefaults, tcacheDefaults, tcache2_42),
];
