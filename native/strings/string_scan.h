// scanStrings: stream the requested ranges of a MemorySource in bounded
// blocks, find printable ASCII / UTF-16LE runs, and summarise them.
//
// Memory does not grow with the scanned size: one block buffer, the bounded
// histogram, the sample reservoir and per-chunk-size totals (bounded by the
// chunk map the caller passed in).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "memory/cancel_token.h"
#include "memory/memory_source.h"
#include "scan_segments.h"
#include "string_grep.h"
#include "string_histogram.h"
#include "string_samples.h"

namespace arenascope {

struct StringScanOptions {
  size_t minChars = 6;
  bool ascii = true;
  bool utf16 = false;
  size_t top = 50;
  size_t samples = 20;
  size_t maxDistinct = 200000;
  size_t maxDistinctBytes = 32u << 20;
  ChunkFilter filter = ChunkFilter::kAll;
  // Read granularity; blocks end on multiples of it. A power of two.
  size_t blockSize = 1u << 20;
  // Set by the caller to stop the scan (ECANCELED); polled once a block.
  CancelFlag cancel;
};

struct SizeClassTotal {
  uint64_t chunkSize;
  uint64_t stringBytes;
  uint64_t strings;
};

struct ArenaTotal {
  uint32_t arenaIndex;
  uint64_t stringBytes;
  uint64_t strings;
};

struct StringScanResult {
  uint64_t bytesTotal = 0;    // bytes in the scanned segments
  uint64_t bytesScanned = 0;  // of those, readable and classified
  uint64_t holeBytes = 0;     // of those, unreadable
  uint64_t stringsFound = 0;  // runs counted (after minimum length and grep)
  uint64_t stringBytes = 0;   // their memory bytes, full lengths
  uint64_t grepRejected = 0;
  uint64_t grepEvaluations = 0;  // distinct texts judged
  uint64_t grepRegexRuns = 0;    // of those, judged by the regex (not settled by memmem)
  std::string grepEngine;        // StringGrep::engine(); empty without grep
  uint64_t distinct = 0;
  bool approximate = false;
  uint64_t evictedCountBound = 0;
  size_t histogramEntries = 0;
  size_t histogramCapacity = 0;
  size_t histogramKeyBytes = 0;
  size_t histogramKeyByteBudget = 0;
  size_t histogramMemoryBytes = 0;
  uint64_t unattributedBytes = 0;
  std::vector<StringHistogram::TopEntry> strings;
  std::vector<StringSample> samples;
  std::vector<SizeClassTotal> bySizeClass;  // by chunk size, ascending
  std::vector<ArenaTotal> byArena;          // by arena index, ascending
};

// Called from the scanning thread, at most every few MiB and once at the end,
// with the scan's position in its ranges: bytes of address space passed of
// all the ranges hold (live/free filters skip some of them).
using ScanProgressFn = std::function<void(uint64_t bytesDone, uint64_t bytesTotal)>;

// Throws SourceError when the source fails as a whole (process gone, no
// permission). ranges must come from normalizeRanges(). map and grep may be
// null; the map must outlive the call.
StringScanResult scanStrings(MemorySource& source, std::mutex& sourceLock, const std::vector<ScanRange>& ranges,
                             const ChunkMap* map, StringGrep* grep, const StringScanOptions& options,
                             const ScanProgressFn& progress);

}  // namespace arenascope
