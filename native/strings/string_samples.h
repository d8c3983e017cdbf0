// Keeps a uniform random sample of counted strings (reservoir sampling,
// Vitter's algorithm R) so the operator sees where strings live across the
// whole scan, not just the first ones found. The generator is seeded with a
// constant: the same memory gives the same samples.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "chunk_index.h"
#include "string_runs.h"

namespace arenascope {

struct StringSample {
  uint64_t address;
  std::string text;     // first kMaxKeptChars characters
  uint64_t length;      // whole length in characters
  StringEncoding encoding;
  bool hasChunk = false;  // the chunk map named the chunk holding it
  ChunkRef chunk;
};

class StringSampler {
 public:
  explicit StringSampler(size_t capacity, uint64_t seed = 0x5eed5eed5eed5eedull);

  // chunk: the chunk holding the string, or null.
  void offer(uint64_t address, const char* text, size_t len, uint64_t length, StringEncoding encoding,
             const ChunkRef* chunk);

  // Samples ordered by address.
  std::vector<StringSample> sortedByAddress() const;

 private:
  uint64_t next();

  size_t capacity_;
  uint64_t seen_ = 0;
  uint64_t state_;
  std::vector<StringSample> samples_;
};

}  // namespace arenascope
