#include "chunk_sink.h"

#include <errno.h>
#include <unistd.h>

#include <cstdio>

namespace arenascope {
namespace ptmalloc {

void NdjsonChunkWriter::chunk(uint64_t arena, uint64_t start, uint64_t size, const char* state) {
  if (error_ != 0 || (arenaFilter_ != 0 && arena != arenaFilter_)) return;
  char line[160];
  int n = snprintf(line, sizeof line, "{\"arena\":\"0x%llx\",\"address\":\"0x%llx\",\"size\":%llu,\"state\":\"%s\"}\n",
                   static_cast<unsigned long long>(arena), static_cast<unsigned long long>(start),
                   static_cast<unsigned long long>(size), state);
  if (n <= 0) return;
  buf_.append(line, static_cast<size_t>(n));
  ++lines_;
  if (buf_.size() >= kBuffer) flush();
}

bool NdjsonChunkWriter::flush() {
  size_t off = 0;
  while (error_ == 0 && off < buf_.size()) {
    ssize_t w = ::write(fd_, buf_.data() + off, buf_.size() - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        // A non-blocking stdout (a pipe node set O_NONBLOCK on): wait for room.
        usleep(1000);
        continue;
      }
      error_ = errno;
      break;
    }
    off += static_cast<size_t>(w);
  }
  buf_.clear();
  return error_ == 0;
}

}  // namespace ptmalloc
}  // namespace arenascope
