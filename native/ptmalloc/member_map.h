// MemberMap: which chunk addresses the explicitly walked free lists named,
// and on which kind of list, looked up by the chunk walk in O(1).
//
// Only lists whose members the chunk walk cannot recognise on its own are
// walked node by node: fastbin and tcache chunks look in use (their next
// chunk keeps PREV_INUSE), and an unsorted chunk looks like a binned one
// (walkUnsorted lists whichever of the two sides is shorter).
//
// Two bits per 16-byte granule (chunks are 16-aligned), in pages of 256 bytes
// (16 KiB of heap) allocated only where members are, found through a table
// per 64 MiB region: dense members cost 1/64 of the heap they cover, a lone
// member one page. The chunk walk takes each member as it meets it and a page
// is freed when its last member is taken, so the map shrinks behind the walk.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

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
  static constexpr unsigned kPageShift = 14;    // 16 KiB of heap per page
  static constexpr unsigned kRegionShift = 26;  // 64 MiB of heap per region
  static constexpr size_t kWordsPerPage = ((1u << kPageShift) >> 4) * 2 / 64;  // 32
  static constexpr size_t kPagesPerRegion = size_t{1} << (kRegionShift - kPageShift);  // 4096

  // Records label at addr (16-aligned). False when addr already has one
  // (the chunk is on two lists).
  bool set(uint64_t addr, uint8_t label) {
    Page* p = page(addr, true);
    uint64_t& w = p->words[wordIndex(addr)];
    const unsigned shift = bitShift(addr);
    if ((w >> shift) & 3) return false;
    w |= static_cast<uint64_t>(label & 3) << shift;
    ++p->members;
    ++count_;
    return true;
  }
  uint8_t get(uint64_t addr) {
    Page* p = page(addr, false);
    return p ? static_cast<uint8_t>((p->words[wordIndex(addr)] >> bitShift(addr)) & 3) : 0;
  }
  // Clears addr's label (the chunk walk met it), returning what it was.
  uint8_t take(uint64_t addr) {
    Page* p = page(addr, false);
    if (!p) return 0;
    uint64_t& w = p->words[wordIndex(addr)];
    const unsigned shift = bitShift(addr);
    const uint8_t label = static_cast<uint8_t>((w >> shift) & 3);
    if (label) {
      w &= ~(3ull << shift);
      --count_;
      if (--p->members == 0) dropPage(addr);
    }
    return label;
  }
  // Members set and not yet taken.
  uint64_t count() const { return count_; }
  // Calls fn(addr, label) for every member left in [start, end), in address
  // order. fn must not change the map.
  template <class Fn>
  void forEachIn(uint64_t start, uint64_t end, Fn fn) const {
    if (end <= start) return;
    for (uint64_t r : regionsIn(start, end)) {
      auto it = regions_.find(r);
      if (it == regions_.end()) continue;
      for (size_t pi = 0; pi < kPagesPerRegion; ++pi) {
        const Page* p = it->second->pages[pi].get();
        if (!p) continue;
        const uint64_t base = (r << kRegionShift) + (static_cast<uint64_t>(pi) << kPageShift);
        if (base >= end || base + (1ull << kPageShift) <= start) continue;
        for (size_t i = 0; i < kWordsPerPage; ++i) {
          uint64_t v = p->words[i];
          while (v) {
            const unsigned bit = static_cast<unsigned>(__builtin_ctzll(v)) & ~1u;
            const uint64_t addr = base + ((i * 32 + bit / 2) << 4);
            if (addr >= start && addr < end) fn(addr, static_cast<uint8_t>((v >> bit) & 3));
            v &= ~(3ull << bit);
          }
        }
      }
    }
  }
  // Drops every member in [start, end): pages inside the range are freed
  // whole, partly covered ones cleared granule by granule.
  void clearRange(uint64_t start, uint64_t end) {
    if (end <= start || regions_.empty()) return;
    for (uint64_t r : regionsIn(start, end)) {
      auto it = regions_.find(r);
      if (it == regions_.end()) continue;
      for (size_t pi = 0; pi < kPagesPerRegion; ++pi) {
        if (!it->second->pages[pi]) continue;
        const uint64_t base = (r << kRegionShift) + (static_cast<uint64_t>(pi) << kPageShift);
        const uint64_t limit = base + (1ull << kPageShift);
        if (limit <= start || base >= end) continue;
        if (base >= start && limit <= end) {
          count_ -= it->second->pages[pi]->members;
          dropPage(base);
          if (regions_.find(r) == regions_.end()) break;  // the region went with its last page
          continue;
        }
        for (uint64_t a = std::max<uint64_t>(base, start & ~15ull); a < std::min<uint64_t>(limit, end); a += 16) {
          take(a);
          if (regions_.find(r) == regions_.end() || !it->second->pages[pi]) break;
        }
        if (regions_.find(r) == regions_.end()) break;
      }
    }
  }
  void clear() {
    regions_.clear();
    lastRegionIndex_ = UINT64_MAX;
    lastRegion_ = nullptr;
    count_ = 0;
    bytes_ = 0;
  }
  // Bytes held by the map (pages and region tables).
  size_t memoryBytes() const { return bytes_; }

 private:
  struct Page {
    uint64_t words[kWordsPerPage];
    uint32_t members;
  };
  struct Region {
    std::unique_ptr<Page> pages[kPagesPerRegion];
    size_t live = 0;
  };

  // Indexes of the regions holding members in [start, end), ascending: the
  // range's own indexes when there are fewer of them than regions in the map,
  // else the map's (a hostile span may cover 2^20 regions of which few or
  // none hold a member; each walk asks for every span).
  std::vector<uint64_t> regionsIn(uint64_t start, uint64_t end) const {
    std::vector<uint64_t> out;
    const uint64_t first = start >> kRegionShift, last = (end - 1) >> kRegionShift;
    if (last - first < regions_.size()) {
      for (uint64_t r = first; r <= last; ++r) {
        if (regions_.count(r)) out.push_back(r);
      }
      return out;
    }
    for (const auto& kv : regions_) {
      if (kv.first >= first && kv.first <= last) out.push_back(kv.first);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  static size_t wordIndex(uint64_t addr) { return ((addr & ((1ull << kPageShift) - 1)) >> 4) / 32; }
  static unsigned bitShift(uint64_t addr) { return static_cast<unsigned>(((addr >> 4) & 31) * 2); }
  static size_t pageIndex(uint64_t addr) { return (addr >> kPageShift) & (kPagesPerRegion - 1); }

  Region* region(uint64_t addr, bool create) {
    const uint64_t r = addr >> kRegionShift;
    if (r == lastRegionIndex_ && lastRegion_) return lastRegion_;
    auto it = regions_.find(r);
    if (it == regions_.end()) {
      if (!create) return nullptr;
      it = regions_.emplace(r, std::make_unique<Region>()).first;
      bytes_ += sizeof(Region);
    }
    lastRegionIndex_ = r;
    lastRegion_ = it->second.get();
    return lastRegion_;
  }
  Page* page(uint64_t addr, bool create) {
    Region* reg = region(addr, create);
    if (!reg) return nullptr;
    std::unique_ptr<Page>& p = reg->pages[pageIndex(addr)];
    if (!p && create) {
      p = std::make_unique<Page>();
      memset(p.get(), 0, sizeof(Page));
      ++reg->live;
      bytes_ += sizeof(Page);
    }
    return p.get();
  }
  void dropPage(uint64_t addr) {
    auto it = regions_.find(addr >> kRegionShift);
    if (it == regions_.end()) return;
    std::unique_ptr<Page>& p = it->second->pages[pageIndex(addr)];
    if (!p) return;
    p.reset();
    bytes_ -= sizeof(Page);
    if (--it->second->live == 0) {
      if (lastRegion_ == it->second.get()) {
        lastRegion_ = nullptr;
        lastRegionIndex_ = UINT64_MAX;
      }
      regions_.erase(it);
      bytes_ -= sizeof(Region);
    }
  }

  std::unordered_map<uint64_t, std::unique_ptr<Region>> regions_;
  uint64_t lastRegionIndex_ = UINT64_MAX;
  Region* lastRegion_ = nullptr;
  uint64_t count_ = 0;
  size_t bytes_ = 0;
};

}  // namespace ptmalloc
}  // namespace arenascope
