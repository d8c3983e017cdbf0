// The string scanner's view of chunk identity: the arena walker's ChunkMap
// (native/ptmalloc/chunk_map.h), two bits per 16-byte granule at chunk
// starts. It narrows a scan to live or free chunks and names the chunk and
// arena of each string, in memory that does not grow with the chunk count.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ptmalloc/chunk_map.h"

namespace arenascope {

using ptmalloc::ChunkMap;
using ptmalloc::kMarkFree;
using ptmalloc::kMarkLive;
using ptmalloc::kMarkOther;

// One chunk as the map knows it.
struct ChunkRef {
  uint64_t start = 0;
  uint64_t end = 0;  // the next chunk's start (or its heap's end)
  uint8_t mark = 0;
  uint32_t arena = 0;
  size_t span = SIZE_MAX;  // the map's span holding it
  uint64_t size() const { return end - start; }
  // User data: from chunk+0x10 (after prev_size and size) up to the next
  // chunk's size field. The next chunk's prev_size is the tail of this one's
  // user data while this one is in use (glibc hands out chunksize - 8 bytes;
  // prev_size is only valid while the previous chunk is free).
  uint64_t userStart() const { return start + 16; }
  uint64_t userEnd() const { return end + 8; }
};

class ChunkIndex {
 public:
  explicit ChunkIndex(const ChunkMap* map) : map_(map) {}

  // The chunk whose user data holds addr. Lookups near the previous one are
  // O(1) (the last chunk found is kept); others cost a bitmap scan.
  bool locate(uint64_t addr, ChunkRef* out) {
    if (have_ && addr >= last_.userStart() && addr < last_.userEnd()) {
      *out = last_;
      return true;
    }
    if (addr < 16) return false;
    ChunkRef c;
    if (have_ && addr >= last_.end && addr - last_.end < kStepWithin && after(last_, &c) && addr >= c.userStart() &&
        addr < c.userEnd()) {
      last_ = c;
      *out = c;
      return true;
    }
    if (!map_->chunkAt(addr - 16, &c.start, &c.end, &c.mark, &c.arena, &c.span)) return false;
    if (addr >= c.userEnd()) return false;
    last_ = c;
    have_ = true;
    *out = c;
    return true;
  }
  // The first chunk starting at or after addr and before limit.
  bool next(uint64_t addr, uint64_t limit, ChunkRef* out) const {
    return map_->nextChunk(addr, limit, &out->start, &out->end, &out->mark, &out->arena, &out->span);
  }
  // The chunk right after c in its span (starting at c.end). False at the
  // span's end.
  bool after(const ChunkRef& c, ChunkRef* out) const {
    ChunkRef n;
    n.start = c.end;
    n.arena = c.arena;
    n.span = c.span;
    if (!map_->chunkAfter(c.span, c.end, &n.end, &n.mark)) return false;
    *out = n;
    return true;
  }
  // The chunk holding addr (its header or data).
  bool containing(uint64_t addr, ChunkRef* out) const {
    return map_->chunkAt(addr, &out->start, &out->end, &out->mark, &out->arena, &out->span);
  }

 private:
  // A lookup this close past the last chunk tries the chunk after it first.
  static constexpr uint64_t kStepWithin = 4096;
  const ChunkMap* map_;
  ChunkRef last_;
  bool have_ = false;
};

}  // namespace arenascope
