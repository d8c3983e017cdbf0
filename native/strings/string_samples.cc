#include "string_samples.h"

#include <algorithm>

namespace arenascope {

StringSampler::StringSampler(size_t capacity, uint64_t seed) : capacity_(capacity), state_(seed | 1) {
  samples_.reserve(std::min<size_t>(capacity, 1024));
}

uint64_t StringSampler::next() {
  // xorshift64 (Marsaglia 2003, shifts 13/7/17): plenty for choosing slots.
  state_ ^= state_ << 13;
  state_ ^= state_ >> 7;
  state_ ^= state_ << 17;
  return state_;
}

void StringSampler::offer(uint64_t address, const char* text, size_t len, uint64_t length, StringEncoding encoding,
                          const ChunkRef* chunk) {
  ++seen_;
  if (capacity_ == 0) return;
  size_t slot;
  if (samples_.size() < capacity_) {
    samples_.emplace_back();
    slot = samples_.size() - 1;
  } else {
    uint64_t r = next() % seen_;
    if (r >= capacity_) return;
    slot = static_cast<size_t>(r);
  }
  StringSample& s = samples_[slot];
  s.address = address;
  s.text.assign(text, len);
  s.length = length;
  s.encoding = encoding;
  s.hasChunk = chunk != nullptr;
  s.chunk = chunk ? *chunk : ChunkRef{};
}

std::vector<StringSample> StringSampler::sortedByAddress() const {
  std::vector<StringSample> out = samples_;
  std::sort(out.begin(), out.end(), [](const StringSample& a, const StringSample& b) {
    if (a.address != b.address) return a.address < b.address;
    return a.encoding < b.encoding;
  });
  return out;
}

}  // namespace arenascope
