// Locating the segments of a non-contiguous main arena. When brk fails (or
// is bypassed, as with glibc.malloc.hugetlb=2 on 2.35-2.41) sysmalloc grows
// the main arena with anonymous mmaps of at least 1 MiB; each time it moves
// to a new segment it closes the old top with two 0x10 fenceposts. Nothing
// links the segments, so the first one is found from mp_.sbrk_base and the
// one holding top by searching down from top for the segment start.
#include <algorithm>
#include <unordered_set>

#include "walker_internal.h"

namespace arenascope {
namespace ptmalloc {

namespace {
// Searching down from top tries at most this many candidate pages per seed,
// whatever the budget says.
constexpr uint64_t kMaxSearchPages = 1u << 18;  // 1 GiB of 4 KiB pages
constexpr uint64_t kSearchCache = 64ull << 20;
}  // namespace

bool ArenaWalker::walkSegmentEnd(uint64_t first, uint64_t limit, uint64_t top, uint64_t* end, bool* reachedTop) {
  SpanReader mem(&src_, kSearchCache);
  mem.setSpans({{first, limit}});
  uint64_t c = first;
  bool afterFencepost = false;
  for (uint64_t steps = 0; steps < O_.maxChunksPerHeap; ++steps) {
    if (c == top) {
      *reachedTop = true;
      return true;
    }
    uint64_t hdr[2];
    if (!mem.read(c, hdr, sizeof hdr)) return false;
    uint64_t sz = chunkSize(hdr[1]);
    if (sz == kFencepostSize) {
      if (afterFencepost) {
        *end = c + kFencepostSize;
        *reachedTop = false;
        return true;
      }
      afterFencepost = true;
      c += kFencepostSize;
      continue;
    }
    afterFencepost = false;
    if (sz < kMinSize || (sz & kAlignMask) != 0 || c + sz > limit || c + sz < c) return false;
    c += sz;
  }
  return false;
}

bool ArenaWalker::findSegmentStartBelow(uint64_t seed, uint64_t budget, uint64_t* start) {
  // A segment is a fresh mmap, so its first chunk sits at the page-aligned
  // mapping start with prev_size 0 (never written: no chunk precedes it) and
  // PREV_INUSE set (sysmalloc set_head(top, size | PREV_INUSE)).
  const uint64_t top = pageFloor(seed);
  if (top < 2 * kPageSize) return false;
  uint64_t pages = std::min<uint64_t>(budget / kPageSize + 1, kMaxSearchPages);
  uint64_t lowest = top >= pages * kPageSize ? top - pages * kPageSize : kPageSize;
  SpanReader mem(&src_, kSearchCache);
  mem.setSpans({{lowest, seed + kChunkHeader}});
  std::vector<uint64_t> candidates;
  for (uint64_t p = top;; p -= kPageSize) {
    uint64_t hdr[2];
    if (!mem.read(p, hdr, sizeof hdr)) break;  // unmapped: the mapping ends here
    uint64_t sz = chunkSize(hdr[1]);
    if (p == seed || (hdr[0] == 0 && (hdr[1] & kPrevInuse) && sz >= kMinSize && (sz & kAlignMask) == 0 && p + sz <= seed)) {
      candidates.push_back(p);
    }
    if (p <= lowest) break;
  }
  // The lowest page whose chunk chain lands exactly on seed is the start;
  // chains cross no fencepost inside a segment. Chains proven good are
  // remembered so each chunk is walked about once.
  std::unordered_set<uint64_t> good;
  good.insert(seed);
  uint64_t stepBudget = 4 * O_.maxChunksPerHeap;
  for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
    uint64_t c = *it;
    bool ok = false;
    while (stepBudget > 0 && c <= seed) {
      --stepBudget;
      if (good.count(c)) {
        ok = true;
        break;
      }
      uint64_t hdr[2];
      if (!mem.read(c, hdr, sizeof hdr)) break;
      uint64_t sz = chunkSize(hdr[1]);
      if (sz < kMinSize || (sz & kAlignMask) != 0 || c + sz < c) break;
      c += sz;
    }
    if (ok) {
      *start = *it;
      return true;
    }
    if (stepBudget == 0) break;
  }
  return false;
}

}  // namespace ptmalloc
}  // namespace arenascope
