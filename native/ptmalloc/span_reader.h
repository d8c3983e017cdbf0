// SpanReader: the walker's view of arena memory. Reads are confined to known
// spans (arena heaps, main-arena segments), fetched lazily in 1 MiB blocks
// with one source read each, and kept up to a memory budget, so a heap is
// normally fetched exactly once however the bin lists jump around in it, and
// no read ever strays into unmapped address space between heaps.
//
// Once the budget is used up, a miss is served by a 1 MiB block (evicting the
// least recently used one) only when it continues a stream (a page at most a
// block past the previous miss: the chunk walk). An isolated miss (a free list
// jumping to a random place in a heap larger than the budget) reads just its
// 4 KiB page into a small direct-mapped page cache: evicting and refetching a
// 1 MiB block per list node made such walks take many minutes.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

#include "memory/memory_source.h"

namespace arenascope {
namespace ptmalloc {

struct AddressRange {
  uint64_t start;
  uint64_t end;
};

class SpanReader {
 public:
  static constexpr uint64_t kBlockSize = 1ull << 20;
  static constexpr uint64_t kPageSize = 4096;
  // Page cache for isolated misses: 1024 pages, 4 MiB.
  static constexpr size_t kPageSlots = 1024;

  SpanReader(MemorySource* src, uint64_t budgetBytes);

  // Replaces the readable spans (need not be sorted; overlaps are merged).
  // Drops every cached block.
  void setSpans(std::vector<AddressRange> spans);
  // Drops every cached block and page: a live target's memory moves, and a
  // second look (a confirming walk) must read it again, not the first look.
  void forget() {
    blocks_.clear();
    index_.clear();
    pages_.clear();
    last_ = nullptr;
    lastMissPage_ = UINT64_MAX;
  }
  const std::vector<AddressRange>& spans() const { return spans_; }

  // Index of the span holding [addr, addr+len), or -1.
  int spanOf(uint64_t addr, uint64_t len) const;

  // Copies [addr, addr+len) into out when it lies inside one span and was
  // readable. Throws SourceError only for fatal source errors.
  inline bool read(uint64_t addr, void* out, size_t len) {
    const Block* b = last_;
    if (b && addr >= b->lo && addr + len <= b->hi && addr + len > addr && !b->hasHoles) {
      memcpy(out, b->data.data() + (addr - b->dataStart), len);
      return true;
    }
    return readSlow(addr, out, len);
  }
  inline bool readU64(uint64_t addr, uint64_t* v) { return read(addr, v, 8); }

  uint64_t bytesFetched() const { return bytesFetched_; }
  // Bytes held by cached blocks and pages now.
  uint64_t memoryBytes() const {
    uint64_t n = 0;
    for (const auto& b : blocks_) n += b->data.capacity();
    for (const auto& p : pages_) n += p.data.capacity();
    return n;
  }
  uint64_t pageReads() const { return pageReads_; }

 private:
  struct Block {
    uint64_t key = 0;
    uint64_t dataStart = 0;  // address of data[0]
    uint64_t lo = 0, hi = 0;  // readable bytes of this block inside its span
    bool hasHoles = false;
    std::vector<Hole> holes;
    std::vector<uint8_t> data;
    uint64_t lastUse = 0;
  };
  bool readSlow(uint64_t addr, void* out, size_t len);
  Block* blockFor(uint64_t addr, int span);
  Block* pageFor(uint64_t addr, int span);
  void fill(Block* b, uint64_t key, uint64_t base, uint64_t size, int span);

  MemorySource* src_;
  uint64_t maxBlocks_;
  std::vector<AddressRange> spans_;
  std::vector<std::unique_ptr<Block>> blocks_;
  std::unordered_map<uint64_t, Block*> index_;
  Block* last_ = nullptr;
  uint64_t clock_ = 0;
  uint64_t bytesFetched_ = 0;
  // Page of the previous miss (stream detection), and the page cache.
  uint64_t lastMissPage_ = UINT64_MAX;
  std::vector<Block> pages_;
  uint64_t pageReads_ = 0;
};

// Forwards to another source and counts the bytes requested from it.
class CountingSource : public MemorySource {
 public:
  explicit CountingSource(MemorySource* inner) : inner_(inner) {}
  size_t read(uint64_t addr, uint8_t* buf, size_t len, std::vector<Hole>* holes) override {
    bytes_ += len;
    return inner_->read(addr, buf, len, holes);
  }
  void readScatter(ScatterRead* items, size_t n) override {
    for (size_t i = 0; i < n; ++i) bytes_ += items[i].len;
    inner_->readScatter(items, n);
  }
  bool pageStates(uint64_t start, uint64_t end, std::vector<uint8_t>* states) override {
    return inner_->pageStates(start, end, states);
  }
  ReadCounters counters() const override { return inner_->counters(); }
  std::string describe() const override { return inner_->describe(); }
  uint64_t bytes() const { return bytes_; }

 private:
  MemorySource* inner_;
  uint64_t bytes_ = 0;
};

}  // namespace ptmalloc
}  // namespace arenascope
