// LabelMap: what the free lists said about each chunk address, looked up by
// the chunk walk in O(1). One byte per 16-byte granule (chunks are 16-aligned),
// allocated in 4 KiB pages that each cover 64 KiB of heap, so memory follows
// where list members are, not how big the heaps are. Low 4 bits: the
// MemberLabel; bit 7: the walk met a chunk there.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>

namespace arenascope {
namespace ptmalloc {

class LabelMap {
 public:
  static constexpr unsigned kPageShift = 16;  // 64 KiB of heap per map page
  static constexpr uint8_t kLabelMask = 0x0f;
  static constexpr uint8_t kMatched = 0x80;

  // Records label at addr (16-aligned). False when addr already has one.
  bool set(uint64_t addr, uint8_t label) {
    uint8_t* b = slot(addr, true);
    if (*b & kLabelMask) return false;
    *b = label;
    return true;
  }
  // The map byte for addr, or nullptr when no label was ever set near it.
  uint8_t* find(uint64_t addr) { return slot(addr, false); }
  // The page holding addr's byte, for walkers that cache it (nullptr if absent).
  uint8_t* page(uint64_t pageIndex) {
    auto it = pages_.find(pageIndex);
    return it == pages_.end() ? nullptr : it->second.get();
  }
  static size_t offsetInPage(uint64_t addr) { return (addr & ((1ull << kPageShift) - 1)) >> 4; }
  void clearMatched() {
    for (auto& kv : pages_) {
      uint8_t* p = kv.second.get();
      for (size_t i = 0; i < kBytesPerPage; ++i) p[i] &= kLabelMask;
    }
  }

 private:
  static constexpr size_t kBytesPerPage = (1u << kPageShift) >> 4;
  uint8_t* slot(uint64_t addr, bool create) {
    uint64_t pg = addr >> kPageShift;
    if (pg != lastIndex_ || !lastPage_) {
      auto it = pages_.find(pg);
      if (it == pages_.end()) {
        if (!create) return nullptr;
        auto mem = std::make_unique<uint8_t[]>(kBytesPerPage);
        memset(mem.get(), 0, kBytesPerPage);
        it = pages_.emplace(pg, std::move(mem)).first;
      }
      lastIndex_ = pg;
      lastPage_ = it->second.get();
    }
    return lastPage_ + offsetInPage(addr);
  }

  std::unordered_map<uint64_t, std::unique_ptr<uint8_t[]>> pages_;
  uint64_t lastIndex_ = UINT64_MAX;
  uint8_t* lastPage_ = nullptr;
};

}  // namespace ptmalloc
}  // namespace arenascope
