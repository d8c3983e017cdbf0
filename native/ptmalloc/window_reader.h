// WindowReader: the chunk walk's reader. A span (heap) is read in order
// through one reused buffer: a window starts at the page of the chunk the
// walk is at and covers kWindow bytes (never past the span end). When the
// next header is far beyond the window (a large chunk in between), a short
// window is read there instead, so the inside of a large chunk is never read
// at all; short windows that run into each other grow back to full ones.
// Memory: one window, whatever the heap size.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "memory/memory_source.h"

namespace arenascope {
namespace ptmalloc {

class WindowReader {
 public:
  static constexpr uint64_t kWindow = 4ull << 20;
  static constexpr uint64_t kShortWindow = 64ull << 10;

  explicit WindowReader(MemorySource* src) : src_(src) {}

  // The span reads are confined to; drops the current window.
  void setSpan(uint64_t start, uint64_t end) {
    spanStart_ = start;
    spanEnd_ = end;
    winStart_ = winEnd_ = 0;
    holes_.clear();
  }

  // Copies [addr, addr+len) when it lies in the span and was readable.
  inline bool read(uint64_t addr, void* out, size_t len) {
    if (addr >= winStart_ && addr + len <= winEnd_ && addr + len > addr) {
      if (!holes_.empty() && overlapsHole(addr, len)) return false;
      memcpy(out, buf_.data() + (addr - winStart_), len);
      return true;
    }
    return readSlow(addr, out, len);
  }
  inline bool readU64(uint64_t addr, uint64_t* v) { return read(addr, v, 8); }

  uint64_t bytesRead() const { return bytesRead_; }
  size_t bufferBytes() const { return buf_.capacity(); }

 private:
  bool readSlow(uint64_t addr, void* out, size_t len);
  bool overlapsHole(uint64_t addr, size_t len) const;
  void fill(uint64_t from, uint64_t size);

  MemorySource* src_;
  uint64_t spanStart_ = 0, spanEnd_ = 0;
  uint64_t winStart_ = 0, winEnd_ = 0;
  std::vector<uint8_t> buf_;
  std::vector<Hole> holes_;
  uint64_t bytesRead_ = 0;
};

}  // namespace ptmalloc
}  // namespace arenascope
