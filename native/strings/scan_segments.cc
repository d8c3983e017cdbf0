#include "scan_segments.h"

#include <algorithm>

#include "memory/address_ranges.h"

namespace arenascope {

bool chunkPassesFilter(uint8_t state, ChunkFilter filter) {
  switch (filter) {
    case ChunkFilter::kAll:
      return true;
    case ChunkFilter::kLive:
      return state == kStateInUse;
    case ChunkFilter::kFree:
      return state == kStateFreeInBin || state == kStateFastbin || state == kStateTcache || state == kStateTop ||
             state == kStateFreeUnlisted;
  }
  return false;
}

std::vector<ScanRange> normalizeRanges(std::vector<ScanRange> ranges) {
  // Touching ranges stay apart: each is reported as the caller gave it.
  sortAndMergeRanges(&ranges, Touching::kKeep);
  return ranges;
}

SegmentCursor::SegmentCursor(const std::vector<ScanRange>* ranges, const ChunkTable* table, ChunkFilter filter)
    : ranges_(ranges), table_(table), filter_(table ? filter : ChunkFilter::kAll) {}

bool SegmentCursor::next(ScanSegment* out) {
  const std::vector<ScanRange>& ranges = *ranges_;
  if (filter_ == ChunkFilter::kAll) {
    if (range_ >= ranges.size()) return false;
    const ScanRange& r = ranges[range_++];
    *out = {r.start, r.end, r.end};
    return true;
  }
  const ChunkTable& table = *table_;
  while (range_ < ranges.size() && chunk_ < table.size()) {
    const ChunkRecord& rec = table[chunk_];
    if (!chunkPassesFilter(rec.state, filter_)) {
      ++chunk_;
      continue;
    }
    const uint64_t spanStart = ChunkTable::userStart(rec);
    const uint64_t spanEnd = ChunkTable::userEnd(rec);
    const ScanRange& r = ranges[range_];
    if (spanEnd <= r.start || spanEnd <= spanStart) {
      ++chunk_;
      continue;
    }
    if (spanStart >= r.end) {
      ++range_;
      continue;
    }
    // Overlapping records (a corrupt walk) must not make a byte count twice.
    uint64_t s = std::max({spanStart, r.start, lastEnd_});
    uint64_t e = std::min(spanEnd, r.end);
    uint64_t rangeEnd = r.end;
    if (spanEnd <= r.end) {
      ++chunk_;
    } else {
      ++range_;
    }
    if (s < e) {
      *out = {s, e, rangeEnd};
      lastEnd_ = e;
      return true;
    }
  }
  return false;
}

}  // namespace arenascope
