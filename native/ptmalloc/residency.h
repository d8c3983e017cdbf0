// Residency of an arena, joined page by page with the chunk walk as it
// passes (no chunk is kept): which resident pages hold memory in use, free
// memory or overhead, and what malloc_trim(0) would give back right now.
//
// Page classes (every resident page of an arena heap gets exactly one, so
// they add up to the arena's resident bytes):
//   in use    a page that any in-use chunk overlaps;
//   free      a page wholly covered by free chunks (bins, fastbins, tcache,
//             on no list) and/or the top chunk;
//   overhead  the rest: heap_info, malloc_state, the tcache struct and other
//             glibc-internal chunks, fenceposts, pages shared by free chunks
//             and headers, and [size, mprotect_size) of a heap.
//
// malloc_trim(0) (glibc malloc.c mtrim and systrim, 2.17 to 2.44):
//  1. Up to 2.42 mtrim first runs malloc_consolidate: each fastbin chunk is
//     merged with a free neighbour (bin or fastbin) before and after it, and
//     into top when top follows it. Two neighbours both already in bins are
//     never merged by it (glibc coalesces on free). Tcache chunks look in use
//     and block merging; a free chunk on no list (an anomaly) neither merges
//     nor is trimmed. The estimate without consolidation is kept too: the
//     conservative bound.
//  2. For the unsorted bin and every bin from bin_index(pagesize) on (all
//     chunks of 0x1000 and more), each chunk has the whole pages from
//     align_up(chunk + sizeof(struct malloc_chunk) = 0x30) to
//     align_down(chunk end) released with MADV_DONTNEED, when its size exceeds
//     pagesize - 1 + 0x30. Only resident pages lower RSS, so only they count.
//  3. Main arena only: systrim(pad) releases align_down(chunksize(top) -
//     MINSIZE - 1 - pad, thp_pagesize or pagesize) bytes from the end of top,
//     and only while the program break is still at the end of top. Non-main
//     tops are not shrunk by malloc_trim (heap_trim does that on free).
#pragma once

#include <cstdint>
#include <vector>

namespace arenascope {
namespace ptmalloc {

struct Reclaimable {
  uint64_t bins = 0;    // resident bytes in bin chunks mtrim would MADV_DONTNEED
  uint64_t top = 0;     // resident bytes systrim would cut off the main arena's top
  uint64_t chunks = 0;  // free chunks (after consolidation) that would release a resident page
  uint64_t total() const { return bins + top; }
};

struct ResidencyTotals {
  uint64_t resident = 0, inUse = 0, free = 0, overhead = 0;
  uint64_t top = 0;  // resident pages wholly inside the top chunk (part of free)
  uint64_t swapped = 0;
  uint64_t freeChunks = 0, freeChunkBytes = 0, freeChunkResidentBytes = 0;
  // Free chunks too small to hold a page past their 0x30-byte header: never trimmed.
  uint64_t smallFreeChunks = 0, smallFreeBytes = 0;
  Reclaimable reclaimable, reclaimableWithoutConsolidation;
};

struct TrimRules {
  uint64_t pageSize = 4096;
  uint64_t thpPagesize = 0;  // mp_.thp_pagesize: systrim rounds to it when set
  uint64_t pad = 0;          // malloc_trim's argument
  bool consolidateFastbins = true;
};

// What the walk says a chunk is, for residency.
enum class ChunkClass : uint8_t { kInUse, kInternal, kFreeBin, kFast, kTcache, kFreeUnlisted, kTop };

// One span (heap or main-arena segment) at a time.
class SpanResidency {
 public:
  // [rangeStart, rangeEnd): page-aligned, where the span can be resident
  // (heap_info to mprotect_size; for the main arena, all of [heap]); states:
  // one PageState (0 absent, 1 present, 2 swapped) per page of it.
  // mainTopTrims: this span's top is the main arena's and ends at the break.
  void begin(uint64_t rangeStart, uint64_t rangeEnd, const std::vector<uint8_t>* states, ResidencyTotals* acc,
             const TrimRules* rules, bool mainTopTrims);
  // Chunks in increasing address order, each [start, end). A stretch no
  // chunk covers (a fencepost) needs no call: segments merge only when one
  // chunk ends where the next starts.
  void chunk(uint64_t start, uint64_t end, ChunkClass cls);
  void finish();
  bool active() const { return states_ != nullptr; }

 private:
  struct Segment {
    uint64_t start = 0, end = 0;
    ChunkClass last = ChunkClass::kInUse;
    bool isTop = false;
    bool open = false;
  };
  uint64_t presentPages(uint64_t from, uint64_t to) const;
  bool present(uint64_t page) const { return (*states_)[page] == 1; }
  void finishPage();
  void skipTo(uint64_t page);
  void addToPage(uint64_t page, uint64_t overlap, ChunkClass cls);
  void trimStep(Segment* seg, Reclaimable* out, bool consolidate, uint64_t start, uint64_t end, ChunkClass cls);
  void trimFinish(Segment* seg, Reclaimable* out);

  const std::vector<uint8_t>* states_ = nullptr;
  ResidencyTotals* acc_ = nullptr;
  const TrimRules* rules_ = nullptr;
  uint64_t base_ = 0, pages_ = 0;
  bool mainTopTrims_ = false;
  // The page partly covered so far (index from base_), its flags and free
  // cover; next_: the first page not yet counted.
  uint64_t page_ = 0;
  uint64_t next_ = 0;
  bool pageOpen_ = false;
  bool pageInUse_ = false;
  uint64_t pageFreeCover_ = 0;
  Segment withC_, withoutC_;
};

}  // namespace ptmalloc
}  // namespace arenascope
