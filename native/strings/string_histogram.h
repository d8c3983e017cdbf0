// Counts distinct strings in bounded memory.
//
// Exact while the number of distinct keys stays within maxEntries and their
// text within maxKeyBytes. After that it becomes Space-Saving (Metwally,
// Agrawal, El Abbadi 2005) with evictions in batches, which is Misra-Gries
// (1982) by another name: when the table is full, a floor is raised to the
// median count and every entry at or below it goes at once; a new key enters
// with count floor + 1 and error floor. Every reported count is >= the true
// count and count - error <= true count, and any key whose true count
// exceeds the floor is in the table. (Proof: a key's occurrences are its
// count since it entered plus what the floor took from it, and the floor
// only ever takes as much from every entry as it rose.) Evicting one minimum
// at a time needs a heap whose sifts miss the cache on every new key of a
// heap full of distinct strings; a batch costs one pass over the entries per
// maxEntries / 2 new keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "distinct_estimator.h"
#include "key_arena.h"
#include "memory/lazy_region.h"
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

  // Starts loading the slot a key with this hash probes first.
  void prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[home(hash)]); }

  bool approximate() const { return approximate_; }
  size_t entries() const { return liveEntries_; }
  size_t capacity() const { return maxEntries_; }
  // Key storage in use (power-of-two blocks) and its budget.
  size_t keyBytes() const { return keys_.bytesInUse(); }
  size_t keyByteBudget() const { return keys_.budget(); }
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
    uint64_t hash = 0;
    uint64_t count = 0;  // 0 marks a free entry
    uint64_t error = 0;
    uint64_t bytes = 0;
    uint32_t keyRef = KeyArena::kNone;
    uint16_t keyLen = 0;
    uint8_t keyClass = 0;
    StringEncoding encoding = StringEncoding::kAscii;
    bool truncated = false;
  };
  static constexpr uint32_t kNoEntry = UINT32_MAX;
  // A key's first slot comes from the hash's high half, the half each slot
  // keeps: deletion finds every slot's home without reading its entry.
  size_t home(uint64_t hash) const { return static_cast<size_t>(hash >> 32) & slotMask_; }

  // Slot index holding the key, or the empty slot where it would go (*found false).
  size_t probe(const char* text, size_t len, uint64_t hash, StringEncoding encoding, bool* found) const;
  void eraseSlotOf(uint32_t index);
  // A key block for len bytes, evicting (and entering approximate mode) when
  // the budget is used up. kNone only when nothing is left to evict.
  uint32_t allocateKey(size_t len, uint8_t* cls);
  uint32_t newEntry();
  // Raises the floor to the median count and drops every entry at or below
  // it (at least half of them); false when the table is empty.
  bool evictBatch();
  // Puts entry idx into the slot table.
  void insertSlot(uint32_t idx);

  size_t maxEntries_;
  // Open addressing, linear probing from home(hash), 2 * maxEntries slots
  // rounded up to a power of two (at most 2^23), so load stays <= 1/2. A slot
  // is (hash >> 32) << 32 | (entry index + 1); 0 is empty. The high half lets most
  // probes skip the entry without touching it. All tables are LazyArrays
  // sized for the caps: nothing is copied on growth and only touched pages
  // cost memory.
  LazyArray<uint64_t> slots_;
  size_t slotMask_;
  LazyArray<Entry> entries_;
  size_t entryCount_ = 0;  // entries ever used; free ones are on freeEntries_
  std::vector<uint32_t> freeEntries_;
  LazyArray<uint64_t> scratch_;  // counts, for the median of a batch eviction
  size_t liveEntries_ = 0;
  KeyArena keys_;
  bool approximate_ = false;
  uint64_t floor_ = 0;
  DistinctEstimator estimator_;
};

}  // namespace arenascope
