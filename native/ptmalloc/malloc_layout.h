// MallocLayout: where glibc's malloc structures keep each field, for one
// glibc version, and the few facts about their use a reader needs. The one
// table of them is src/glibc/layouts.json (scripts/gen-layouts.mjs writes it
// from each Debian libc6-dbg's DWARF); TypeScript picks a row and it crosses
// into C++ as a plain object of numbers with exactly these field names (the
// tests' C++ copy is layouts_table.h, generated from the same rows); -1 marks
// a field that the version does not have. Field meanings: MallocLayout in
// src/glibc/layouts.ts.
#pragma once

#include <cstdint>
#include <string>

namespace arenascope {
namespace ptmalloc {

// X-macro of every layout field in declaration order. The JS conversion, the
// validator and the test table all iterate this one list.
#define ARENASCOPE_MALLOC_LAYOUT_FIELDS(X) \
  X(stateSize)                             \
  X(offFlags)                              \
  X(offHaveFastchunks)                     \
  X(offFastbins)                           \
  X(nFastbins)                             \
  X(offTop)                                \
  X(offLastRemainder)                      \
  X(offBins)                               \
  X(offBinmap)                             \
  X(offNext)                               \
  X(offNextFree)                           \
  X(offAttachedThreads)                    \
  X(offSystemMem)                          \
  X(offMaxSystemMem)                       \
  X(heapInfoSize)                          \
  X(heapInfoHasPagesize)                   \
  X(heapMaxHpFactor)                       \
  X(mpSize)                                \
  X(mpTrimThreshold)                       \
  X(mpTopPad)                              \
  X(mpMmapThreshold)                       \
  X(mpArenaTest)                           \
  X(mpArenaMax)                            \
  X(mpThpMode)                             \
  X(mpThpPagesize)                         \
  X(mpHpPagesize)                          \
  X(mpHpFlags)                             \
  X(mpNMmaps)                              \
  X(mpNMmapsMax)                           \
  X(mpMaxNMmaps)                           \
  X(mpNoDynThreshold)                      \
  X(mpMmappedMem)                          \
  X(mpMaxMmappedMem)                       \
  X(mpMaxTotalMem)                         \
  X(mpSbrkBase)                            \
  X(mpTcacheBins)                          \
  X(mpTcacheMaxBytes)                      \
  X(mpTcacheCount)                         \
  X(mpTcacheUnsortedLimit)                 \
  X(mpDefaultTrimThreshold)                \
  X(mpDefaultTopPad)                       \
  X(mpDefaultMmapThreshold)                \
  X(mpDefaultArenaTest)                    \
  X(mpDefaultNMmapsMax)                    \
  X(mpDefaultThpMode)                      \
  X(mpDefaultTcacheBins)                   \
  X(mpDefaultTcacheMaxBytes)               \
  X(mpDefaultTcacheCount)                  \
  X(tcacheBins)                            \
  X(tcacheCountWidth)                      \
  X(tcacheEntriesOffset)                   \
  X(tcacheChunkSize)                       \
  X(tcacheCountsAreFreeSlots)              \
  X(tcacheHasKey)                          \
  X(safeLinking)                           \
  X(fastchunksFlagInverted)                \
  X(mmappedChunkTail)                      \
  X(tcacheHoldsMmapped)

struct MallocLayout {
#define ARENASCOPE_DECLARE_FIELD(name) int64_t name = -1;
  ARENASCOPE_MALLOC_LAYOUT_FIELDS(ARENASCOPE_DECLARE_FIELD)
#undef ARENASCOPE_DECLARE_FIELD

  bool has(int64_t field) const { return field >= 0; }
  bool hasTcache() const { return tcacheBins > 0; }
  bool hasFastbins() const { return nFastbins > 0 && offFastbins >= 0; }
};

// heap_max of non-main arenas for a walk that read mp_.hp_pagesize: the
// layout's heapMaxHpFactor times hp_pagesize where the version derives it
// from huge pages (arena.c heap_max_size(), 2.35-2.41) and huge pages are on,
// else HEAP_MAX_SIZE (64 MiB). src/glibc/layouts.ts heapMaxFor() is the same rule.
uint64_t heapMaxFor(const MallocLayout& layout, uint64_t hpPagesize);

// Names of the fields, in declaration order (for messages and conversions).
extern const char* const kMallocLayoutFieldNames[];
extern const size_t kMallocLayoutFieldCount;

// Pointer-to-member table matching kMallocLayoutFieldNames.
extern int64_t MallocLayout::* const kMallocLayoutFieldMembers[];

// Checks that every offset fits inside its structure and that the values are
// ones glibc could have (so the walker can index its buffers without further
// bounds checks). Returns false with a reason in *why.
bool validateLayout(const MallocLayout& layout, std::string* why);

}  // namespace ptmalloc
}  // namespace arenascope
