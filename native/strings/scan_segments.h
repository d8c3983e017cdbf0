// Which address intervals a string scan classifies: the requested ranges,
// optionally narrowed to the user data of chunks in a given state. Runs never
// cross a segment boundary: a string ends where its segment ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "chunk_index.h"

namespace arenascope {

struct ScanRange {
  uint64_t start;
  uint64_t end;
};

// live = chunks handed to the program (kMarkLive). free = memory malloc holds
// for reuse (bins, fastbins, tcache, top, on no list: kMarkFree). Internal
// chunks (the tcache struct) and fenceposts are in neither.
enum class ChunkFilter { kAll, kLive, kFree };

bool chunkPassesFilter(uint8_t mark, ChunkFilter filter);

// Sorted by start, overlapping ranges merged (so no byte is scanned twice),
// empty ones dropped. Ranges that merely touch stay separate: each range is
// its own stream, and a run at a range end ends there.
std::vector<ScanRange> normalizeRanges(std::vector<ScanRange> ranges);

struct ScanSegment {
  uint64_t start;
  uint64_t end;
  uint64_t rangeEnd;  // end of the requested range holding the segment (read bound)
};

// Yields segments in increasing address order, disjoint. With kAll (or no
// chunk map) the segments are the ranges themselves; otherwise each is a range
// intersected with the user data [chunk+0x10, chunk+size+8) of a matching
// chunk. Free chunks are scanned from +0x10 like live ones although their
// first 16 (large bins: 32) bytes hold fd/bk links or the tcache next/key
// pair: those are pointers, rarely 6 printable bytes, and skipping them would
// not change what the rest of the old allocation's text looks like.
class SegmentCursor {
 public:
  SegmentCursor(const std::vector<ScanRange>* ranges, const ChunkMap* map, ChunkFilter filter);
  bool next(ScanSegment* out);

 private:
  const std::vector<ScanRange>* ranges_;
  ChunkIndex index_;
  ChunkFilter filter_;
  size_t range_ = 0;
  bool started_ = false;  // the chunk straddling the current range's start was looked at
  uint64_t cursor_ = 0;   // where the next chunk start is looked for
  uint64_t lastEnd_ = 0;
  ChunkRef last_;  // the last chunk visited in this range
  bool haveLast_ = false;
};

}  // namespace arenascope
