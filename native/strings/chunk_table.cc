#include "chunk_table.h"

#include <algorithm>
#include <cstring>

namespace arenascope {

namespace {
uint64_t readLe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint32_t readLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}
// Addresses are JS safe integers (< 2^53) and chunk sizes cannot exceed the
// address space, so start+size+8 must stay below 2^63 to be meaningful.
constexpr uint64_t kAddressLimit = 1ull << 62;
}  // namespace

bool ChunkTable::parse(const uint8_t* data, size_t len, ChunkTable* out, std::string* error) {
  if (len % kRecordBytes != 0) {
    *error = "chunkTable length " + std::to_string(len) + " is not a multiple of 24";
    return false;
  }
  size_t n = len / kRecordBytes;
  out->records_.clear();
  out->records_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = data + i * kRecordBytes;
    ChunkRecord r;
    r.start = readLe64(p);
    r.size = readLe64(p + 8);
    r.arenaIndex = readLe32(p + 16);
    uint8_t state = p[20];
    if (state > kStateFreeUnlisted) {
      *error = "chunkTable record " + std::to_string(i) + " has unknown state " + std::to_string(state);
      return false;
    }
    r.state = state;
    if (r.start >= kAddressLimit || r.size >= kAddressLimit) {
      *error = "chunkTable record " + std::to_string(i) + " has an address or size out of range";
      return false;
    }
    if (i > 0 && r.start <= out->records_.back().start) {
      *error = "chunkTable is not sorted by start at record " + std::to_string(i);
      return false;
    }
    out->records_.push_back(r);
  }
  return true;
}

int64_t ChunkTable::locate(uint64_t addr, size_t* hint) const {
  const size_t n = records_.size();
  if (n == 0) return -1;
  // Candidate = last record with userStart <= addr. userStart is increasing
  // with start, so the hint moves forward for ascending lookups.
  size_t i = *hint < n ? *hint : 0;
  auto fits = [&](size_t k) {
    return userStart(records_[k]) <= addr && (k + 1 == n || userStart(records_[k + 1]) > addr);
  };
  if (!fits(i)) {
    if (i + 1 < n && fits(i + 1)) {
      ++i;
    } else {
      auto it = std::upper_bound(records_.begin(), records_.end(), addr,
                                 [](uint64_t a, const ChunkRecord& r) { return a < userStart(r); });
      if (it == records_.begin()) return -1;
      i = static_cast<size_t>(it - records_.begin()) - 1;
    }
  }
  *hint = i;
  return addr < userEnd(records_[i]) ? static_cast<int64_t>(i) : -1;
}

}  // namespace arenascope
