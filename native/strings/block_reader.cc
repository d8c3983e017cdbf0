#include "block_reader.h"

#include <algorithm>

namespace arenascope {

BlockPlanner::BlockPlanner(const std::vector<ScanRange>* ranges, const ChunkMap* map, ChunkFilter filter,
                           size_t blockSize)
    : cursor_(ranges, map, filter), blockSize_(blockSize) {}

bool BlockPlanner::next(PlannedBlock* out) {
  for (;;) {
    if (!haveSegment_) {
      if (!cursor_.next(&seg_)) return false;
      haveSegment_ = true;
      cursorAddr_ = seg_.start;
    }
    if (cursorAddr_ >= seg_.end) {
      haveSegment_ = false;
      continue;
    }
    if (cursorAddr_ >= lastStart_ && cursorAddr_ < lastEnd_) {
      cursorAddr_ = std::min(seg_.end, lastEnd_);
      continue;
    }
    lastStart_ = cursorAddr_;
    lastEnd_ = std::min(seg_.rangeEnd, (cursorAddr_ / blockSize_ + 1) * blockSize_);
    cursorAddr_ = std::min(seg_.end, lastEnd_);
    *out = {lastStart_, lastEnd_};
    return true;
  }
}

BlockReader::BlockReader(MemorySource& source, std::mutex& sourceLock, BlockPlanner planner, size_t blockSize,
                         size_t padding, bool asciiMasks)
    : source_(source), sourceLock_(sourceLock), planner_(std::move(planner)), asciiMasks_(asciiMasks) {
  for (size_t i = 0; i < kBuffers; ++i) {
    blocks_[i].buffer = LazyRegion(blockSize + padding);
    free_.push_back(static_cast<int>(i));
  }
  thread_ = std::thread([this] { run(); });
}

BlockReader::~BlockReader() {
  {
    std::lock_guard<std::mutex> g(m_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void BlockReader::run() {
  try {
    PlannedBlock plan;
    while (planner_.next(&plan)) {
      int idx;
      {
        std::unique_lock<std::mutex> g(m_);
        cv_.wait(g, [this] { return stop_ || !free_.empty(); });
        if (stop_) return;
        idx = free_.back();
        free_.pop_back();
      }
      Block& b = blocks_[idx];
      b.start = plan.start;
      b.end = plan.end;
      b.holes.clear();
      {
        std::lock_guard<std::mutex> g(sourceLock_);
        source_.read(b.start, reinterpret_cast<uint8_t*>(b.buffer.data()), static_cast<size_t>(b.end - b.start),
                     &b.holes);
      }
      // The padding after the block is readable (LazyRegion of blockSize + padding).
      if (asciiMasks_) asciiPrintableMasks(b.data(), static_cast<size_t>(b.end - b.start), &b.asciiMasks);
      {
        std::lock_guard<std::mutex> g(m_);
        ready_.push_back(idx);
      }
      cv_.notify_all();
    }
    std::lock_guard<std::mutex> g(m_);
    ready_.push_back(kEnd);
  } catch (...) {
    std::lock_guard<std::mutex> g(m_);
    error_ = std::current_exception();
    ready_.push_back(kFailed);
  }
  cv_.notify_all();
}

const BlockReader::Block* BlockReader::next() {
  std::unique_lock<std::mutex> g(m_);
  if (held_ >= 0) {
    free_.push_back(held_);
    held_ = kEnd;
    cv_.notify_all();
  }
  cv_.wait(g, [this] { return !ready_.empty(); });
  int idx = ready_.front();
  if (idx == kFailed) std::rethrow_exception(error_);
  if (idx == kEnd) return nullptr;
  ready_.erase(ready_.begin());
  held_ = idx;
  return &blocks_[idx];
}

}  // namespace arenascope
