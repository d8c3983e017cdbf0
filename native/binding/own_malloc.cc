#include "own_malloc.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace arenascope {

namespace {

// DEFAULT_MMAP_THRESHOLD_MIN (malloc.c): 128 KiB, glibc's own start for both.
constexpr int kThreshold = 128 * 1024;

bool userChoseMalloc() {
  for (const char* name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_ARENA_MAX"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  return tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr;
}

}  // namespace

void holdOwnMallocSteady() {
  static const bool done = [] {
    if (!userChoseMalloc()) {
      mallopt(M_MMAP_THRESHOLD, kThreshold);
      mallopt(M_TRIM_THRESHOLD, kThreshold);
    }
    return true;
  }();
  (void)done;
}

void returnFreedMemory() { malloc_trim(0); }

}  // namespace arenascope
