// Symbol-free location of main_arena and mp_ in a live image of libc's
// writable data (malloc_state by its self-pointing empty bins and its next
// ring, as malloc.c malloc_init_state and arena.c _int_new_arena leave them;
// mp_ by its initializer's defaults), and the heap_info reader
// used for region classification.
#pragma once

#include <cstdint>
#include <vector>

#include "malloc_layout.h"
#include "memory/memory_source.h"

namespace arenascope {
namespace ptmalloc {

struct MainArenaCandidate {
  uint64_t address = 0;
  int score = 0;
  uint32_t ringLength = 0;     // arenas in the next ring, main included
  bool initialized = false;    // bins self-pointing (malloc_init_state ran)
  uint32_t nonEmptyBins = 0;   // bins with chunks
  uint32_t verifiedBins = 0;   // non-empty bins whose first/last chunk link back to the bin
  uint64_t top = 0;
  uint64_t systemMem = 0;
};

// Scans [start, end) for malloc_state images that can be main_arena: next is
// itself or a non-main arena address, the next ring closes on it, every bin
// is either empty (fd == bk == bin) or has both links elsewhere, and
// non-empty bins link back. Best score first.
std::vector<MainArenaCandidate> scanForMainArena(MemorySource* src, uint64_t start, uint64_t end,
                                                 const MallocLayout& layout, uint64_t heapMax);

struct MallocParCandidate {
  uint64_t address = 0;
  int score = 0;
};

// Scans [start, end) for plausible live malloc_par images. Best score first.
std::vector<MallocParCandidate> scanForMallocPar(MemorySource* src, uint64_t start, uint64_t end,
                                                 const MallocLayout& layout);

struct HeapInfoValues {
  uint64_t arPtr = 0, prev = 0, size = 0, mprotectSize = 0;
  int64_t pagesize = -1;  // -1 before 2.35 (no field)
};

bool readHeapInfo(MemorySource* src, uint64_t address, const MallocLayout& layout, HeapInfoValues* out);

}  // namespace ptmalloc
}  // namespace arenascope
