#include "span_reader.h"

#include <algorithm>

#include "memory/address_ranges.h"

namespace arenascope {
namespace ptmalloc {

SpanReader::SpanReader(MemorySource* src, uint64_t budgetBytes)
    : src_(src), maxBlocks_(std::max<uint64_t>(4, budgetBytes / kBlockSize)) {}

void SpanReader::setSpans(std::vector<AddressRange> spans) {
  sortAndMergeRanges(&spans, Touching::kMerge);
  spans_ = std::move(spans);
  // Block keys include the span index, which just changed.
  forget();
}

int SpanReader::spanOf(uint64_t addr, uint64_t len) const {
  if (addr + len < addr) return -1;
  auto it = std::upper_bound(spans_.begin(), spans_.end(), addr,
                             [](uint64_t a, const AddressRange& r) { return a < r.start; });
  if (it == spans_.begin()) return -1;
  --it;
  if (addr >= it->start && addr + len <= it->end) return static_cast<int>(it - spans_.begin());
  return -1;
}

void SpanReader::fill(Block* b, uint64_t key, uint64_t base, uint64_t size, int span) {
  const AddressRange& r = spans_[static_cast<size_t>(span)];
  b->key = key;
  b->lo = std::max(base, r.start);
  b->hi = std::min(base + size, r.end);
  b->dataStart = b->lo;
  b->data.resize(b->hi - b->lo);
  b->holes.clear();
  src_->read(b->lo, b->data.data(), b->data.size(), &b->holes);
  bytesFetched_ += b->data.size();
  b->hasHoles = !b->holes.empty();
  b->lastUse = ++clock_;
}

SpanReader::Block* SpanReader::blockFor(uint64_t addr, int span) {
  uint64_t base = addr & ~(kBlockSize - 1);
  // Block bases have 20 zero low bits; the span index makes the key unique
  // when one block straddles two spans.
  uint64_t key = base | static_cast<uint64_t>(span);
  auto it = index_.find(key);
  if (it != index_.end()) {
    it->second->lastUse = ++clock_;
    return it->second;
  }
  uint64_t page = addr & ~(kPageSize - 1);
  // Forward by at most a block from the previous miss: a chunk walk (whose
  // chunks may be larger than a page), not a list jumping around.
  bool streaming = lastMissPage_ != UINT64_MAX && page > lastMissPage_ && page - lastMissPage_ <= kBlockSize;
  if (blocks_.size() >= maxBlocks_ && !streaming) return pageFor(addr, span);
  Block* b;
  if (blocks_.size() < maxBlocks_) {
    blocks_.push_back(std::make_unique<Block>());
    b = blocks_.back().get();
  } else {
    b = blocks_[0].get();
    for (auto& cand : blocks_) {
      if (cand->lastUse < b->lastUse) b = cand.get();
    }
    index_.erase(b->key);
    if (last_ == b) last_ = nullptr;
  }
  fill(b, key, base, kBlockSize, span);
  index_[key] = b;
  // The stream goes on at the page after this block.
  lastMissPage_ = b->hi > b->lo ? ((b->hi - 1) & ~(kPageSize - 1)) : page;
  return b;
}

SpanReader::Block* SpanReader::pageFor(uint64_t addr, int span) {
  uint64_t page = addr & ~(kPageSize - 1);
  lastMissPage_ = page;
  if (pages_.empty()) pages_.resize(kPageSlots);
  // Page bases have 12 zero low bits: room for the span index up to 4095;
  // beyond that the key still identifies the page, only the slot is shared.
  uint64_t key = page | (static_cast<uint64_t>(span) & (kPageSize - 1));
  Block* b = &pages_[(page / kPageSize) % kPageSlots];
  if (b->data.empty() || b->key != key || b->lo > addr || b->hi <= addr) {
    if (last_ == b) last_ = nullptr;
    fill(b, key, page, kPageSize, span);
    ++pageReads_;
  }
  return b;
}

bool SpanReader::readSlow(uint64_t addr, void* out, size_t len) {
  if (len == 0) return true;
  int span = spanOf(addr, len);
  if (span < 0) return false;
  uint8_t* dst = static_cast<uint8_t*>(out);
  while (len > 0) {
    Block* b = blockFor(addr, span);
    size_t take = static_cast<size_t>(std::min<uint64_t>(len, b->hi - addr));
    if (b->hasHoles) {
      for (const Hole& h : b->holes) {
        if (h.start < addr + take && h.end > addr) return false;
      }
    }
    memcpy(dst, b->data.data() + (addr - b->dataStart), take);
    last_ = b;
    dst += take;
    addr += take;
    len -= take;
  }
  return true;
}

}  // namespace ptmalloc
}  // namespace arenascope
