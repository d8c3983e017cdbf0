// MemberMap: which chunk addresses the explicitly walked free lists named,
// and on which kind of list, looked up by the chunk walk in O(1).
//
// Only lists whose members the chunk walk cannot recognise on its own are
// walked node by node: fastbin and tcache chunks look in use (their next
// chunk keeps PREV_INUSE), and an unsorted chunk looks like any binned one.
// Small and large bins are checked without walking them (see bin_hash.h).
//
// Two bits per 16-byte granule (chunks are 16-aligned), in pages allocated
// only where members are: 4 KiB of bits per 256 KiB of heap. Memory follows
// the members, at most 1/128 of the heaps.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>

namespace arenascope {
namespace ptmalloc {

enum MemberLabel : uint8_t {
  kLabelNone = 0,
  kLabelFast = 1,
  kLabelTcache = 2,
  kLabelUnsorted = 3,
};

class MemberMap {
 public:
  static constexpr unsigned kPageShift = 18;  // 256 KiB of heap per map page
  static constexpr size_t kWordsPerPage = ((1u << kPageShift) >> 4) * 2 / 64;

  // Records label at addr (16-aligned). False when addr already has one
  // (the chunk is on two lists).
  bool set(uint64_t addr, uint8_t label) {
    uint64_t* w = word(addr, true);
    const unsigned shift = bitShift(addr);
    if ((*w >> shift) & 3) return false;
    *w |= static_cast<uint64_t>(label & 3) << shift;
    ++count_;
    return true;
  }
  uint8_t get(uint64_t addr) {
    uint64_t* w = word(addr, false);
    return w ? static_cast<uint8_t>((*w >> bitShift(addr)) & 3) : 0;
  }
  // Clears addr's label (the chunk walk met it), returning what it was.
  uint8_t take(uint64_t addr) {
    uint64_t* w = word(addr, false);
    if (!w) return 0;
    const unsigned shift = bitShift(addr);
    uint8_t label = static_cast<uint8_t>((*w >> shift) & 3);
    if (label) {
      *w &= ~(3ull << shift);
      --count_;
    }
    return label;
  }
  // Members set and not yet taken.
  uint64_t count() const { return count_; }
  // Calls fn(addr, label) for every member left, in no particular order.
  template <class Fn>
  void forEach(Fn fn) const {
    for (const auto& kv : pages_) {
      const uint64_t base = kv.first << kPageShift;
      for (size_t i = 0; i < kWordsPerPage; ++i) {
        uint64_t v = kv.second[i];
        while (v) {
          const unsigned bit = static_cast<unsigned>(__builtin_ctzll(v)) & ~1u;
          fn(base + ((i * 32 + bit / 2) << 4), static_cast<uint8_t>((v >> bit) & 3));
          v &= ~(3ull << bit);
        }
      }
    }
  }
  // Calls fn(addr, label) for every member left in [start, end), in address order.
  template <class Fn>
  void forEachIn(uint64_t start, uint64_t end, Fn fn) const {
    if (end <= start) return;
    for (uint64_t pg = start >> kPageShift; pg <= (end - 1) >> kPageShift; ++pg) {
      auto it = pages_.find(pg);
      if (it == pages_.end()) continue;
      const uint64_t base = pg << kPageShift;
      for (size_t i = 0; i < kWordsPerPage; ++i) {
        uint64_t v = it->second[i];
        while (v) {
          const unsigned bit = static_cast<unsigned>(__builtin_ctzll(v)) & ~1u;
          const uint64_t addr = base + ((i * 32 + bit / 2) << 4);
          if (addr >= start && addr < end) fn(addr, static_cast<uint8_t>((v >> bit) & 3));
          v &= ~(3ull << bit);
        }
      }
    }
  }
  // Drops every member in [start, end).
  void clearRange(uint64_t start, uint64_t end) {
    for (uint64_t a = start & ~15ull; a < end; a += 16) {
      if (!word(a, false)) {
        a = ((a >> kPageShift) + 1) << kPageShift;
        a -= 16;
        continue;
      }
      take(a);
    }
  }
  void clear() {
    pages_.clear();
    lastIndex_ = UINT64_MAX;
    lastPage_ = nullptr;
    count_ = 0;
  }
  size_t memoryBytes() const { return pages_.size() * kWordsPerPage * 8; }

 private:
  static unsigned bitShift(uint64_t addr) { return static_cast<unsigned>(((addr >> 4) & 31) * 2); }
  uint64_t* word(uint64_t addr, bool create) {
    const uint64_t pg = addr >> kPageShift;
    if (pg != lastIndex_ || !lastPage_) {
      auto it = pages_.find(pg);
      if (it == pages_.end()) {
        if (!create) return nullptr;
        auto mem = std::make_unique<uint64_t[]>(kWordsPerPage);
        memset(mem.get(), 0, kWordsPerPage * 8);
        it = pages_.emplace(pg, std::move(mem)).first;
      }
      lastIndex_ = pg;
      lastPage_ = it->second.get();
    }
    return lastPage_ + ((addr & ((1ull << kPageShift) - 1)) >> 4) / 32;
  }

  std::unordered_map<uint64_t, std::unique_ptr<uint64_t[]>> pages_;
  uint64_t lastIndex_ = UINT64_MAX;
  uint64_t* lastPage_ = nullptr;
  uint64_t count_ = 0;
};

}  // namespace ptmalloc
}  // namespace arenascope
