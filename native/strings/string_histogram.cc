#include "string_histogram.h"

#include <algorithm>
#include <cstring>

namespace arenascope {

StringHistogram::StringHistogram(size_t maxEntries, size_t maxKeyBytes)
    : maxEntries_(std::max<size_t>(maxEntries, 1)), maxKeyBytes_(std::max<size_t>(maxKeyBytes, kMaxKeptChars)) {
  size_t slots = 16;
  while (slots < 2 * maxEntries_) slots <<= 1;
  slots_.assign(slots, 0);
  slotMask_ = slots - 1;
  entries_.reserve(std::min<size_t>(maxEntries_, 4096));
}

size_t StringHistogram::probe(const char* text, size_t len, uint64_t hash, StringEncoding encoding, bool* found) const {
  const uint64_t tag = hash >> 32;
  size_t i = static_cast<size_t>(hash) & slotMask_;
  for (;;) {
    uint64_t s = slots_[i];
    if (s == 0) {
      *found = false;
      return i;
    }
    if ((s >> 32) == tag) {
      const Entry& e = entries_[static_cast<uint32_t>(s) - 1];
      if (e.hash == hash && e.encoding == encoding && e.key.size() == len && memcmp(e.key.data(), text, len) == 0) {
        *found = true;
        return i;
      }
    }
    i = (i + 1) & slotMask_;
  }
}

uint32_t StringHistogram::newEntry() {
  if (!freeEntries_.empty()) {
    uint32_t idx = freeEntries_.back();
    freeEntries_.pop_back();
    return idx;
  }
  entries_.emplace_back();
  return static_cast<uint32_t>(entries_.size() - 1);
}

void StringHistogram::add(const char* text, size_t len, uint64_t hash, StringEncoding encoding, uint64_t bytes,
                          bool truncated) {
  estimator_.add(hash);
  bool found = false;
  size_t slot = probe(text, len, hash, encoding, &found);
  if (found) {
    Entry& e = entries_[static_cast<uint32_t>(slots_[slot]) - 1];
    ++e.count;
    e.bytes += bytes;
    e.truncated = e.truncated || truncated;
    if (approximate_) siftDown(e.heapPos);
    return;
  }
  uint64_t inherited = 0;
  if (approximate_ || liveEntries_ >= maxEntries_ || keyBytes_ + len > maxKeyBytes_) {
    if (!approximate_) enterApproximate();
    bool evicted = false;
    while (!heap_.empty() && (liveEntries_ >= maxEntries_ || keyBytes_ + len > maxKeyBytes_)) {
      evictMin();
      evicted = true;
    }
    // Deletion shifts slots back, so the empty slot found above may be stale.
    if (evicted) slot = probe(text, len, hash, encoding, &found);
    // Any key outside the table occurred at most floor_ times so far.
    inherited = floor_;
  }
  uint32_t idx = newEntry();
  Entry& e = entries_[idx];
  e.key.assign(text, len);
  e.hash = hash;
  e.count = inherited + 1;
  e.error = inherited;
  e.bytes = bytes * (inherited + 1);
  e.encoding = encoding;
  e.truncated = truncated;
  slots_[slot] = ((hash >> 32) << 32) | (static_cast<uint64_t>(idx) + 1);
  ++liveEntries_;
  keyBytes_ += len;
  if (approximate_) {
    e.heapPos = static_cast<uint32_t>(heap_.size());
    heap_.push_back(idx);
    siftUp(heap_.size() - 1);
  }
}

void StringHistogram::enterApproximate() {
  approximate_ = true;
  heap_.clear();
  heap_.reserve(maxEntries_);
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].count == 0) continue;
    entries_[i].heapPos = static_cast<uint32_t>(heap_.size());
    heap_.push_back(i);
  }
  for (size_t i = heap_.size() / 2; i-- > 0;) siftDown(i);
}

void StringHistogram::eraseSlotOf(uint32_t index) {
  const uint64_t want = static_cast<uint64_t>(index) + 1;
  size_t i = static_cast<size_t>(entries_[index].hash) & slotMask_;
  while (static_cast<uint32_t>(slots_[i]) != want) i = (i + 1) & slotMask_;
  // Backward-shift deletion: pull later members of the probe run into the
  // gap when their home slot allows it, so lookups never need tombstones.
  size_t j = i;
  for (;;) {
    j = (j + 1) & slotMask_;
    uint64_t s = slots_[j];
    if (s == 0) break;
    size_t home = static_cast<size_t>(entries_[static_cast<uint32_t>(s) - 1].hash) & slotMask_;
    if (((j - home) & slotMask_) >= ((j - i) & slotMask_)) {
      slots_[i] = s;
      i = j;
    }
  }
  slots_[i] = 0;
}

void StringHistogram::evictMin() {
  uint32_t idx = heap_[0];
  Entry& e = entries_[idx];
  floor_ = std::max(floor_, e.count);
  eraseSlotOf(idx);
  keyBytes_ -= e.key.size();
  std::string().swap(e.key);
  e.count = 0;
  freeEntries_.push_back(idx);
  --liveEntries_;
  heap_[0] = heap_.back();
  entries_[heap_[0]].heapPos = 0;
  heap_.pop_back();
  if (!heap_.empty()) siftDown(0);
}

void StringHistogram::heapSwap(size_t a, size_t b) {
  std::swap(heap_[a], heap_[b]);
  entries_[heap_[a]].heapPos = static_cast<uint32_t>(a);
  entries_[heap_[b]].heapPos = static_cast<uint32_t>(b);
}

void StringHistogram::siftDown(size_t pos) {
  const size_t n = heap_.size();
  for (;;) {
    size_t l = 2 * pos + 1;
    if (l >= n) return;
    size_t smallest = pos;
    if (heapLess(l, smallest)) smallest = l;
    if (l + 1 < n && heapLess(l + 1, smallest)) smallest = l + 1;
    if (smallest == pos) return;
    heapSwap(pos, smallest);
    pos = smallest;
  }
}

void StringHistogram::siftUp(size_t pos) {
  while (pos > 0) {
    size_t parent = (pos - 1) / 2;
    if (!heapLess(pos, parent)) return;
    heapSwap(pos, parent);
    pos = parent;
  }
}

uint64_t StringHistogram::distinct() const {
  if (!approximate_) return liveEntries_;
  return static_cast<uint64_t>(estimator_.estimate() + 0.5);
}

size_t StringHistogram::memoryBytes() const {
  return slots_.capacity() * sizeof(uint64_t) + entries_.capacity() * sizeof(Entry) +
         heap_.capacity() * sizeof(uint32_t) + freeEntries_.capacity() * sizeof(uint32_t) + keyBytes_ +
         DistinctEstimator::kRegisters;
}

std::vector<StringHistogram::TopEntry> StringHistogram::top(size_t k) const {
  std::vector<uint32_t> order;
  order.reserve(liveEntries_);
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].count > 0) order.push_back(i);
  }
  k = std::min(k, order.size());
  auto before = [this](uint32_t a, uint32_t b) {
    const Entry& x = entries_[a];
    const Entry& y = entries_[b];
    if (x.count != y.count) return x.count > y.count;
    if (x.bytes != y.bytes) return x.bytes > y.bytes;
    int c = x.key.compare(y.key);
    if (c != 0) return c < 0;
    return x.encoding < y.encoding;
  };
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), before);
  std::vector<TopEntry> out;
  out.reserve(k);
  for (size_t i = 0; i < k; ++i) {
    const Entry& e = entries_[order[i]];
    out.push_back({e.key, e.encoding, e.count, e.error, e.bytes, e.truncated});
  }
  return out;
}

}  // namespace arenascope
