// ChunkSink: every chunk the walk meets, streamed out as it passes (for
// `arenascope chunks`, NDJSON on stdout); never held. The writer buffers 64
// KiB and writes to a file descriptor from the walking thread; a closed
// reader (`| head`) stops the writing, not the walk's own results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace arenascope {
namespace ptmalloc {

class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  // state: in-use, internal, fastbin, tcache, unsorted, small-bin, large-bin, free-unlisted, top.
  virtual void chunk(uint64_t arena, uint64_t start, uint64_t size, const char* state) = 0;
};

class NdjsonChunkWriter : public ChunkSink {
 public:
  // arenaFilter: only this arena's chunks (0: every arena).
  NdjsonChunkWriter(int fd, uint64_t arenaFilter) : fd_(fd), arenaFilter_(arenaFilter) { buf_.reserve(kBuffer); }
  ~NdjsonChunkWriter() override { flush(); }
  void chunk(uint64_t arena, uint64_t start, uint64_t size, const char* state) override;
  // Writes what is buffered; false once the reader has gone (EPIPE) or a write failed.
  bool flush();
  uint64_t written() const { return lines_; }
  // errno of the first failed write (0: none; EPIPE: the reader closed).
  int error() const { return error_; }

 private:
  static constexpr size_t kBuffer = 64 * 1024;
  int fd_;
  uint64_t arenaFilter_;
  std::string buf_;
  uint64_t lines_ = 0;
  int error_ = 0;
};

}  // namespace ptmalloc
}  // namespace arenascope
