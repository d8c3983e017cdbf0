// Chunk-level facts of glibc malloc on x86-64 that hold in every version
// 2.17..2.44 (malloc.c: SIZE_SZ 8, MALLOC_ALIGNMENT 16, MINSIZE 0x20, the size
// field's PREV_INUSE/IS_MMAPPED/NON_MAIN_ARENA bits, PROTECT_PTR from 2.32).
#pragma once

#include <cstdint>

namespace arenascope {
namespace ptmalloc {

// SIZE_SZ = 8; MALLOC_ALIGNMENT = 16 (max of 2*SIZE_SZ and alignof(long double)).
constexpr uint64_t kSizeSz = 8;
constexpr uint64_t kMallocAlignment = 16;
constexpr uint64_t kAlignMask = kMallocAlignment - 1;
// CHUNK_HDR_SZ = prev_size + size; user memory starts here.
constexpr uint64_t kChunkHeader = 16;
// MINSIZE = offsetof(malloc_chunk, fd_nextsize) rounded = 0x20.
constexpr uint64_t kMinSize = 0x20;

// Flag bits in the size field.
constexpr uint64_t kPrevInuse = 0x1;
constexpr uint64_t kIsMmapped = 0x2;
constexpr uint64_t kNonMainArena = 0x4;
constexpr uint64_t kSizeBits = 0x7;

// malloc_state.flags bits.
constexpr uint32_t kFastchunksBit = 0x1;     // <=2.26 only, clear means "may have fast chunks"
constexpr uint32_t kNoncontiguousBit = 0x2;  // non-main arenas always; main when brk failed

// NBINS = 128 (bin 0 unused, 1 unsorted, 2..63 small, 64..126 large, 127 unused on x86-64).
constexpr unsigned kNBins = 128;
constexpr unsigned kNSmallBins = 64;
// MIN_LARGE_SIZE = NSMALLBINS * MALLOC_ALIGNMENT with SMALLBIN_CORRECTION 0.
constexpr uint64_t kMinLargeSize = 0x400;

// The fencepost glibc writes at the end of a retired heap or main-arena
// segment: a chunk header of size CHUNK_HDR_SZ (sysmalloc).
constexpr uint64_t kFencepostSize = 0x10;

// Default HEAP_MAX_SIZE = 2 * DEFAULT_MMAP_THRESHOLD_MAX = 2 * 32 MiB on 64-bit.
constexpr uint64_t kDefaultHeapMax = 64ull << 20;

// The first 2.42 "large" tcache bin: TCACHE_SMALL_BINS.
constexpr unsigned kTcacheSmallBins = 64;
// MAX_TCACHE_SMALL_SIZE = tidx2csize(63) = 0x410; __builtin_clz(0x410) = 21.
constexpr uint64_t kMaxTcacheSmallSize = 0x410;
constexpr int kClzMaxTcacheSmall = 21;

inline uint64_t chunkSize(uint64_t sizeField) { return sizeField & ~kSizeBits; }

inline uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

// smallbin_index / largebin_index_64 from malloc.c, x86-64.
inline unsigned largebinIndex(uint64_t sz) {
  if ((sz >> 6) <= 48) return 48 + static_cast<unsigned>(sz >> 6);
  if ((sz >> 9) <= 20) return 91 + static_cast<unsigned>(sz >> 9);
  if ((sz >> 12) <= 10) return 110 + static_cast<unsigned>(sz >> 12);
  if ((sz >> 15) <= 4) return 119 + static_cast<unsigned>(sz >> 15);
  if ((sz >> 18) <= 2) return 124 + static_cast<unsigned>(sz >> 18);
  return 126;
}
inline unsigned binIndex(uint64_t sz) {
  return sz < kMinLargeSize ? static_cast<unsigned>(sz >> 4) : largebinIndex(sz);
}

// NFASTBINS = fastbin_index(request2size(MAX_FAST_SIZE)) + 1 = 10 on 64-bit
// (MAX_FAST_SIZE = 80 * SIZE_SZ / 4 = 160): the most any layout may name
// (malloc_layout.cc checks it).
constexpr size_t kMaxFastbins = 10;

// fastbin_index(sz) = (sz >> 4) - 2. In 64 bits: sz is a remote size field and
// may be anything, and (int)(sz >> 4) - 2 overflows for some of them.
inline int64_t fastbinIndex(uint64_t sz) { return static_cast<int64_t>(sz >> 4) - 2; }

// csize2tidx for bins 0..63; 2.42's large_csize2tidx above that.
inline int tcacheIndex(uint64_t sz, int64_t tcacheBins) {
  if (sz < kMinSize) return -1;
  if (sz <= kMaxTcacheSmallSize) return static_cast<int>((sz - kMinSize) / kMallocAlignment);
  if (tcacheBins <= static_cast<int64_t>(kTcacheSmallBins) || sz >= (1ull << 32)) return -1;
  int idx = static_cast<int>(kTcacheSmallBins) + kClzMaxTcacheSmall - __builtin_clz(static_cast<uint32_t>(sz));
  return idx < tcacheBins ? idx : -1;
}

// Whether a chunk of size sz can hold a tcache_perthread_struct whose
// request2size is tcacheChunk: tcache_init takes it from _int_malloc, which
// hands out a binned chunk whole when the rest would be below MINSIZE (then
// 16 bytes more). A thread that reuses an arena (or, from 2.43, any thread:
// its tcache comes after its first frees) can get it from a bin.
inline bool isTcacheChunkSize(uint64_t sz, uint64_t tcacheChunk) {
  return tcacheChunk != 0 && (sz == tcacheChunk || sz == tcacheChunk + kMallocAlignment);
}

// Page size of the mappings malloc makes (x86-64).
constexpr uint64_t kMapPageSize = 4096;
// MMAP_HP (2.43+): bit 0 of an mmapped chunk's prev_size when its mapping is
// on huge pages (malloc.c mmap_set_chunk, mmap_base_offset).
constexpr uint64_t kMmapHp = 0x1;

// Whether a chunk header is an mmapped chunk's as malloc.c writes it
// (sysmalloc_mmap, _int_memalign, 2.43+ mmap_set_chunk) and munmap_chunk
// accepts it: the size's flag bits are IS_MMAPPED alone; prev_size is the
// chunk's offset from its mapping's start (2.43+: with MMAP_HP in bit 0); the
// mapping [chunk - offset, chunk + chunksize + trailer) is page-aligned, where
// trailer is 0 up to 2.42 and CHUNK_HDR_SZ from 2.43 (mmap_size()).
inline bool isMmappedChunkHeader(uint64_t chunk, uint64_t prevSize, uint64_t sizeField, uint64_t trailer) {
  if ((sizeField & kSizeBits) != kIsMmapped) return false;
  const uint64_t offset = trailer != 0 ? prevSize & ~kMmapHp : prevSize;
  const uint64_t size = chunkSize(sizeField);
  // 2^47: the x86-64 user address space; no mapping is larger.
  if (size < kMinSize || size > (1ull << 47) || offset > chunk || (offset & kAlignMask) != 0) return false;
  if (((chunk - offset) & (kMapPageSize - 1)) != 0) return false;
  return ((offset + size + trailer) & (kMapPageSize - 1)) == 0;
}

// Safe-linking (2.32+): stored = (field_address >> 12) ^ pointer.
inline uint64_t revealPtr(uint64_t fieldAddress, uint64_t stored) { return (fieldAddress >> 12) ^ stored; }

}  // namespace ptmalloc
}  // namespace arenascope
