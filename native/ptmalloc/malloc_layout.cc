#include "malloc_layout.h"

#include "chunk_format.h"

namespace arenascope {
namespace ptmalloc {

const char* const kMallocLayoutFieldNames[] = {
#define ARENASCOPE_FIELD_NAME(name) #name,
    ARENASCOPE_MALLOC_LAYOUT_FIELDS(ARENASCOPE_FIELD_NAME)
#undef ARENASCOPE_FIELD_NAME
};

int64_t MallocLayout::* const kMallocLayoutFieldMembers[] = {
#define ARENASCOPE_FIELD_MEMBER(name) &MallocLayout::name,
    ARENASCOPE_MALLOC_LAYOUT_FIELDS(ARENASCOPE_FIELD_MEMBER)
#undef ARENASCOPE_FIELD_MEMBER
};

const size_t kMallocLayoutFieldCount = sizeof(kMallocLayoutFieldNames) / sizeof(kMallocLayoutFieldNames[0]);

namespace {

// A field of `width` bytes at `off` inside a structure of `size` bytes.
// Required fields must be present; optional ones may be -1.
bool fieldFits(int64_t off, int64_t width, int64_t size, bool required) {
  if (off == -1) return !required;
  return off >= 0 && off % width == 0 && off + width <= size;
}

bool isFlag(int64_t v) { return v == 0 || v == 1; }

}  // namespace

bool validateLayout(const MallocLayout& l, std::string* why) {
  auto fail = [why](const std::string& msg) {
    if (why) *why = msg;
    return false;
  };
  // sizeof(malloc_state) is 0x840..0x898 in every known version; the bounds
  // leave room for unknown builds while keeping buffers small.
  if (l.stateSize < 0x400 || l.stateSize > 0x1000 || l.stateSize % 8 != 0) return fail("stateSize out of range");
  const int64_t S = l.stateSize;
  if (!fieldFits(l.offFlags, 4, S, true)) return fail("offFlags does not fit malloc_state");
  if (!fieldFits(l.offHaveFastchunks, 4, S, false)) return fail("offHaveFastchunks does not fit malloc_state");
  // NFASTBINS is 10 on x86-64 (fastbin_index(request2size(160)) + 1).
  if (l.nFastbins < 0 || l.nFastbins > static_cast<int64_t>(kMaxFastbins)) return fail("nFastbins out of range");
  if (l.nFastbins > 0 && !fieldFits(l.offFastbins, 8, S, true)) return fail("offFastbins does not fit malloc_state");
  if (l.nFastbins > 0 && l.offFastbins + 8 * l.nFastbins > S) return fail("fastbinsY does not fit malloc_state");
  if (l.nFastbins == 0 && l.offFastbins != -1) return fail("offFastbins given with nFastbins 0");
  for (int64_t off : {l.offTop, l.offLastRemainder, l.offNext, l.offNextFree, l.offSystemMem, l.offMaxSystemMem}) {
    if (!fieldFits(off, 8, S, true)) return fail("a pointer field does not fit malloc_state");
  }
  // bins[NBINS*2-2] = 254 pointers.
  if (!fieldFits(l.offBins, 8, S, true) || l.offBins + 254 * 8 > S) return fail("bins do not fit malloc_state");
  // bin_at(1) = &bins[0] - 2*SIZE_SZ overlays top and last_remainder: the
  // unsorted bin's fake chunk is &av->top in every version.
  if (l.offTop != l.offBins - 0x10 || l.offLastRemainder != l.offBins - 0x8) return fail("bins must follow top and last_remainder");
  if (!fieldFits(l.offBinmap, 4, S, true) || l.offBinmap + 16 > S) return fail("binmap does not fit malloc_state");
  if (!fieldFits(l.offAttachedThreads, 8, S, false)) return fail("offAttachedThreads does not fit malloc_state");

  if (l.heapInfoSize != 0x20 && l.heapInfoSize != 0x30) return fail("heapInfoSize must be 0x20 or 0x30");
  if (!isFlag(l.heapInfoHasPagesize)) return fail("heapInfoHasPagesize must be 0 or 1");
  if (l.heapInfoHasPagesize && l.heapInfoSize < 0x28) return fail("heap_info pagesize needs heapInfoSize 0x30");
  // heap_max_size() multiplies mp_.hp_pagesize by 4 where it uses it at all (2.35-2.41).
  if (l.heapMaxHpFactor < 0 || l.heapMaxHpFactor > 64) return fail("heapMaxHpFactor out of range");

  if (l.mpSize < 0x40 || l.mpSize > 0x200 || l.mpSize % 8 != 0) return fail("mpSize out of range");
  const int64_t M = l.mpSize;
  for (int64_t off : {l.mpTrimThreshold, l.mpTopPad, l.mpMmapThreshold, l.mpArenaTest, l.mpArenaMax, l.mpMmappedMem,
                      l.mpMaxMmappedMem, l.mpSbrkBase}) {
    if (!fieldFits(off, 8, M, true)) return fail("a required malloc_par field does not fit");
  }
  for (int64_t off : {l.mpNMmaps, l.mpNMmapsMax, l.mpMaxNMmaps, l.mpNoDynThreshold}) {
    if (!fieldFits(off, 4, M, true)) return fail("a required malloc_par int field does not fit");
  }
  for (int64_t off : {l.mpThpPagesize, l.mpHpPagesize, l.mpMaxTotalMem, l.mpTcacheBins, l.mpTcacheMaxBytes,
                      l.mpTcacheCount, l.mpTcacheUnsortedLimit}) {
    if (!fieldFits(off, 8, M, false)) return fail("an optional malloc_par field does not fit");
  }
  if (!fieldFits(l.mpHpFlags, 4, M, false)) return fail("mpHpFlags does not fit");
  // enum malloc_thp_mode_t / thp_mode_t (2.43+).
  if (!fieldFits(l.mpThpMode, 4, M, false)) return fail("mpThpMode does not fit");
  if (l.heapMaxHpFactor > 0 && l.mpHpPagesize < 0) return fail("heapMaxHpFactor needs mpHpPagesize");
  // A default is given exactly for the members the version has.
  if ((l.mpThpMode < 0) != (l.mpDefaultThpMode < 0)) return fail("mpDefaultThpMode given without mpThpMode, or missing");
  if ((l.mpTcacheCount < 0) != (l.mpDefaultTcacheCount < 0) || (l.mpTcacheBins < 0) != (l.mpDefaultTcacheBins < 0) ||
      (l.mpTcacheMaxBytes < 0) != (l.mpDefaultTcacheMaxBytes < 0)) {
    return fail("mp_ tcache defaults do not match the mp_ tcache fields");
  }
  for (int64_t v : {l.mpDefaultTrimThreshold, l.mpDefaultTopPad, l.mpDefaultMmapThreshold, l.mpDefaultArenaTest, l.mpDefaultNMmapsMax}) {
    if (v < 0) return fail("a default of a required mp_ field is missing");
  }

  if (l.tcacheBins < 0 || l.tcacheBins > 76) return fail("tcacheBins out of range");
  if (l.tcacheBins > 0) {
    if (l.tcacheCountWidth != 1 && l.tcacheCountWidth != 2) return fail("tcacheCountWidth must be 1 or 2");
    if (l.tcacheChunkSize < 0x20 || l.tcacheChunkSize > 0x1000 || l.tcacheChunkSize % 16 != 0) {
      return fail("tcacheChunkSize out of range");
    }
    if (l.tcacheEntriesOffset < l.tcacheBins * l.tcacheCountWidth || l.tcacheEntriesOffset % 8 != 0) {
      return fail("tcacheEntriesOffset overlaps the counters");
    }
    // The struct lives in the usable part of its chunk: chunk size - SIZE_SZ
    // (an in-use chunk may use the next chunk's prev_size field).
    if (l.tcacheEntriesOffset + 8 * l.tcacheBins > l.tcacheChunkSize - 0x8) {
      return fail("tcache entries do not fit the tcache chunk");
    }
    if (l.mpTcacheCount < 0) return fail("tcache layouts need mpTcacheCount");
  }
  for (int64_t f : {l.tcacheCountsAreFreeSlots, l.tcacheHasKey, l.safeLinking, l.fastchunksFlagInverted, l.tcacheHoldsMmapped}) {
    if (!isFlag(f)) return fail("flag fields must be 0 or 1");
  }
  // 0, or CHUNK_HDR_SZ (16) from 2.43 (mmap_set_chunk).
  if (l.mmappedChunkTail < 0 || l.mmappedChunkTail > 0x1000 || l.mmappedChunkTail % 16 != 0) {
    return fail("mmappedChunkTail must be a multiple of 16 below a page");
  }
  return true;
}

uint64_t heapMaxFor(const MallocLayout& l, uint64_t hpPagesize) {
  if (l.heapMaxHpFactor > 0 && hpPagesize > 0) return static_cast<uint64_t>(l.heapMaxHpFactor) * hpPagesize;
  return kDefaultHeapMax;
}

}  // namespace ptmalloc
}  // namespace arenascope
