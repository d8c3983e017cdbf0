#include "string_scan.h"

#include <algorithm>
#include <memory>

#include "string_runs.h"
#include "string_tally.h"

namespace arenascope {

namespace {
constexpr uint64_t kProgressEvery = 4u << 20;

// The block buffer, the holes the last read reported in it, and the scanners
// that must save their partial runs before it is overwritten.
class BlockStream {
 public:
  BlockStream(MemorySource& source, std::mutex& lock, size_t blockSize, std::vector<RunScanner*> scanners)
      : source_(source), lock_(lock), blockSize_(blockSize), buf_(blockSize + kScanPadding), scanners_(std::move(scanners)) {}

  // Classifies [from, to) of one segment, reading blocks as needed.
  void scan(uint64_t from, uint64_t to, uint64_t rangeEnd, StringScanResult* out) {
    while (from < to) {
      if (!(from >= bufStart_ && from < bufEnd_)) load(from, rangeEnd);
      const uint64_t pieceEnd = std::min(to, bufEnd_);
      while (from < pieceEnd) {
        while (hole_ < holes_.size() && holes_[hole_].end <= from) ++hole_;
        if (hole_ < holes_.size() && holes_[hole_].start <= from) {
          uint64_t holeEnd = std::min(pieceEnd, holes_[hole_].end);
          for (RunScanner* s : scanners_) s->interrupt();
          out->holeBytes += holeEnd - from;
          from = holeEnd;
          continue;
        }
        uint64_t readableEnd = hole_ < holes_.size() ? std::min(pieceEnd, holes_[hole_].start) : pieceEnd;
        const uint8_t* p = buf_.data() + (from - bufStart_);
        for (RunScanner* s : scanners_) s->feed(p, from, static_cast<size_t>(readableEnd - from));
        out->bytesScanned += readableEnd - from;
        from = readableEnd;
      }
    }
  }

  void endSegment() {
    for (RunScanner* s : scanners_) s->interrupt();
  }

 private:
  void load(uint64_t at, uint64_t rangeEnd) {
    for (RunScanner* s : scanners_) s->detach();
    // Blocks end on blockSize multiples so that a UTF-16 unit never straddles
    // two blocks of one segment.
    uint64_t end = std::min(rangeEnd, (at / blockSize_ + 1) * blockSize_);
    holes_.clear();
    hole_ = 0;
    {
      std::lock_guard<std::mutex> g(lock_);
      source_.read(at, buf_.data(), static_cast<size_t>(end - at), &holes_);
    }
    bufStart_ = at;
    bufEnd_ = end;
  }

  MemorySource& source_;
  std::mutex& lock_;
  size_t blockSize_;
  std::vector<uint8_t> buf_;
  std::vector<RunScanner*> scanners_;
  uint64_t bufStart_ = 0;
  uint64_t bufEnd_ = 0;
  std::vector<Hole> holes_;
  size_t hole_ = 0;
};

uint64_t totalSegmentBytes(const std::vector<ScanRange>& ranges, const ChunkTable* table, ChunkFilter filter) {
  SegmentCursor cursor(&ranges, table, filter);
  ScanSegment seg;
  uint64_t total = 0;
  while (cursor.next(&seg)) total += seg.end - seg.start;
  return total;
}
}  // namespace

StringScanResult scanStrings(MemorySource& source, std::mutex& sourceLock, const std::vector<ScanRange>& ranges,
                             const ChunkTable* table, StringGrep* grep, const StringScanOptions& options,
                             const ScanProgressFn& progress) {
  StringScanResult out;
  out.bytesTotal = totalSegmentBytes(ranges, table, options.filter);

  auto tally = std::make_unique<StringTally>(options.maxDistinct, options.maxDistinctBytes, options.samples, table, grep);
  std::vector<std::unique_ptr<RunScanner>> owned;
  std::vector<RunScanner*> scanners;
  if (options.ascii) owned.push_back(std::make_unique<RunScanner>(StringEncoding::kAscii, options.minChars, tally.get()));
  if (options.utf16) owned.push_back(std::make_unique<RunScanner>(StringEncoding::kUtf16le, options.minChars, tally.get()));
  for (auto& s : owned) scanners.push_back(s.get());

  BlockStream stream(source, sourceLock, options.blockSize, scanners);
  SegmentCursor cursor(&ranges, table, options.filter);
  ScanSegment seg;
  uint64_t lastReport = 0;
  while (cursor.next(&seg)) {
    // Segments can be a few bytes (small chunks); report progress at block
    // granularity so callers see steady movement without a flood.
    uint64_t at = seg.start;
    while (at < seg.end) {
      // Steps end on block multiples, like reads: an odd split would cut a
      // UTF-16 unit in two.
      uint64_t step = std::min<uint64_t>(seg.end, (at / options.blockSize + 1) * options.blockSize);
      stream.scan(at, step, seg.rangeEnd, &out);
      at = step;
      uint64_t done = out.bytesScanned + out.holeBytes;
      if (progress && done - lastReport >= kProgressEvery) {
        lastReport = done;
        progress(done, out.bytesTotal);
      }
    }
    stream.endSegment();
  }
  if (progress) progress(out.bytesScanned + out.holeBytes, out.bytesTotal);

  const StringHistogram& h = tally->histogram();
  out.stringsFound = tally->stringsFound();
  out.stringBytes = tally->stringBytes();
  out.grepRejected = tally->grepRejected();
  out.grepEvaluations = grep ? grep->evaluations() : 0;
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
  std::sort(out.bySizeClass.begin(), out.bySizeClass.end(),
            [](const SizeClassTotal& a, const SizeClassTotal& b) { return a.chunkSize < b.chunkSize; });
  for (const auto& kv : tally->byArena()) out.byArena.push_back({kv.first, kv.second.stringBytes, kv.second.strings});
  return out;
}

}  // namespace arenascope
