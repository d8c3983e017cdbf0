// Offsets from the reference tables (sections 0, 1, 2, 3, 5; 2.43 and 2.44
// from pahole on their libc6-dbg): malloc_state, heap_info, malloc_par and
// tcache_perthread_struct for each release range.
#include "known_layouts.h"

namespace arenascope {
namespace ptmalloc {

namespace {

// malloc_state 2.17-2.22: no have_fastchunks, no attached_threads (0x888).
void state217(MallocLayout* l) {
  l->stateSize = 0x888;
  l->offFlags = 0x4;
  l->offHaveFastchunks = -1;
  l->offFastbins = 0x8;
  l->nFastbins = 10;
  l->offTop = 0x58;
  l->offLastRemainder = 0x60;
  l->offBins = 0x68;
  l->offBinmap = 0x858;
  l->offNext = 0x868;
  l->offNextFree = 0x870;
  l->offAttachedThreads = -1;
  l->offSystemMem = 0x878;
  l->offMaxSystemMem = 0x880;
  l->fastchunksFlagInverted = 1;
}

// 2.23-2.26: attached_threads added before system_mem (0x890).
void state223(MallocLayout* l) {
  state217(l);
  l->stateSize = 0x890;
  l->offAttachedThreads = 0x878;
  l->offSystemMem = 0x880;
  l->offMaxSystemMem = 0x888;
}

// 2.27-2.42: int have_fastchunks (+4 hole) after flags shifts the rest by 8 (0x898).
void state227(MallocLayout* l) {
  l->stateSize = 0x898;
  l->offFlags = 0x4;
  l->offHaveFastchunks = 0x8;
  l->offFastbins = 0x10;
  l->nFastbins = 10;
  l->offTop = 0x60;
  l->offLastRemainder = 0x68;
  l->offBins = 0x70;
  l->offBinmap = 0x860;
  l->offNext = 0x870;
  l->offNextFree = 0x878;
  l->offAttachedThreads = 0x880;
  l->offSystemMem = 0x888;
  l->offMaxSystemMem = 0x890;
  l->fastchunksFlagInverted = 0;
}

// 2.43+: fastbins and have_fastchunks removed (0x840; pahole, libc6-dbg 2.43-7 and 2.44-3).
void state243(MallocLayout* l) {
  l->stateSize = 0x840;
  l->offFlags = 0x4;
  l->offHaveFastchunks = -1;
  l->offFastbins = -1;
  l->nFastbins = 0;
  l->offTop = 0x8;
  l->offLastRemainder = 0x10;
  l->offBins = 0x18;
  l->offBinmap = 0x808;
  l->offNext = 0x818;
  l->offNextFree = 0x820;
  l->offAttachedThreads = 0x828;
  l->offSystemMem = 0x830;
  l->offMaxSystemMem = 0x838;
  l->fastchunksFlagInverted = 0;
}

void heapInfo20(MallocLayout* l) {
  l->heapInfoSize = 0x20;
  l->heapInfoHasPagesize = 0;
}
void heapInfo30(MallocLayout* l) {
  l->heapInfoSize = 0x30;
  l->heapInfoHasPagesize = 1;
}

void mpCommonHead(MallocLayout* l) {
  l->mpTrimThreshold = 0x00;
  l->mpTopPad = 0x08;
  l->mpMmapThreshold = 0x10;
  l->mpArenaTest = 0x18;
  l->mpArenaMax = 0x20;
  l->mpThpMode = -1;
  l->mpThpPagesize = -1;
  l->mpHpPagesize = -1;
  l->mpHpFlags = -1;
  l->mpMaxTotalMem = -1;
  l->mpTcacheBins = -1;
  l->mpTcacheMaxBytes = -1;
  l->mpTcacheCount = -1;
  l->mpTcacheUnsortedLimit = -1;
}

// malloc_par 2.17-2.23: max_total_mem present (0x58).
void mp217(MallocLayout* l) {
  mpCommonHead(l);
  l->mpSize = 0x58;
  l->mpNMmaps = 0x28;
  l->mpNMmapsMax = 0x2c;
  l->mpMaxNMmaps = 0x30;
  l->mpNoDynThreshold = 0x34;
  l->mpMmappedMem = 0x38;
  l->mpMaxMmappedMem = 0x40;
  l->mpMaxTotalMem = 0x48;
  l->mpSbrkBase = 0x50;
}

// 2.24-2.25: max_total_mem removed (0x50).
void mp224(MallocLayout* l) {
  mp217(l);
  l->mpSize = 0x50;
  l->mpMaxTotalMem = -1;
  l->mpSbrkBase = 0x48;
}

// 2.26-2.34: tcache tunables appended (0x70).
void mp226(MallocLayout* l) {
  mp224(l);
  l->mpSize = 0x70;
  l->mpTcacheBins = 0x50;
  l->mpTcacheMaxBytes = 0x58;
  l->mpTcacheCount = 0x60;
  l->mpTcacheUnsortedLimit = 0x68;
}

// 2.35-2.42: thp_pagesize, hp_pagesize, hp_flags after arena_max (0x88).
void mp235(MallocLayout* l) {
  mpCommonHead(l);
  l->mpSize = 0x88;
  l->mpThpPagesize = 0x28;
  l->mpHpPagesize = 0x30;
  l->mpHpFlags = 0x38;
  l->mpNMmaps = 0x3c;
  l->mpNMmapsMax = 0x40;
  l->mpMaxNMmaps = 0x44;
  l->mpNoDynThreshold = 0x48;
  l->mpMmappedMem = 0x50;
  l->mpMaxMmappedMem = 0x58;
  l->mpSbrkBase = 0x60;
  l->mpTcacheBins = 0x68;
  l->mpTcacheMaxBytes = 0x70;
  l->mpTcacheCount = 0x78;
  l->mpTcacheUnsortedLimit = 0x80;
}

// 2.43: thp_mode enum at 0x28 shifts the rest by 8 (0x90; pahole, libc6-dbg 2.43-7).
void mp243(MallocLayout* l) {
  mpCommonHead(l);
  l->mpSize = 0x90;
  l->mpThpMode = 0x28;
  l->mpThpPagesize = 0x30;
  l->mpHpPagesize = 0x38;
  l->mpHpFlags = 0x40;
  l->mpNMmaps = 0x44;
  l->mpNMmapsMax = 0x48;
  l->mpMaxNMmaps = 0x4c;
  l->mpNoDynThreshold = 0x50;
  l->mpMmappedMem = 0x58;
  l->mpMaxMmappedMem = 0x60;
  l->mpSbrkBase = 0x68;
  l->mpTcacheBins = 0x70;
  l->mpTcacheMaxBytes = 0x78;
  l->mpTcacheCount = 0x80;
  l->mpTcacheUnsortedLimit = 0x88;
}

// 2.44: tcache_unsorted_limit removed (0x88; pahole, libc6-dbg 2.44-3).
void mp244(MallocLayout* l) {
  mp243(l);
  l->mpSize = 0x88;
  l->mpTcacheUnsortedLimit = -1;
}

// mmapped chunks up to 2.42: size field = mapping length - prev_size, never
// in a tcache (2.42 __libc_free checks !chunk_is_mmapped for large bins).
void mmapOld(MallocLayout* l) {
  l->mmappedTrailer = 0;
  l->tcacheHoldsMmapped = 0;
}

// 2.43 (commit "malloc: Change mmap chunk layout"): mmap_size() = prev_size
// + chunksize + CHUNK_HDR_SZ, and free() tcaches mmapped chunks too.
void mmap243(MallocLayout* l) {
  l->mmappedTrailer = 16;
  l->tcacheHoldsMmapped = 1;
}

void noTcache(MallocLayout* l) {
  l->tcacheBins = 0;
  l->tcacheCountWidth = 1;
  l->tcacheEntriesOffset = 0;
  l->tcacheChunkSize = 0;
  l->tcacheCountsAreFreeSlots = 0;
  l->tcacheHasKey = 0;
  l->safeLinking = 0;
}

// 2.26-2.29: char counts[64]; entries at 0x40; chunk 0x250.
void tcacheChar(MallocLayout* l, bool key) {
  l->tcacheBins = 64;
  l->tcacheCountWidth = 1;
  l->tcacheEntriesOffset = 0x40;
  l->tcacheChunkSize = 0x250;
  l->tcacheCountsAreFreeSlots = 0;
  l->tcacheHasKey = key ? 1 : 0;
  l->safeLinking = 0;
}

// 2.30-2.41: uint16_t counts[64]; entries at 0x80; chunk 0x290.
void tcacheU16(MallocLayout* l, bool safeLinking) {
  l->tcacheBins = 64;
  l->tcacheCountWidth = 2;
  l->tcacheEntriesOffset = 0x80;
  l->tcacheChunkSize = 0x290;
  l->tcacheCountsAreFreeSlots = 0;
  l->tcacheHasKey = 1;
  l->safeLinking = safeLinking ? 1 : 0;
}

// 2.42+: uint16_t num_slots[76] (free slots); entries at 0x98; chunk 0x300.
void tcacheSlots(MallocLayout* l) {
  l->tcacheBins = 76;
  l->tcacheCountWidth = 2;
  l->tcacheEntriesOffset = 0x98;
  l->tcacheChunkSize = 0x300;
  l->tcacheCountsAreFreeSlots = 1;
  l->tcacheHasKey = 1;
  l->safeLinking = 1;
}

std::vector<NamedLayout> buildTable() {
  std::vector<NamedLayout> t;
  auto add = [&t](const char* name, void (*state)(MallocLayout*), void (*heap)(MallocLayout*), void (*mp)(MallocLayout*),
                  auto tcache, void (*mmap)(MallocLayout*) = mmapOld) {
    MallocLayout l;
    state(&l);
    heap(&l);
    mp(&l);
    tcache(&l);
    mmap(&l);
    t.push_back({name, l});
  };
  add("2.17-2.22", state217, heapInfo20, mp217, noTcache);
  add("2.23", state223, heapInfo20, mp217, noTcache);
  add("2.24-2.25", state223, heapInfo20, mp224, noTcache);
  add("2.26", state223, heapInfo20, mp226, [](MallocLayout* l) { tcacheChar(l, false); });
  add("2.27-2.28", state227, heapInfo20, mp226, [](MallocLayout* l) { tcacheChar(l, false); });
  add("2.29", state227, heapInfo20, mp226, [](MallocLayout* l) { tcacheChar(l, true); });
  add("2.30-2.31", state227, heapInfo20, mp226, [](MallocLayout* l) { tcacheU16(l, false); });
  add("2.32-2.33", state227, heapInfo20, mp226, [](MallocLayout* l) { tcacheU16(l, true); });
  add("2.34", state227, heapInfo20, mp226, [](MallocLayout* l) { tcacheU16(l, true); });
  add("2.35-2.41", state227, heapInfo30, mp235, [](MallocLayout* l) { tcacheU16(l, true); });
  add("2.42", state227, heapInfo30, mp235, tcacheSlots);
  add("2.43", state243, heapInfo30, mp243, tcacheSlots, mmap243);
  add("2.44", state243, heapInfo30, mp244, tcacheSlots, mmap243);
  return t;
}

}  // namespace

const std::vector<NamedLayout>& knownLayouts() {
  static const std::vector<NamedLayout> table = buildTable();
  return table;
}

}  // namespace ptmalloc
}  // namespace arenascope
