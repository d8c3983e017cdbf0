#include "key_arena.h"

#include <algorithm>

namespace arenascope {

size_t KeyArena::blockBytes(uint8_t cls) {
  if (cls < 8) return size_t{16} * (cls + 1);  // 16 .. 128
  // From 128: classes 8,9,10,11 = 160,192,224,256; then 320,384,448,512; ...
  size_t k = cls - 8;
  size_t base = size_t{128} << (k / 4);
  return base + (base / 4) * (k % 4 + 1);
}

namespace {
struct ClassTable {
  uint8_t byLength[4097];
  ClassTable() {
    uint8_t cls = 0;
    for (size_t len = 0; len <= 4096; ++len) {
      while (KeyArena::blockBytes(cls) < len && cls + 1 < KeyArena::kClasses) ++cls;
      byLength[len] = cls;
    }
  }
};
const ClassTable kClassTable;
}  // namespace

uint8_t KeyArena::classFor(size_t len) { return kClassTable.byLength[std::min<size_t>(len, 4096)]; }

KeyArena::KeyArena(size_t byteBudget)
    // Refs are 32-bit offsets.
    : budget_(std::min<size_t>(std::max(byteBudget, kMinBudget), size_t{1} << 31)), region_(budget_) {}

uint32_t KeyArena::allocateFree(uint8_t cls) {
  if (free_[cls].empty()) return kNone;
  uint32_t ref = free_[cls].back();
  free_[cls].pop_back();
  inUse_ += blockBytes(cls);
  return ref;
}

uint32_t KeyArena::allocate(uint8_t cls) {
  uint32_t ref = allocateFree(cls);
  if (ref != kNone) return ref;
  const size_t bytes = blockBytes(cls);
  if (carved_ + bytes > budget_) return kNone;
  ref = static_cast<uint32_t>(carved_);
  carved_ += bytes;
  highWater_ = std::max(highWater_, carved_);
  inUse_ += bytes;
  return ref;
}

void KeyArena::reset() {
  for (auto& f : free_) f.clear();
  carved_ = 0;
  inUse_ = 0;
}

void KeyArena::release(uint32_t ref, uint8_t cls) {
  free_[cls].push_back(ref);
  inUse_ -= blockBytes(cls);
}

}  // namespace arenascope
