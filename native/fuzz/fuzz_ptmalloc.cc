// Fuzzes the ptmalloc reader: the arena ring, heaps, bins, fastbins, tcache
// discovery and the chunk walk (walkArenas), plus the symbol-free scans for
// main_arena and mp_ and the heap_info reader, all over an ImageMemorySource
// built from the input.
//
// Input format (little-endian; scripts/fuzz/capture-seeds.mjs writes seeds in
// it from REAL heaps of the test targets):
//   u8  layout selector: a glibc minor version 17..44 picks the known layout
//       covering it; any other value picks knownLayouts()[value % count]
//   u8  flags: 1 withBins, 2 withHistogram, 4 withChunks, 8 withTcacheDetail,
//       16 the layout without tcache (glibc's malloc-debug DSO)
//   u8  segment count, u8 tcache hint count
//   u64 main_arena, u64 mp_, u64 heap_max, u64 &global_max_fast (0 = unknown)
//   u64 tcache hints (WalkOptions::tcacheStructs)
//   segments: u64 address, u32 length, then that many bytes (cut short at the
//   end of the input)
// Every value is hostile: the addresses, the layout choice and every byte of
// the image.
//
// Properties: no crash, no undefined behaviour, no leak, no hang (libFuzzer's
// -timeout), and the result's documented shape: bounded anomaly lists, the
// chunk table sorted by start, no arena reported twice, at most maxArenas.
#include <algorithm>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "memory/memory_source.h"
#include "ptmalloc/arena_scan.h"
#include "ptmalloc/arena_walker.h"
#include "ptmalloc/chunk_format.h"
#include "ptmalloc/known_layouts.h"

using namespace arenascope;
using namespace arenascope::ptmalloc;

namespace {

struct Cursor {
  const uint8_t* p;
  size_t n;
  uint8_t u8() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{u8()} << (8 * i);
    return v;
  }
  uint64_t u64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{u8()} << (8 * i);
    return v;
  }
};

// "2.30-2.31" covers 30..31, "2.23" covers 23, "master" nothing.
bool covers(const char* name, unsigned minor) {
  unsigned from = 0, to = 0;
  if (std::sscanf(name, "2.%u-2.%u", &from, &to) == 2) return minor >= from && minor <= to;
  if (std::sscanf(name, "2.%u", &from) == 1) return minor == from;
  return false;
}

MallocLayout pickLayout(uint8_t selector, bool noTcache) {
  const auto& table = knownLayouts();
  const NamedLayout* chosen = &table[selector % table.size()];
  for (const NamedLayout& l : table) {
    if (covers(l.name, selector)) chosen = &l;
  }
  MallocLayout layout = chosen->layout;
  if (noTcache) {
    layout.tcacheBins = 0;
    layout.tcacheCountWidth = 0;
    layout.tcacheEntriesOffset = 0;
    layout.tcacheChunkSize = 0;
    layout.tcacheCountsAreFreeSlots = 0;
    layout.tcacheHasKey = 0;
  }
  return layout;
}

// AnomalyLog keeps kExamplesPerKind examples of each of at most kMaxKinds kinds.
constexpr size_t kMaxAnomalies = AnomalyLog::kExamplesPerKind * AnomalyLog::kMaxKinds;

// Every anomaly counted once: the counts add up to the total, and no kind
// keeps more examples than the log allows.
void checkAnomalies(const AnomalyReport& a, const char* where) {
  uint64_t sum = 0;
  for (const AnomalyCount& c : a.counts) sum += c.count;
  FUZZ_CHECK(sum == a.total, "%s: anomaly counts add up to %llu, total %llu", where, (unsigned long long)sum, (unsigned long long)a.total);
  FUZZ_CHECK(a.examples.size() <= kMaxAnomalies, "%s: %zu examples kept", where, a.examples.size());
  bool consequenceSeen = false;
  for (const Anomaly& e : a.examples) {
    if (isConsequence(e.kind)) consequenceSeen = true;
    else FUZZ_CHECK(!consequenceSeen, "%s: root cause %s listed after a consequence", where, e.kind.c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Cursor in{data, size};
  uint8_t selector = in.u8();
  uint8_t flags = in.u8();
  uint8_t nSegments = in.u8();
  uint8_t nHints = in.u8();
  WalkOptions opt;
  opt.mainArena = in.u64();
  opt.mp = in.u64();
  opt.heapMaxSize = in.u64();
  opt.globalMaxFast = in.u64();
  opt.withBins = flags & 1;
  opt.withHistogram = flags & 2;
  opt.chunkMap = flags & 4;
  opt.withTcacheDetail = flags & 8;
  opt.residency = flags & 32;
  opt.confirm = flags & 128;
  if (flags & 64) {
    opt.heapMapArena = opt.mainArena;
    opt.heapMapCells = 64;
  }
  for (uint8_t i = 0; i < nHints; ++i) opt.tcacheStructs.push_back(in.u64());

  ImageMemorySource image;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (uint8_t i = 0; i < nSegments && in.n > 0; ++i) {
    uint64_t address = in.u64();
    size_t len = std::min<size_t>(in.u32(), in.n);
    image.addSegment(address, in.p, len);
    if (len && address + len > address) ranges.emplace_back(address, address + len);
    in.p += len;
    in.n -= len;
  }

  MallocLayout layout = pickLayout(selector, flags & 16);
  std::string why;
  FUZZ_CHECK(validateLayout(layout, &why), "known layout %u rejected: %s", selector, why.c_str());

  WalkResult r = walkArenas(&image, layout, opt);

  if (std::getenv("FUZZ_DEBUG")) {
    // Replaying one input by hand: what the walker made of it.
    std::fprintf(stderr, "layout %u flags %#x: %zu arenas, %llu global anomalies, ring closed %d\n", selector, flags,
                 r.arenas.size(), (unsigned long long)r.anomalies.total, r.ringClosed);
    for (const ArenaReport& a : r.arenas) {
      std::fprintf(stderr, "  arena %#llx heaps %zu inUse %llu/%llu free tcache %llu fast %llu unsorted %llu small %llu large %llu, %zu anomalies%s\n",
                   (unsigned long long)a.address, a.heaps.size(), (unsigned long long)a.inUse.chunks,
                   (unsigned long long)a.inUse.bytes, (unsigned long long)a.tcache.chunks,
                   (unsigned long long)a.fastbins.chunks, (unsigned long long)a.unsorted.chunks,
                   (unsigned long long)a.smallbins.chunks, (unsigned long long)a.largebins.chunks, a.anomalies.examples.size(),
                   a.identityHolds ? ", identity holds" : "");
      for (const Anomaly& an : a.anomalies.examples) std::fprintf(stderr, "    %s %#llx %s\n", an.kind.c_str(), (unsigned long long)an.address, an.detail.c_str());
    }
    for (const Anomaly& an : r.anomalies.examples) std::fprintf(stderr, "  %s %#llx %s\n", an.kind.c_str(), (unsigned long long)an.address, an.detail.c_str());
  }

  checkAnomalies(r.anomalies, "global");
  FUZZ_CHECK(r.arenas.size() <= opt.maxArenas, "%zu arenas, max %u", r.arenas.size(), opt.maxArenas);
  // What the walk holds must not follow the (hostile) sizes it read.
  FUZZ_CHECK(r.memoryBytes < (256ull << 20), "walk held %llu bytes", (unsigned long long)r.memoryBytes);
  std::set<uint64_t> seen;
  for (const ArenaReport& a : r.arenas) {
    FUZZ_CHECK(seen.insert(a.address).second, "arena %#llx reported twice", (unsigned long long)a.address);
    checkAnomalies(a.anomalies, "arena");
    if (a.hasResidency) {
      const ResidencyTotals& t = a.residency;
      FUZZ_CHECK(t.inUse + t.free + t.overhead == t.resident, "residency classes do not add up to resident");
      FUZZ_CHECK(t.top <= t.free, "top pages outside the free ones");
    }
    if (a.hasHeapMap) {
      const auto& b = a.heapMap.bytes;
      for (size_t c = 0; c + 2 < b.size(); c += 3) {
        FUZZ_CHECK(b[c] + b[c + 1] + b[c + 2] <= static_cast<double>(a.heapMap.cellBytes), "heap map cell over-full");
      }
    }
  }
  if (r.chunkMap) {
    // Spans in order and disjoint; every chunk the map names lies in its span.
    const auto& spans = r.chunkMap->spans();
    for (size_t i = 1; i < spans.size(); ++i) FUZZ_CHECK(spans[i - 1].end <= spans[i].start, "chunk map spans overlap");
    for (const auto& sp : spans) {
      uint64_t at = sp.start, cs, ce;
      uint8_t mark;
      uint32_t arena;
      unsigned n = 0;
      while (n++ < 4096 && r.chunkMap->nextChunk(at, sp.end, &cs, &ce, &mark, &arena)) {
        FUZZ_CHECK(cs >= sp.start && ce <= sp.end && cs < ce, "chunk map names a chunk outside its span");
        at = cs + 16;
      }
    }
  }

  // The symbol-free scans over each captured range (the walker's neighbours
  // in discovery; they read the same hostile bytes), and heap_info at the
  // heap_max-aligned addresses inside them.
  uint64_t heapMax = opt.heapMaxSize ? opt.heapMaxSize : kDefaultHeapMax;
  for (const auto& [start, end] : ranges) {
    std::vector<MainArenaCandidate> arenas = scanForMainArena(&image, start, end, layout, heapMax);
    for (size_t i = 1; i < arenas.size(); ++i) FUZZ_CHECK(arenas[i - 1].score >= arenas[i].score, "candidates not best first");
    std::vector<MallocParCandidate> mps = scanForMallocPar(&image, start, end, layout);
    for (size_t i = 1; i < mps.size(); ++i) FUZZ_CHECK(mps[i - 1].score >= mps[i].score, "mp candidates not best first");
    if (heapMax >= 4096 && (heapMax & (heapMax - 1)) == 0) {
      unsigned probes = 0;
      for (uint64_t a = (start + heapMax - 1) & ~(heapMax - 1); a < end && a >= start && probes < 64; a += heapMax, ++probes) {
        HeapInfoValues hi;
        readHeapInfo(&image, a, layout, &hi);
      }
    }
  }
  return 0;
}
