// A fast 64-bit hash for short keys (histogram slots, grep verdicts,
// distinct-count estimate). Multiply-xorshift over 8-byte words; not
// cryptographic, and nothing here needs it to be.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace arenascope {

// 2^64 / golden ratio, the usual Fibonacci-hashing multiplier, and a second
// arbitrary odd multiplier; any odd constants with mixed bits would do.
constexpr uint64_t kHashMulA = 0x9e3779b97f4a7c15ull;
constexpr uint64_t kHashMulB = 0x8f3a5c67e1b94d2bull;

inline uint64_t hashFinish(uint64_t h) {
  h ^= h >> 32;
  h *= kHashMulB;
  h ^= h >> 29;
  h *= kHashMulA;
  h ^= h >> 32;
  return h;
}

inline uint64_t hashBytes(const void* data, size_t len, uint64_t seed) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  // The length goes in first so zero-padding the tail cannot make two keys of
  // different lengths collide systematically.
  uint64_t h = (seed + 1) * kHashMulA ^ (static_cast<uint64_t>(len) * kHashMulB);
  if (len >= 32) {
    // Four independent lanes so long keys are not bound by one multiply
    // chain's latency; folded into h afterwards.
    uint64_t lane[4] = {h, h ^ kHashMulA, h ^ kHashMulB, ~h};
    while (len >= 32) {
      for (int k = 0; k < 4; ++k) {
        uint64_t w;
        memcpy(&w, p + 8 * k, 8);
        lane[k] = (lane[k] ^ w) * kHashMulB;
        lane[k] ^= lane[k] >> 29;
      }
      p += 32;
      len -= 32;
    }
    for (int k = 0; k < 4; ++k) {
      h = (h ^ hashFinish(lane[k])) * kHashMulA;
    }
  }
  while (len >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = (h ^ w) * kHashMulB;
    h ^= h >> 29;
    p += 8;
    len -= 8;
  }
  if (len > 0) {
    uint64_t w = 0;
    memcpy(&w, p, len);
    h = (h ^ w) * kHashMulB;
    h ^= h >> 29;
  }
  return hashFinish(h);
}

}  // namespace arenascope
