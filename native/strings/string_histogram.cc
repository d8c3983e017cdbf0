#include "string_histogram.h"

#include <algorithm>
#include <cstring>

namespace arenascope {

namespace {
size_t slotsFor(size_t maxEntries) {
  size_t n = 16;
  while (n < 2 * maxEntries) n <<= 1;
  return n;
}
}  // namespace

StringHistogram::StringHistogram(size_t maxEntries, size_t maxKeyBytes)
    : maxEntries_(std::max<size_t>(maxEntries, 1)),
      slots_(slotsFor(maxEntries_)),
      slotMask_(slots_.capacity() - 1),
      entries_(maxEntries_),
      heap_(maxEntries_),
      keys_(maxKeyBytes) {}

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
      if (e.hash == hash && e.encoding == encoding && e.keyLen == len && memcmp(keys_.at(e.keyRef), text, len) == 0) {
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
  entries_[entryCount_] = Entry();
  return static_cast<uint32_t>(entryCount_++);
}

uint32_t StringHistogram::allocateKey(size_t len, uint8_t* cls) {
  *cls = KeyArena::classFor(len);
  for (;;) {
    uint32_t ref = keys_.allocate(*cls);
    if (ref != KeyArena::kNone) return ref;
    // A freed block of a larger class also fits; its class travels with it.
    for (uint8_t c = static_cast<uint8_t>(*cls + 1); c < KeyArena::kClasses; ++c) {
      ref = keys_.allocateFree(c);
      if (ref != KeyArena::kNone) {
        *cls = c;
        return ref;
      }
    }
    if (!approximate_) enterApproximate();
    if (heapSize_ == 0) {
      // Everything was evicted yet the free blocks are all too small: start
      // the slabs over. The budget is at least one slab, so this succeeds.
      keys_.reset();
      return keys_.allocate(*cls);
    }
    evictMin();
  }
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
  const size_t liveBefore = liveEntries_;
  if (liveEntries_ >= maxEntries_) {
    if (!approximate_) enterApproximate();
    while (heapSize_ > 0 && liveEntries_ >= maxEntries_) evictMin();
  }
  uint8_t cls = 0;
  uint32_t ref = allocateKey(len, &cls);
  if (ref == KeyArena::kNone) return;  // budget below one key: cannot happen with the enforced minimum
  // Any key outside the table occurred at most floor_ times so far.
  const uint64_t inherited = approximate_ ? floor_ : 0;
  // Deletion shifts slots back: the empty slot found above may be stale.
  if (liveEntries_ != liveBefore) slot = probe(text, len, hash, encoding, &found);

  uint32_t idx = newEntry();
  Entry& e = entries_[idx];
  memcpy(keys_.at(ref), text, len);
  e.keyRef = ref;
  e.keyLen = static_cast<uint16_t>(len);
  e.keyClass = cls;
  e.hash = hash;
  e.count = inherited + 1;
  e.error = inherited;
  e.bytes = bytes * (inherited + 1);
  e.encoding = encoding;
  e.truncated = truncated;
  slots_[slot] = ((hash >> 32) << 32) | (static_cast<uint64_t>(idx) + 1);
  ++liveEntries_;
  if (approximate_) heapPush(idx);
}

void StringHistogram::heapPush(uint32_t idx) {
  entries_[idx].heapPos = static_cast<uint32_t>(heapSize_);
  heap_[heapSize_++] = idx;
  siftUp(heapSize_ - 1);
}

void StringHistogram::enterApproximate() {
  approximate_ = true;
  heapSize_ = 0;
  for (uint32_t i = 0; i < entryCount_; ++i) {
    if (entries_[i].count == 0) continue;
    entries_[i].heapPos = static_cast<uint32_t>(heapSize_);
    heap_[heapSize_++] = i;
  }
  for (size_t i = heapSize_ / 2; i-- > 0;) siftDown(i);
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
  keys_.release(e.keyRef, e.keyClass);
  e.keyRef = KeyArena::kNone;
  e.count = 0;
  freeEntries_.push_back(idx);
  --liveEntries_;
  heap_[0] = heap_[--heapSize_];
  entries_[heap_[0]].heapPos = 0;
  if (heapSize_ > 0) siftDown(0);
}

void StringHistogram::heapSwap(size_t a, size_t b) {
  uint32_t t = heap_[a];
  heap_[a] = heap_[b];
  heap_[b] = t;
  entries_[heap_[a]].heapPos = static_cast<uint32_t>(a);
  entries_[heap_[b]].heapPos = static_cast<uint32_t>(b);
}

void StringHistogram::siftDown(size_t pos) {
  const size_t n = heapSize_;
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
  // Upper bound: what the tables reserve (fixed by the caps) plus the key
  // memory touched so far.
  return slots_.reservedBytes() + entries_.reservedBytes() + heap_.reservedBytes() +
         freeEntries_.capacity() * sizeof(uint32_t) + keys_.bytesTouched() + DistinctEstimator::kRegisters;
}

std::vector<StringHistogram::TopEntry> StringHistogram::top(size_t k) const {
  std::vector<uint32_t> order;
  order.reserve(liveEntries_);
  for (uint32_t i = 0; i < entryCount_; ++i) {
    if (entries_[i].count > 0) order.push_back(i);
  }
  k = std::min(k, order.size());
  auto before = [this](uint32_t a, uint32_t b) {
    const Entry& x = entries_[a];
    const Entry& y = entries_[b];
    if (x.count != y.count) return x.count > y.count;
    if (x.bytes != y.bytes) return x.bytes > y.bytes;
    int c = memcmp(keys_.at(x.keyRef), keys_.at(y.keyRef), std::min(x.keyLen, y.keyLen));
    if (c != 0) return c < 0;
    if (x.keyLen != y.keyLen) return x.keyLen < y.keyLen;
    return x.encoding < y.encoding;
  };
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), before);
  std::vector<TopEntry> out;
  out.reserve(k);
  for (size_t i = 0; i < k; ++i) {
    const Entry& e = entries_[order[i]];
    out.push_back({std::string(keys_.at(e.keyRef), e.keyLen), e.encoding, e.count, e.error, e.bytes, e.truncated});
  }
  return out;
}

}  // namespace arenascope
