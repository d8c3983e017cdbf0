#include "scan_segments.h"

#include <algorithm>

#include "memory/address_ranges.h"

namespace arenascope {

bool chunkPassesFilter(uint8_t mark, ChunkFilter filter) {
  switch (filter) {
    case ChunkFilter::kAll:
      return true;
    case ChunkFilter::kLive:
      return mark == kMarkLive;
    case ChunkFilter::kFree:
      return mark == kMarkFree;
  }
  return false;
}

std::vector<ScanRange> normalizeRanges(std::vector<ScanRange> ranges) {
  // Touching ranges stay apart: each is reported as the caller gave it.
  sortAndMergeRanges(&ranges, Touching::kKeep);
  return ranges;
}

SegmentCursor::SegmentCursor(const std::vector<ScanRange>* ranges, const ChunkMap* map, ChunkFilter filter)
    : ranges_(ranges), index_(map), filter_(map ? filter : ChunkFilter::kAll) {}

bool SegmentCursor::next(ScanSegment* out) {
  const std::vector<ScanRange>& ranges = *ranges_;
  if (filter_ == ChunkFilter::kAll) {
    if (range_ >= ranges.size()) return false;
    const ScanRange& r = ranges[range_++];
    *out = {r.start, r.end, r.end};
    return true;
  }
  while (range_ < ranges.size()) {
    const ScanRange& r = ranges[range_];
    ChunkRef c;
    bool have = false;
    if (!started_) {
      started_ = true;
      // A chunk whose user data reaches into the range may start up to 16
      // bytes plus its size before it: begin at the chunk holding
      // r.start - 16 (its data may end past r.start), then go on from there.
      const uint64_t from = r.start >= 16 ? r.start - 16 : 0;
      cursor_ = from;
      if (index_.containing(from, &c)) {
        have = true;
        cursor_ = c.start + 16;
      }
    }
    if (!have) {
      // Chunks are visited in order: the next one starts where the last one
      // ended, found from that mark alone; a search only at span and range ends.
      if (haveLast_ && last_.end < r.end && index_.after(last_, &c)) {
        have = true;
      } else if (!index_.next(cursor_, r.end, &c)) {
        ++range_;
        started_ = false;
        haveLast_ = false;
        continue;
      }
      cursor_ = c.start + 16;  // the next start is past this one (MINSIZE is 0x20)
    }
    last_ = c;
    haveLast_ = true;
    if (!chunkPassesFilter(c.mark, filter_)) continue;
    // Overlapping ranges were merged; lastEnd_ keeps a byte from counting twice.
    const uint64_t s = std::max({c.userStart(), r.start, lastEnd_});
    const uint64_t e = std::min(c.userEnd(), r.end);
    if (s < e) {
      *out = {s, e, r.end};
      lastEnd_ = e;
      return true;
    }
  }
  return false;
}

}  // namespace arenascope
