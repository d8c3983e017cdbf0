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
      scratch_(maxEntries_),
      keys_(maxKeyBytes) {}

size_t StringHistogram::probe(const char* text, size_t len, uint64_t hash, StringEncoding encoding, bool* found) const {
  const uint64_t tag = hash >> 32;
  size_t i = home(hash);
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
    if (!evictBatch()) {
      // Everything was evicted yet the free blocks are all too small: start
      // the slabs over. The budget is at least one slab, so this succeeds.
      keys_.reset();
      return keys_.allocate(*cls);
    }
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
    return;
  }
  const size_t liveBefore = liveEntries_;
  if (liveEntries_ >= maxEntries_) evictBatch();
  uint8_t cls = 0;
  uint32_t ref = allocateKey(len, &cls);
  if (ref == KeyArena::kNone) return;  // budget below one key: cannot happen with the enforced minimum
  // Any key outside the table occurred at most floor_ times so far.
  const uint64_t inherited = floor_;
  // An eviction rebuilt the slots: the empty slot found above is stale.
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
}

bool StringHistogram::evictBatch() {
  if (liveEntries_ == 0) return false;
  approximate_ = true;
  size_t n = 0;
  for (uint32_t i = 0; i < entryCount_; ++i) {
    if (entries_[i].count > 0) scratch_[n++] = entries_[i].count;
  }
  // The median count (the lower one of an even number): at least half the
  // entries are at or below it.
  const size_t mid = (n - 1) / 2;
  std::nth_element(&scratch_[0], &scratch_[mid], &scratch_[0] + n);
  floor_ = std::max(floor_, scratch_[mid]);
  for (uint32_t i = 0; i < entryCount_; ++i) {
    Entry& e = entries_[i];
    if (e.count == 0 || e.count > floor_) continue;
    keys_.release(e.keyRef, e.keyClass);
    e.keyRef = KeyArena::kNone;
    e.count = 0;
    freeEntries_.push_back(i);
    --liveEntries_;
  }
  // Rebuilt rather than erased slot by slot: one sequential pass.
  slots_.zero();
  for (uint32_t i = 0; i < entryCount_; ++i) {
    if (entries_[i].count > 0) insertSlot(i);
  }
  return true;
}

void StringHistogram::insertSlot(uint32_t idx) {
  const uint64_t hash = entries_[idx].hash;
  size_t i = home(hash);
  while (slots_[i] != 0) i = (i + 1) & slotMask_;
  slots_[i] = ((hash >> 32) << 32) | (static_cast<uint64_t>(idx) + 1);
}

uint64_t StringHistogram::distinct() const {
  if (!approximate_) return liveEntries_;
  return static_cast<uint64_t>(estimator_.estimate() + 0.5);
}

size_t StringHistogram::memoryBytes() const {
  // Upper bound: what the tables reserve (fixed by the caps) plus the key
  // memory touched so far.
  return slots_.reservedBytes() + entries_.reservedBytes() + scratch_.reservedBytes() +
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
