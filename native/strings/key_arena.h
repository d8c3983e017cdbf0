// Storage for histogram keys without a malloc per key: blocks in size
// classes carved from one address-space reservation of the key budget, freed
// blocks kept on per-class free lists for reuse. Space-Saving replaces a key
// for nearly every new distinct string once the table is full, and in
// profiles malloc/free of key text, then the page faults of freshly touched
// key memory, were the largest costs; the reservation is a LazyRegion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "memory/lazy_region.h"

namespace arenascope {

class KeyArena {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr size_t kMinBudget = size_t{1} << 20;
  static constexpr int kClasses = 28;

  // Size classes: 16-byte steps up to 128, then four steps per doubling up
  // to 4096 (= kMaxKeptChars), so a key wastes at most a quarter of a block.
  static uint8_t classFor(size_t len);
  static size_t blockBytes(uint8_t cls);

  explicit KeyArena(size_t byteBudget);

  // A block of class cls: reused from its free list, else carved from the
  // reservation while within budget, else kNone (caller frees and retries).
  uint32_t allocate(uint8_t cls);
  // Only from the free lists of class cls.
  uint32_t allocateFree(uint8_t cls);
  void release(uint32_t ref, uint8_t cls);
  // Forgets every block (all keys must be dead); touched memory is reused.
  void reset();

  char* at(uint32_t ref) { return region_.data() + ref; }
  const char* at(uint32_t ref) const { return region_.data() + ref; }

  size_t bytesInUse() const { return inUse_; }
  size_t bytesTouched() const { return highWater_; }
  size_t budget() const { return budget_; }

 private:
  size_t budget_;
  LazyRegion region_;
  size_t carved_ = 0;
  size_t highWater_ = 0;
  std::vector<uint32_t> free_[kClasses];
  size_t inUse_ = 0;
};

}  // namespace arenascope
