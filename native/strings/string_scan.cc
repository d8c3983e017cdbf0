#include "string_scan.h"

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "block_reader.h"
#include "string_runs.h"
#include "string_tally.h"

namespace arenascope {

namespace {
constexpr uint64_t kProgressEvery = 4u << 20;

// Hands segment pieces to the scanners from the blocks the reader prepared,
// splitting them at holes, and makes the scanners save partial runs before a
// block is handed back.
class BlockStream {
 public:
  BlockStream(BlockReader& reader, std::vector<RunScanner*> scanners)
      : reader_(reader), scanners_(std::move(scanners)) {}

  // Classifies [from, to) of one segment.
  void scan(uint64_t from, uint64_t to, StringScanResult* out) {
    while (from < to) {
      if (!block_ || from < block_->start || from >= block_->end) load(from);
      const uint64_t pieceEnd = std::min(to, block_->end);
      const std::vector<Hole>& holes = block_->holes;
      while (from < pieceEnd) {
        while (hole_ < holes.size() && holes[hole_].end <= from) ++hole_;
        if (hole_ < holes.size() && holes[hole_].start <= from) {
          uint64_t holeEnd = std::min(pieceEnd, holes[hole_].end);
          for (RunScanner* s : scanners_) s->interrupt();
          out->holeBytes += holeEnd - from;
          from = holeEnd;
          continue;
        }
        uint64_t readableEnd = hole_ < holes.size() ? std::min(pieceEnd, holes[hole_].start) : pieceEnd;
        const size_t offset = static_cast<size_t>(from - block_->start);
        const uint8_t* p = block_->data() + offset;
        const uint64_t* masks = block_->asciiMasks.empty() ? nullptr : block_->asciiMasks.data();
        for (RunScanner* s : scanners_) s->feed(p, from, static_cast<size_t>(readableEnd - from), masks, offset);
        out->bytesScanned += readableEnd - from;
        from = readableEnd;
      }
    }
  }

  void endSegment() {
    for (RunScanner* s : scanners_) s->interrupt();
  }

 private:
  void load(uint64_t at) {
    for (RunScanner* s : scanners_) s->detach();
    block_ = reader_.next();
    // The planner follows the same rule as this loop; a mismatch is a bug.
    if (!block_ || block_->start != at) throw std::logic_error("string scan: block plan out of step");
    hole_ = 0;
  }

  BlockReader& reader_;
  std::vector<RunScanner*> scanners_;
  const BlockReader::Block* block_ = nullptr;
  size_t hole_ = 0;
};

// Progress is the scan's position in its ranges (bytes of address space
// passed): known without a pass over the chunk map before the scan.
class RangeProgress {
 public:
  explicit RangeProgress(const std::vector<ScanRange>& ranges) : ranges_(ranges) {
    for (const ScanRange& r : ranges) total_ += r.end - r.start;
  }
  uint64_t total() const { return total_; }
  // Bytes of the ranges below addr (addresses arrive in increasing order).
  uint64_t at(uint64_t addr) {
    while (i_ < ranges_.size() && addr >= ranges_[i_].end) {
      before_ += ranges_[i_].end - ranges_[i_].start;
      ++i_;
    }
    if (i_ == ranges_.size()) return total_;
    return before_ + (addr > ranges_[i_].start ? addr - ranges_[i_].start : 0);
  }

 private:
  const std::vector<ScanRange>& ranges_;
  uint64_t total_ = 0, before_ = 0;
  size_t i_ = 0;
};
}  // namespace

StringScanResult scanStrings(MemorySource& source, std::mutex& sourceLock, const std::vector<ScanRange>& ranges,
                             const ChunkMap* map, StringGrep* grep, const StringScanOptions& options,
                             const ScanProgressFn& progress) {
  StringScanResult out;
  RangeProgress position(ranges);

  auto tally = std::make_unique<StringTally>(options.maxDistinct, options.maxDistinctBytes, options.samples, map, grep);
  std::vector<std::unique_ptr<RunScanner>> owned;
  std::vector<RunScanner*> scanners;
  if (options.ascii) owned.push_back(std::make_unique<RunScanner>(StringEncoding::kAscii, options.minChars, tally.get()));
  if (options.utf16) owned.push_back(std::make_unique<RunScanner>(StringEncoding::kUtf16le, options.minChars, tally.get()));
  for (auto& s : owned) scanners.push_back(s.get());

  BlockReader reader(source, sourceLock, BlockPlanner(&ranges, map, options.filter, options.blockSize),
                     options.blockSize, kScanPadding, options.ascii);
  BlockStream stream(reader, scanners);
  SegmentCursor cursor(&ranges, map, options.filter);
  ScanSegment seg;
  uint64_t lastReport = 0;
  while (cursor.next(&seg)) {
    out.bytesTotal += seg.end - seg.start;
    // Segments can be a few bytes (small chunks); report progress at block
    // granularity so callers see steady movement without a flood.
    uint64_t at = seg.start;
    while (at < seg.end) {
      // Steps end on block multiples, like reads: an odd split would cut a
      // UTF-16 unit in two.
      uint64_t step = std::min<uint64_t>(seg.end, (at / options.blockSize + 1) * options.blockSize);
      throwIfCanceled(options.cancel);
      stream.scan(at, step, &out);
      at = step;
      if (progress && out.bytesScanned + out.holeBytes - lastReport >= kProgressEvery) {
        lastReport = out.bytesScanned + out.holeBytes;
        progress(position.at(at), position.total());
      }
    }
    stream.endSegment();
  }
  tally->flush();
  if (progress) progress(position.total(), position.total());

  const StringHistogram& h = tally->histogram();
  out.stringsFound = tally->stringsFound();
  out.stringBytes = tally->stringBytes();
  out.grepRejected = tally->grepRejected();
  out.grepEvaluations = grep ? grep->evaluations() : 0;
  out.grepRegexRuns = grep ? grep->regexRuns() : 0;
  out.grepEngine = grep ? grep->engine() : "";
  out.distinct = h.distinct();
  out.approximate = h.approximate();
  out.evictedCountBound = h.evictedCountBound();
  out.histogramEntries = h.entries();
  out.histogramCapacity = h.capacity();
  out.histogramKeyBytes = h.keyBytes();
  out.histogramKeyByteBudget = h.keyByteBudget();
  out.histogramMemoryBytes = h.memoryBytes();
  out.unattributedBytes = tally->unattributedBytes();
  out.strings = h.top(options.top);
  out.samples = tally->sampler().sortedByAddress();
  for (const auto& kv : tally->bySizeClass()) out.bySizeClass.push_back({kv.first, kv.second.stringBytes, kv.second.strings});
  for (const auto& kv : tally->byArena()) out.byArena.push_back({kv.first, kv.second.stringBytes, kv.second.strings});
  return out;
}

}  // namespace arenascope
