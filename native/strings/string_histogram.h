// Counts distinct strings in bounded memory.
//
// Exact while the number of distinct keys stays within maxEntries and their
// text within maxKeyBytes. After that it becomes Space-Saving (Metwally,
// Agrawal, El Abbadi 2005): the table keeps maxEntries counters; a new key
// replaces the entry with the smallest count and inherits that count as its
// possible overestimate. Every reported count is >= the true count and
// count - error <= true count, and any key whose true count exceeds the
// largest evicted count is guaranteed to be in the table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "distinct_estimator.h"
#include "string_runs.h"

namespace arenascope {

class StringHistogram {
 public:
  struct TopEntry {
    std::string text;
    StringEncoding encoding;
    uint64_t count;
    uint64_t error;  // count - error <= true count <= count
    uint64_t bytes;  // memory bytes of the counted occurrences (estimated like count)
    bool truncated;  // some occurrence was longer than the kept key
  };

  StringHistogram(size_t maxEntries, size_t maxKeyBytes);

  // hash must be hashBytes(text, len, encoding).
  void add(const char* text, size_t len, uint64_t hash, StringEncoding encoding, uint64_t bytes, bool truncated);

  bool approximate() const { return approximate_; }
  size_t entries() const { return liveEntries_; }
  size_t capacity() const { return maxEntries_; }
  size_t keyBytes() const { return keyBytes_; }
  size_t keyByteBudget() const { return maxKeyBytes_; }
  // Largest count ever evicted: an upper bound on the true count of any key
  // that is not in the table.
  uint64_t evictedCountBound() const { return floor_; }
  // Exact when not approximate, otherwise a HyperLogLog estimate.
  uint64_t distinct() const;
  // Native memory held by the table, keys included.
  size_t memoryBytes() const;

  std::vector<TopEntry> top(size_t k) const;

 private:
  struct Entry {
    std::string key;
    uint64_t hash = 0;
    uint64_t count = 0;
    uint64_t error = 0;
    uint64_t bytes = 0;
    uint32_t heapPos = 0;
    StringEncoding encoding = StringEncoding::kAscii;
    bool truncated = false;
  };
  static constexpr uint32_t kNoEntry = UINT32_MAX;

  // Slot index holding the key, or the empty slot where it would go (*found false).
  size_t probe(const char* text, size_t len, uint64_t hash, StringEncoding encoding, bool* found) const;
  void eraseSlotOf(uint32_t index);
  uint32_t newEntry();
  void enterApproximate();
  void evictMin();
  void siftDown(size_t pos);
  void siftUp(size_t pos);
  bool heapLess(size_t a, size_t b) const { return entries_[heap_[a]].count < entries_[heap_[b]].count; }
  void heapSwap(size_t a, size_t b);

  size_t maxEntries_;
  size_t maxKeyBytes_;
  // Open addressing, linear probing, load <= 1/2. A slot is
  // (hash >> 32) << 32 | (entry index + 1); 0 is empty. The high half lets most
  // probes skip the entry without touching it.
  std::vector<uint64_t> slots_;
  size_t slotMask_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> freeEntries_;
  std::vector<uint32_t> heap_;  // min-heap on count, approximate mode only
  size_t liveEntries_ = 0;
  size_t keyBytes_ = 0;
  bool approximate_ = false;
  uint64_t floor_ = 0;
  DistinctEstimator estimator_;
};

}  // namespace arenascope
