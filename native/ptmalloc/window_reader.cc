#include "window_reader.h"

#include <algorithm>

namespace arenascope {
namespace ptmalloc {

bool WindowReader::overlapsHole(uint64_t addr, size_t len) const {
  for (const Hole& h : holes_) {
    if (h.start < addr + len && h.end > addr) return true;
  }
  return false;
}

void WindowReader::fill(uint64_t from, uint64_t size) {
  const uint64_t end = std::min(spanEnd_, from + size);
  if (buf_.size() < end - from) buf_.resize(static_cast<size_t>(std::max<uint64_t>(end - from, kShortWindow)));
  holes_.clear();
  src_->read(from, buf_.data(), static_cast<size_t>(end - from), &holes_);
  bytesRead_ += end - from;
  winStart_ = from;
  winEnd_ = end;
}

bool WindowReader::readSlow(uint64_t addr, void* out, size_t len) {
  if (len == 0) return true;
  if (addr < spanStart_ || addr + len > spanEnd_ || addr + len < addr) return false;
  const uint64_t from = std::max(spanStart_, pageFloor(addr));
  // Sequential: the walk left the window at (or just past) its end. Far: a
  // large chunk lies between; its inside is not read.
  const bool sequential = winEnd_ != 0 && from <= winEnd_ + kPageSize && from >= winStart_;
  // A short window whose successor starts right after it: small chunks again;
  // the windows grow back (x4 each) to full size.
  uint64_t size = sequential ? std::min<uint64_t>(kWindow, std::max<uint64_t>(kShortWindow, (winEnd_ - winStart_) * 4)) : kShortWindow;
  if (from + size < addr + len) size = addr + len - from;
  fill(from, size);
  if (addr + len > winEnd_) return false;
  if (!holes_.empty() && overlapsHole(addr, len)) return false;
  memcpy(out, buf_.data() + (addr - winStart_), len);
  return true;
}

}  // namespace ptmalloc
}  // namespace arenascope
