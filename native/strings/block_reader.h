// Reads the blocks a string scan needs one block ahead, on a second thread,
// so the target's memory is copied (process_vm_readv: page walk + copy in
// the kernel) while the previous block is being classified.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "memory/lazy_region.h"
#include "memory/memory_source.h"
#include "scan_segments.h"
#include "string_runs.h"

namespace arenascope {

struct PlannedBlock {
  uint64_t start;
  uint64_t end;
};

// The blocks a scan will ask for, in order. Rule shared with the consumer: a
// block starts at the first segment byte not inside the previous block and
// ends at the next multiple of blockSize or the end of the requested range,
// whichever comes first. Gaps between segments (chunks filtered out) are not
// read unless a block already covers them.
class BlockPlanner {
 public:
  BlockPlanner(const std::vector<ScanRange>* ranges, const ChunkMap* map, ChunkFilter filter, size_t blockSize);
  bool next(PlannedBlock* out);

 private:
  SegmentCursor cursor_;
  size_t blockSize_;
  ScanSegment seg_{};
  bool haveSegment_ = false;
  uint64_t cursorAddr_ = 0;
  uint64_t lastStart_ = 0;
  uint64_t lastEnd_ = 0;
};

class BlockReader {
 public:
  struct Block {
    uint64_t start = 0;
    uint64_t end = 0;
    LazyRegion buffer;  // end-start bytes plus padding for the classifier
    const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(buffer.data()); }
    std::vector<Hole> holes;
    // asciiPrintableMasks of the buffer, when the reader was asked for them.
    std::vector<uint64_t> asciiMasks;
  };

  // With asciiMasks, the reader thread also classifies each block it has just
  // read (Block::asciiMasks), while the bytes are in its cache: the scanning
  // thread, the slower of the two, is left with finding runs and counting
  // them (perf: asciiPrintableMask64 was ~a fifth of its time; a 64 MiB scan
  // on two cores took 4-11% less wall time, pairwise medians).
  BlockReader(MemorySource& source, std::mutex& sourceLock, BlockPlanner planner, size_t blockSize, size_t padding,
              bool asciiMasks);
  ~BlockReader();
  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;

  // The next planned block, or nullptr after the last. The block returned by
  // the previous call goes back to the reader. Rethrows what the reader thread
  // caught (SourceError for a dead process, bad_alloc).
  const Block* next();

 private:
  static constexpr size_t kBuffers = 2;
  static constexpr int kEnd = -1;
  static constexpr int kFailed = -2;
  void run();

  MemorySource& source_;
  std::mutex& sourceLock_;
  BlockPlanner planner_;
  bool asciiMasks_;
  Block blocks_[kBuffers];

  std::mutex m_;
  std::condition_variable cv_;
  std::vector<int> free_;
  std::vector<int> ready_;  // FIFO of block indices, kEnd or kFailed last
  std::exception_ptr error_;
  bool stop_ = false;
  int held_ = kEnd;
  std::thread thread_;
};

}  // namespace arenascope
