// Locating the segments of a non-contiguous main arena. When brk fails (or
// is bypassed, as with glibc.malloc.hugetlb=2 on 2.35-2.41) sysmalloc grows
// the main arena with anonymous mmaps (sysmalloc_mmap_fallback, at least
// MMAP_AS_MORECORE_SIZE = 1 MiB at first); each time it moves to a new
// segment it closes the old top with two 0x10 fenceposts. Nothing links the
// segments: the first starts at mp_.sbrk_base, the newest holds top, and the
// ones in between are found next to known ones (the kernel tends to place
// each new mapping right below the previous one).
#include <algorithm>

#include "walker_internal.h"

namespace arenascope {
namespace ptmalloc {

namespace {
// Candidate pages tried per search, whatever the byte budget says.
constexpr uint64_t kMaxSearchPages = 1u << 18;  // 1 GiB of 4 KiB pages
constexpr uint64_t kSearchCache = 64ull << 20;
// Rounds of "look right above and right below every known segment".
constexpr int kMaxAdjacencyRounds = 64;
}  // namespace

bool ArenaWalker::walkSegmentEnd(uint64_t first, uint64_t limit, uint64_t top, uint64_t* end, bool* reachedTop) {
  if (limit <= first) return false;
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

bool ArenaWalker::findSegmentBelow(uint64_t target, bool targetIsChunk, uint64_t budget, uint64_t* start) {
  // A segment is a fresh mmap, so its first chunk sits at the page-aligned
  // mapping start with prev_size 0 (nothing precedes it to write a footer)
  // and PREV_INUSE set (sysmalloc: set_head(top, size | PREV_INUSE)).
  const uint64_t highest = targetIsChunk ? pageFloor(target) : target - kPageSize;
  if (highest < 2 * kPageSize || budget < kPageSize) return false;
  const uint64_t pages = std::min<uint64_t>(budget / kPageSize, kMaxSearchPages);
  const uint64_t lowest = highest >= (pages - 1) * kPageSize + kPageSize ? highest - (pages - 1) * kPageSize : kPageSize;
  SpanReader mem(&src_, kSearchCache);
  mem.setSpans({{lowest, target + kChunkHeader}});
  std::vector<uint64_t> candidates;  // highest first
  for (uint64_t p = highest;; p -= kPageSize) {
    uint64_t hdr[2];
    if (!mem.read(p, hdr, sizeof hdr)) break;  // unmapped: no segment reaches further down
    uint64_t sz = chunkSize(hdr[1]);
    if ((targetIsChunk && p == target) ||
        (hdr[0] == 0 && (hdr[1] & kPrevInuse) && sz >= kMinSize && (sz & kAlignMask) == 0 && p + sz <= target)) {
      candidates.push_back(p);
    }
    if (p <= lowest) break;
  }
  // The lowest candidate whose chunk chain ends exactly at the target (top's
  // header, or the end of a double fencepost) starts the segment.
  uint64_t stepBudget = 4 * O_.maxChunksPerHeap;
  for (auto it = candidates.rbegin(); it != candidates.rend() && stepBudget > 0; ++it) {
    uint64_t c = *it;
    bool afterFencepost = false;
    bool ok = false;
    while (stepBudget > 0) {
      --stepBudget;
      if (targetIsChunk && c == target) {
        ok = true;
        break;
      }
      if (c >= target) break;
      uint64_t hdr[2];
      if (!mem.read(c, hdr, sizeof hdr)) break;
      uint64_t sz = chunkSize(hdr[1]);
      if (sz == kFencepostSize) {
        if (targetIsChunk) break;  // a segment holds no fencepost before its top
        if (afterFencepost) {
          ok = c + kFencepostSize == target;
          break;
        }
        afterFencepost = true;
        c += kFencepostSize;
        continue;
      }
      afterFencepost = false;
      if (sz < kMinSize || (sz & kAlignMask) != 0 || c + sz < c) break;
      c += sz;
    }
    if (ok) {
      *start = *it;
      return true;
    }
  }
  return false;
}

std::vector<ArenaWalker::Segment> ArenaWalker::locateMainSegments(ArenaWork& a, uint64_t topEnd) {
  ArenaReport& r = a.report;
  const uint64_t sbrk = result_.mp.sbrkBase;
  std::vector<Segment> found;
  uint64_t remaining = r.systemMem;
  auto take = [&](uint64_t start, uint64_t end, bool holdsTop) {
    found.push_back({start, end, holdsTop});
    remaining = remaining > end - start ? remaining - (end - start) : 0;
  };
  if (sbrk != 0 && (sbrk & 7) == 0) {
    uint64_t end = 0;
    bool reachedTop = false;
    uint64_t limit = sbrk + std::max<uint64_t>(r.systemMem, topEnd > sbrk ? topEnd - sbrk : 0);
    if (walkSegmentEnd(alignUp(sbrk, kMallocAlignment), limit, r.topAddress, &end, &reachedTop)) {
      if (reachedTop) {
        if (sbrk + r.systemMem != topEnd) {
          a.log.add("main-segment-size", sbrk, "single main segment does not match system_mem");
        }
        take(sbrk, topEnd, true);
        return found;
      }
      take(sbrk, end, false);
    } else {
      a.log.add("main-segment-unwalkable", sbrk, "first main-arena segment at sbrk_base does not end in fenceposts");
    }
  } else {
    a.log.add("sbrk-base-unset", sbrk, "main arena in use but mp_.sbrk_base is 0 or misaligned");
  }
  uint64_t topStart = 0;
  if (findSegmentBelow(r.topAddress, true, remaining, &topStart)) {
    take(topStart, topEnd, true);
  } else {
    a.log.add("main-top-segment-unfound", r.topAddress, "start of the main-arena segment holding top not found");
  }
  // Segments in between: right above and right below each known one, and
  // around the chunks the list heads (fastbins, bins, last_remainder) point
  // at: a retired segment's old top is freed into a bin.
  auto startsAt = [&](uint64_t x) {
    return std::any_of(found.begin(), found.end(), [x](const Segment& g) { return g.start == x; });
  };
  auto endsAt = [&](uint64_t x) {
    return std::any_of(found.begin(), found.end(), [x](const Segment& g) { return g.end == x; });
  };
  auto inFound = [&](uint64_t x) {
    return std::any_of(found.begin(), found.end(), [x](const Segment& g) { return x >= g.start && x < g.end; });
  };
  std::vector<uint64_t> seeds;
  for (int i = 0; i < L_.nFastbins; ++i) seeds.push_back(stateU64(a, L_.offFastbins + 8 * i));
  for (unsigned i = 1; i < kNBins; ++i) {
    const int64_t slot = L_.offBins + 16 * static_cast<int64_t>(i - 1);
    seeds.push_back(stateU64(a, slot));
    seeds.push_back(stateU64(a, slot + 8));
  }
  seeds.push_back(r.lastRemainder);
  const uint64_t stateEnd = r.address + static_cast<uint64_t>(L_.stateSize);
  seeds.erase(std::remove_if(seeds.begin(), seeds.end(),
                             [&](uint64_t p) {
                               return p == 0 || (p & kAlignMask) != 0 || (p >= r.address && p < stateEnd);
                             }),
              seeds.end());
  for (int round = 0; round < kMaxAdjacencyRounds && remaining > 0; ++round) {
    bool progress = false;
    std::vector<Segment> known = found;
    for (const Segment& g : known) {
      if (remaining == 0) break;
      uint64_t end = 0;
      bool reachedTop = false;
      if (!startsAt(g.end) && walkSegmentEnd(g.end, g.end + remaining, r.topAddress, &end, &reachedTop) &&
          !reachedTop && end - g.end <= remaining) {
        take(g.end, end, false);
        progress = true;
      }
      uint64_t start = 0;
      if (remaining > 0 && !endsAt(g.start) && findSegmentBelow(g.start, false, remaining, &start)) {
        take(start, g.start, false);
        progress = true;
      }
    }
    for (uint64_t seed : seeds) {
      if (remaining == 0 || inFound(seed)) continue;
      uint64_t start = 0, end = 0;
      bool reachedTop = false;
      if (findSegmentBelow(seed, true, remaining, &start) && !inFound(start) &&
          walkSegmentEnd(start, start + remaining, r.topAddress, &end, &reachedTop) && !reachedTop) {
        take(start, end, false);
        progress = true;
      }
    }
    if (!progress) break;
  }
  if (remaining != 0) {
    a.log.add("main-segments-missing", r.address,
               std::to_string(remaining) + " bytes of system_mem lie in main-arena segments that were not found");
  }
  return found;
}

}  // namespace ptmalloc
}  // namespace arenascope
