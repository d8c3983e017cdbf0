// Shared state of one walkArenas() run. Internal to native/ptmalloc.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "chunk_format.h"
#include "label_map.h"
#include "malloc_layout.h"
#include "span_reader.h"
#include "walk_types.h"

namespace arenascope {
namespace ptmalloc {

// What a free list says a chunk is.
enum MemberLabel : uint8_t {
  kLabelNone = 0,
  kLabelFast,
  kLabelUnsorted,
  kLabelSmall,
  kLabelLarge,
  kLabelTcache,
  kLabelInternal,  // the chunk holding a tcache_perthread_struct
};

struct Member {
  uint64_t addr;  // chunk header address
  uint64_t size;  // chunksize as read by the list walk
  uint8_t label;
  uint16_t bin;
  uint32_t owner;  // arena index (bins) or tcache index (tcache members)
};

// A stretch of arena memory walked chunk by chunk: a heap of a non-main
// arena, or a segment of the main arena.
struct Span {
  uint64_t start = 0;       // first byte counted in system_mem
  uint64_t end = 0;         // one past the last byte
  uint64_t firstChunk = 0;  // start + heap_info + malloc_state + padding
  uint32_t arena = 0;
  uint32_t heapReport = 0;  // index into the arena's heaps[]
  bool holdsTop = false;
  bool retiredHeap = false;  // non-main heap that no longer holds top
};

// Bounded anomaly list: the first kMaxDetailed are kept, the rest counted.
class AnomalySink {
 public:
  static constexpr size_t kMaxDetailed = 256;
  AnomalySink(std::vector<Anomaly>* list, uint64_t* suppressed) : list_(list), suppressed_(suppressed) {}
  void add(const char* kind, uint64_t address, std::string detail) {
    if (list_->size() < kMaxDetailed) {
      list_->push_back({kind, address, std::move(detail)});
    } else {
      ++*suppressed_;
    }
  }

 private:
  std::vector<Anomaly>* list_;
  uint64_t* suppressed_;
};

struct ArenaWork {
  ArenaReport report;
  std::map<std::pair<int, unsigned>, BinReport> binDetail;  // (kind, index) -> list-derived totals
  std::vector<uint8_t> state;  // malloc_state as read before the walk
  AnomalySink sink;
  // Exact-size histogram: direct slots for sizes below kHistDirect, a map above.
  static constexpr uint64_t kHistDirect = 1u << 16;
  std::vector<HistogramRow> histSmall;
  std::map<uint64_t, HistogramRow> histLarge;
  // Anomaly counts before the chunk walk, so a second walk can replace the first.
  size_t anomaliesBeforeWalk = 0;
  uint64_t suppressedBeforeWalk = 0;
  ArenaWork() : sink(&report.anomalies, &report.anomaliesSuppressed) {}
  ArenaWork(const ArenaWork&) = delete;
  ArenaWork& operator=(const ArenaWork&) = delete;
};

struct TcacheFound {
  uint64_t user = 0;  // tcache_perthread_struct address (chunk + 0x10)
  std::string foundBy;
  std::vector<uint32_t> counts;
  std::vector<uint8_t> image;  // struct bytes as read (for the after-walk comparison)
  uint64_t chunks = 0, bytes = 0;
};

inline uint64_t loadU64(const uint8_t* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}
inline uint32_t loadU32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
// Brent's cycle detection for singly-followed lists of hostile pointers:
// O(1) memory, reports a cycle within a small multiple of its length.
class CycleGuard {
 public:
  explicit CycleGuard(uint64_t first) : mark_(first) {}
  // True when `node` was seen before (the list loops).
  bool revisits(uint64_t node) {
    if (node == mark_) return true;
    if (++lam_ == power_) {
      mark_ = node;
      power_ <<= 1;
      lam_ = 0;
    }
    return false;
  }

 private:
  uint64_t mark_;
  uint64_t power_ = 1;
  uint64_t lam_ = 0;
};

inline std::string hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

class ArenaWalker {
 public:
  ArenaWalker(MemorySource* src, const MallocLayout& layout, const WalkOptions& options);
  WalkResult run();

 private:
  // arena_walker.cc
  void readMp();
  void walkRing();
  uint64_t stateU64(const ArenaWork& a, int64_t off) const { return loadU64(a.state.data() + off); }
  void discoverHeaps(uint32_t arenaIndex);
  void discoverNonMainHeaps(uint32_t arenaIndex);
  void discoverMainSegments(uint32_t arenaIndex);
  void finishArena(uint32_t arenaIndex);
  void compareAfter(uint32_t arenaIndex);
  // main_segments.cc
  struct Segment {
    uint64_t start, end;
    bool holdsTop;
  };
  std::vector<Segment> locateMainSegments(ArenaWork& a, uint64_t topEnd);
  bool walkSegmentEnd(uint64_t first, uint64_t limit, uint64_t top, uint64_t* end, bool* reachedTop);
  bool findSegmentBelow(uint64_t target, bool targetIsChunk, uint64_t budget, uint64_t* start);
  // free_lists.cc
  void walkFastbins(uint32_t arenaIndex);
  void walkBins(uint32_t arenaIndex);
  int arenaSpanOf(uint64_t addr, uint64_t len) const;
  BinReport& binReport(uint32_t arenaIndex, BinKind kind, unsigned index);
  // tcache_finder.cc
  void findKnownTcaches();
  bool tryTcache(uint64_t user, const char* foundBy, bool strict, std::string* why);
  void addTcacheMembers(size_t tcacheIndex, const std::vector<std::pair<uint64_t, uint64_t>>& entries);
  bool checkHeuristicCandidates();
  void reportTcaches();
  // chunk_walk.cc
  void labelMembers();
  void walkAllSpans();
  void walkSpan(const Span& span);
  void resetWalkTotals();

  AnomalySink& globalSink() { return globalSink_; }

  CountingSource src_;
  const MallocLayout& L_;
  const WalkOptions& O_;
  WalkResult result_;
  AnomalySink globalSink_;
  SpanReader mem_;
  std::vector<std::unique_ptr<ArenaWork>> arenas_;
  std::vector<Span> spans_;  // sorted by start once discovery is done
  std::vector<Member> members_;  // in discovery order
  size_t membersLabeled_ = 0;    // members_[0, membersLabeled_) are in labels_
  LabelMap labels_;
  std::vector<TcacheFound> tcaches_;
  std::vector<uint64_t> heuristicCandidates_;  // user pointers
  uint64_t heapMax_ = kDefaultHeapMax;
  uint64_t tcacheCountLimit_ = 0;
};

}  // namespace ptmalloc
}  // namespace arenascope
