// The packed chunk table produced by the arena walker, as the string scanner
// reads it: little-endian 24-byte records
//   u64 start (chunk header address), u64 size, u32 arenaIndex, u8 state, 3 pad
// sorted by start.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// ChunkState and ChunkRecord: the walker owns the format (native/ptmalloc/walk_types.h).
#include "ptmalloc/walk_types.h"

namespace arenascope {

using ptmalloc::ChunkRecord;
using ptmalloc::kStateFastbin;
using ptmalloc::kStateFreeInBin;
using ptmalloc::kStateFreeUnlisted;
using ptmalloc::kStateInternal;
using ptmalloc::kStateInUse;
using ptmalloc::kStateTcache;
using ptmalloc::kStateTop;

class ChunkTable {
 public:
  static constexpr size_t kRecordBytes = 24;

  // Returns false and sets *error when the buffer is not a whole number of
  // records, a state is unknown, start+size overflows, or starts are not
  // strictly increasing.
  static bool parse(const uint8_t* data, size_t len, ChunkTable* out, std::string* error);

  const std::vector<ChunkRecord>& records() const { return records_; }
  size_t size() const { return records_.size(); }
  const ChunkRecord& operator[](size_t i) const { return records_[i]; }

  // User data of a chunk: from chunk+0x10 (after prev_size and size) up to
  // chunk+size+8. The last 8 bytes are the next chunk's prev_size field, which
  // glibc hands to the user of an in-use chunk (usable size = chunksize - 8;
  // see reference §4: prev_size is only valid while the previous chunk is free).
  static uint64_t userStart(const ChunkRecord& r) { return r.start + 16; }
  static uint64_t userEnd(const ChunkRecord& r) { return r.start + r.size + 8; }

  // Index of the chunk whose user data holds addr, or -1. *hint is a cursor
  // kept by the caller; lookups in increasing address order are O(1).
  int64_t locate(uint64_t addr, size_t* hint) const;

 private:
  std::vector<ChunkRecord> records_;
};

}  // namespace arenascope
