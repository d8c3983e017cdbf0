// HeapCells: the heap map of one arena, built as the walk passes. The
// arena's heaps are laid end to end, each as long as its reservation, and
// cut into equal cells of whole pages; every chunk adds its bytes to the
// cells it covers, per class. What no chunk covers is the not-yet-usable rest
// of a reservation (past heap_info.mprotect_size: PROT_NONE, never resident,
// glibc malloc/arena.c grow_heap). Memory: three numbers per cell.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace arenascope {
namespace ptmalloc {

class HeapCells {
 public:
  enum Class : int { kUsed = 0, kFree = 1, kTop = 2 };
  static constexpr uint32_t kMaxCells = 1u << 16;
  static constexpr uint64_t kPage = 4096;

  // heaps: (start, reserved) of each heap, in the order the walk will index them.
  void begin(const std::vector<std::pair<uint64_t, uint64_t>>& heaps, uint32_t cells) {
    heaps_ = heaps;
    offsets_.clear();
    uint64_t total = 0;
    for (const auto& h : heaps_) {
      offsets_.push_back(total);
      total += h.second;
    }
    total_ = total;
    cells = std::min(std::max<uint32_t>(cells, 1), kMaxCells);
    cellBytes_ = total == 0 ? kPage : std::max<uint64_t>(kPage, (total / cells + kPage - 1) / kPage * kPage);
    const uint64_t n = total == 0 ? 0 : (total + cellBytes_ - 1) / cellBytes_;
    bytes_.assign(static_cast<size_t>(n * 3), 0.0);
  }
  void add(size_t heap, uint64_t start, uint64_t end, Class cls) {
    if (heap >= heaps_.size() || bytes_.empty()) return;
    const auto& h = heaps_[heap];
    start = std::max(start, h.first);
    end = std::min(end, h.first + h.second);
    if (start >= end) return;
    uint64_t from = offsets_[heap] + (start - h.first);
    const uint64_t to = offsets_[heap] + (end - h.first);
    while (from < to) {
      const uint64_t c = from / cellBytes_;
      const uint64_t cellEnd = std::min(to, (c + 1) * cellBytes_);
      bytes_[static_cast<size_t>(c * 3 + cls)] += static_cast<double>(cellEnd - from);
      from = cellEnd;
    }
  }
  bool active() const { return !heaps_.empty(); }
  uint64_t cellBytes() const { return cellBytes_; }
  uint64_t totalBytes() const { return total_; }
  // used, free, top bytes of cell 0, then of cell 1, ...
  const std::vector<double>& bytes() const { return bytes_; }

 private:
  std::vector<std::pair<uint64_t, uint64_t>> heaps_;
  std::vector<uint64_t> offsets_;
  uint64_t total_ = 0;
  uint64_t cellBytes_ = kPage;
  std::vector<double> bytes_;
};

}  // namespace ptmalloc
}  // namespace arenascope
