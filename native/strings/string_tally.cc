#include "string_tally.h"

#include <algorithm>

#include "string_hash.h"

namespace arenascope {

StringTally::StringTally(size_t maxDistinct, size_t maxDistinctBytes, size_t samples, const ChunkMap* map,
                         StringGrep* grep)
    : attribute_(map != nullptr),
      grep_(grep),
      histogram_(maxDistinct, maxDistinctBytes),
      sampler_(samples),
      smallSizes_(map ? kDirectSizes >> 4 : 0),
      index_{ChunkIndex(map), ChunkIndex(map)} {}

std::vector<std::pair<uint64_t, StringTotals>> StringTally::bySizeClass() const {
  std::vector<std::pair<uint64_t, StringTotals>> out;
  for (size_t i = 0; i < smallSizes_.size(); ++i) {
    if (smallSizes_[i].strings > 0) out.emplace_back(static_cast<uint64_t>(i) << 4, smallSizes_[i]);
  }
  std::vector<std::pair<uint64_t, StringTotals>> large(largeSizes_.begin(), largeSizes_.end());
  std::sort(large.begin(), large.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  out.insert(out.end(), large.begin(), large.end());
  return out;
}

void StringTally::onRun(const StringRun& run) {
  if (run.encoding == StringEncoding::kUtf16le) {
    // Decoded into one scratch buffer: counted at once, after what is queued.
    flush();
    for (size_t i = 0; i < run.keptChars; ++i) decoded_[i] = static_cast<char>(run.raw[2 * i]);
    count(run, decoded_, hashBytes(decoded_, run.keptChars, static_cast<uint64_t>(run.encoding)));
    return;
  }
  const char* text = reinterpret_cast<const char*>(run.raw);
  uint64_t hash = hashBytes(text, run.keptChars, static_cast<uint64_t>(run.encoding));
  histogram_.prefetch(hash);
  queue_[queued_++] = {run, hash};
  if (queued_ == kBatch) flush();
}

void StringTally::flush() {
  for (size_t i = 0; i < queued_; ++i) {
    count(queue_[i].run, reinterpret_cast<const char*>(queue_[i].run.raw), queue_[i].hash);
  }
  queued_ = 0;
}

void StringTally::count(const StringRun& run, const char* text, uint64_t hash) {
  const size_t len = run.keptChars;
  if (grep_ && !grep_->matches(text, len, hash)) {
    ++grepRejected_;
    return;
  }
  const uint64_t bytes = run.fullChars * (run.encoding == StringEncoding::kUtf16le ? 2 : 1);
  ++stringsFound_;
  stringBytes_ += bytes;
  histogram_.add(text, len, hash, run.encoding, bytes, run.fullChars > len);
  ChunkRef chunk;
  bool found = false;
  if (attribute_) {
    found = index_[static_cast<size_t>(run.encoding)].locate(run.address, &chunk);
    if (found) {
      StringTotals& sc = sizeTotals(chunk.size());
      sc.stringBytes += bytes;
      ++sc.strings;
      StringTotals& ar = byArena_[chunk.arena];
      ar.stringBytes += bytes;
      ++ar.strings;
    } else {
      unattributedBytes_ += bytes;
    }
  }
  sampler_.offer(run.address, text, len, run.fullChars, run.encoding, found ? &chunk : nullptr);
}

}  // namespace arenascope
