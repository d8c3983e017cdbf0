// Where every run found by the scanners ends up: grep verdict, histogram,
// samples, and per-chunk-size / per-arena totals. One object per scan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "chunk_index.h"
#include "string_grep.h"
#include "string_histogram.h"
#include "string_runs.h"
#include "string_samples.h"

namespace arenascope {

struct StringTotals {
  uint64_t stringBytes = 0;  // memory bytes (UTF-16LE counts 2 per character)
  uint64_t strings = 0;
};

class StringTally : public RunSink {
 public:
  // map: the walker's chunk map, for attribution (null: none).
  StringTally(size_t maxDistinct, size_t maxDistinctBytes, size_t samples, const ChunkMap* map, StringGrep* grep);

  void onRun(const StringRun& run) override;
  void flush() override;

  const StringHistogram& histogram() const { return histogram_; }
  const StringSampler& sampler() const { return sampler_; }
  // Totals by chunk size, ascending.
  std::vector<std::pair<uint64_t, StringTotals>> bySizeClass() const;
  const std::map<uint32_t, StringTotals>& byArena() const { return byArena_; }
  uint64_t stringsFound() const { return stringsFound_; }
  uint64_t stringBytes() const { return stringBytes_; }
  uint64_t unattributedBytes() const { return unattributedBytes_; }
  uint64_t grepRejected() const { return grepRejected_; }

 private:
  bool attribute_;
  StringGrep* grep_;
  StringHistogram histogram_;
  StringSampler sampler_;
  // By chunk size: a slot per 16-byte size below kDirectSizes, a map above.
  // Chunks tile the heap, so a heap of H bytes holds at most sqrt(H / 8)
  // distinct sizes (16 + 32 + ... + 16d <= H): the map stays small (20k
  // sizes for 3 GiB) whatever the chunk count.
  static constexpr uint64_t kDirectSizes = 64 * 1024;
  std::vector<StringTotals> smallSizes_;
  std::unordered_map<uint64_t, StringTotals> largeSizes_;
  StringTotals& sizeTotals(uint64_t size) {
    return size < kDirectSizes ? smallSizes_[size >> 4] : largeSizes_[size];
  }
  std::map<uint32_t, StringTotals> byArena_;
  uint64_t stringsFound_ = 0;
  uint64_t stringBytes_ = 0;
  uint64_t unattributedBytes_ = 0;
  uint64_t grepRejected_ = 0;
  void count(const StringRun& run, const char* text, uint64_t hash);

  // One index per encoding: each scanner reports in address order, and the
  // index keeps the last chunk it found.
  ChunkIndex index_[2];
  char decoded_[kMaxKeptChars];
  // ASCII runs wait here in small batches: their hash-table slots are
  // prefetched when they arrive and probed when the batch is flushed, so the
  // cache misses of consecutive strings overlap instead of queueing.
  static constexpr size_t kBatch = 16;
  struct Queued {
    StringRun run;
    uint64_t hash;
  };
  Queued queue_[kBatch];
  size_t queued_ = 0;
};

}  // namespace arenascope
