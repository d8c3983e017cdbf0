// Shared state of one walkArenas() run. Internal to native/ptmalloc.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "anomaly_log.h"
#include "bin_hash.h"
#include "chunk_format.h"
#include "heap_cells.h"
#include "malloc_layout.h"
#include "member_map.h"
#include "residency.h"
#include "span_reader.h"
#include "walk_types.h"
#include "window_reader.h"

namespace arenascope {
namespace ptmalloc {

// A stretch of arena memory walked chunk by chunk: a heap of a non-main
// arena, or a segment of the main arena.
struct Span {
  uint64_t start = 0;       // first byte counted in system_mem
  uint64_t end = 0;         // one past the last byte
  uint64_t firstChunk = 0;  // start + heap_info + malloc_state + padding
  uint64_t mprotectEnd = 0;  // end of what can be resident (heap_info.mprotect_size)
  uint32_t arena = 0;
  uint32_t heapReport = 0;  // index into the arena's heaps[]
  bool holdsTop = false;
  bool retiredHeap = false;  // non-main heap that no longer holds top
};

struct ArenaWork {
  ArenaReport report;
  std::map<std::pair<int, unsigned>, BinReport> binDetail;  // (kind, index) -> totals
  std::vector<uint8_t> state;  // malloc_state as read before the walk
  // malloc_state.mutex was held when the state was read again after the walk.
  bool lockedAfter = false;
  AnomalyLog log;
  // What discovery (the ring, the heap chain, main-arena segments) found
  // before any chunk walk: every walk of the arena starts from it again.
  AnomalyLog discoveryLog;
  // Members the explicit list walks named in this arena (for the chunk walk's
  // check that it met them all).
  uint64_t members = 0;
  // Bin hashes: [1] the unsorted bin, [2..127] the small and large bins.
  BinHashes binHashes;
  // Which side of "unsorted or binned" the list walk named (free_lists.cc):
  // kUnsortedListed: every unsorted member is in members_ (kLabelUnsorted),
  // any other free chunk is in the bin its size names. kBinsListed: every
  // small- and large-bin member is in binMembers_, any other free chunk is
  // unsorted (some of them also labelled, from the walk's first steps).
  enum class Listed : uint8_t { kUnsorted, kBins };
  Listed listed = Listed::kUnsorted;
  // The unsorted list broke during the walk (its anomaly already logged).
  bool unsortedBroken = false;
  // Fastbin members found by the chunk walk itself (free_lists.cc,
  // inferFastbins): a chunk that looks in use, of a fastbin's size, whose
  // safe-linked fd reveals 0 or a chunk address of this arena. Each list's
  // candidates are checked as one list from its head by a hash (a singly
  // linked list maps head and nodes one-to-one onto nodes and NULL).
  struct FastInference {
    bool on = false;
    std::array<uint64_t, kMaxFastbins> heads{};
    std::array<uint64_t, kMaxFastbins> nodes{}, nexts{}, count{};
    bool holds() const;
  };
  FastInference fast;
  // Exact-size histogram: direct slots for sizes below kHistDirect, a map
  // above, bounded by kHistLargeMax distinct sizes (the rest in one row).
  static constexpr uint64_t kHistDirect = 1u << 16;
  static constexpr size_t kHistLargeMax = 4096;
  std::vector<HistogramRow> histSmall;
  std::map<uint64_t, HistogramRow> histLarge;
  HistogramRow histOverflow;
  HeapCells cells;
  ArenaWork() = default;
  ArenaWork(const ArenaWork&) = delete;
  ArenaWork& operator=(const ArenaWork&) = delete;
};

struct TcacheFound {
  uint64_t user = 0;  // tcache_perthread_struct address (chunk + 0x10)
  std::string foundBy;
  std::vector<uint32_t> counts;
  std::vector<uint8_t> image;  // struct bytes as read (for the after-walk comparison)
  uint64_t chunks = 0, bytes = 0;
  uint32_t arena = UINT32_MAX;  // the arena whose heap holds it
  std::vector<std::pair<uint64_t, uint64_t>> entries;  // (chunk, size), bounded by tcache_count x bins
  // Entries that are mmapped chunks (2.43+ free() tcaches them): in no arena,
  // counted in chunks/bytes too.
  uint64_t mmappedChunks = 0, mmappedBytes = 0;
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
  // Report fields that come straight from the malloc_state bytes in w.state.
  void applyState(ArenaWork& w);
  uint64_t stateU64(const ArenaWork& a, int64_t off) const { return loadU64(a.state.data() + off); }
  void discoverHeaps(uint32_t arenaIndex);
  void discoverNonMainHeaps(uint32_t arenaIndex);
  void discoverMainSegments(uint32_t arenaIndex);
  void walkArena(uint32_t arenaIndex);
  // One walk of the arena; inferFast: fastbin members from the chunk walk
  // (false when the inference's hash check failed: the lists are walked).
  // False when the inference failed.
  bool walkArenaOnce(uint32_t arenaIndex, bool inferFast);
  void resetArena(uint32_t arenaIndex);
  void listArena(uint32_t arenaIndex);
  void confirmArena(uint32_t arenaIndex);
  // Keeps `confirmed` as the arena's anomalies; whatever some read saw
  // (seenCounts, one entry per read) beyond it is counted as torn.
  void keepConfirmed(uint32_t arenaIndex, const std::vector<std::vector<AnomalyCount>>& seenCounts, AnomalyLog confirmed,
                     bool still);
  // Reads the arena's malloc_state again (list heads, top, system_mem) for
  // a second walk; false when it cannot be read.
  bool refreshArenaState(uint32_t arenaIndex);
  void finishArena(uint32_t arenaIndex);
  bool compareAfter(uint32_t arenaIndex);
  void noteMemory();
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
  // Sets up inference of fastbin members by the chunk walk (instead of
  // walking the lists); false when the layout does not allow it.
  bool beginFastInference(uint32_t arenaIndex);
  void checkFastchunksHint(uint32_t arenaIndex, bool anyFast);
  void walkUnsorted(uint32_t arenaIndex);
  void initBinHashes(uint32_t arenaIndex);
  void checkBinHashes(uint32_t arenaIndex);
  void walkBinExplicitly(uint32_t arenaIndex, unsigned bin);
  int arenaSpanOf(uint64_t addr, uint64_t len) const;
  // Whether [addr, addr+len) meets any span (len 0 or a wrapping range: true).
  bool overlapsSpan(uint64_t addr, uint64_t len) const;
  BinReport& binReport(uint32_t arenaIndex, BinKind kind, unsigned index);
  void addMember(uint32_t arenaIndex, uint64_t chunk, uint8_t label);
  // tcache_finder.cc
  void findKnownTcaches();
  bool tryTcache(uint64_t user, const char* foundBy, bool strict, std::string* why);
  // Reads the tcache_perthread_struct at user into *out (entries validated;
  // what is wrong with a list goes to *problems). strict (the scan) rejects a
  // chunk whose counters and heads are not a tcache's: one wrong past a good
  // head is the tcache's damage and goes to *problems as well.
  bool parseTcache(uint64_t user, bool strict, TcacheFound* out, std::vector<std::string>* problems, std::string* why);
  // Reads every known tcache again (for a confirming walk); the lists'
  // problems go to *problems when given.
  void refreshTcaches(AnomalyLog* problems = nullptr);
  // Reads the tcaches again and keeps only the problems both reads saw.
  void confirmTcaches();
  void addTcacheMembers(size_t tcacheIndex);
  bool checkHeuristicCandidates();
  void reportTcaches();
  // chunk_walk.cc
  void walkSpan(const Span& span);
  // Whether in-use-looking chunk c of size sz is a fastbin member by its fd
  // (ArenaWork::FastInference); counts it into the list's hash if so.
  bool fastGuess(ArenaWork& a, const Span& span, uint64_t c, uint64_t sz);
  void checkMembersMet(uint32_t arenaIndex);

  AnomalyLog& globalLog() { return globalLog_; }

  CountingSource src_;
  const MallocLayout& L_;
  const WalkOptions& O_;
  WalkResult result_;
  AnomalyLog globalLog_;
  // What is wrong with the tcache lists (confirmed by a second read like an
  // arena's anomalies, then reported with the global ones).
  AnomalyLog tcacheLog_;
  SpanReader mem_;
  WindowReader window_;
  std::vector<std::unique_ptr<ArenaWork>> arenas_;
  std::vector<Span> spans_;  // sorted by start once discovery is done
  MemberMap members_;
  // Small- and large-bin members, when the bins were the shorter side
  // (ArenaWork::Listed::kBins); label 1.
  MemberMap binMembers_;
  std::unordered_set<uint64_t> internalChunks_;  // tcache_perthread_struct chunks
  std::vector<TcacheFound> tcaches_;
  // In-use chunks of the tcache struct's size, to check as tcaches after the
  // walk: user pointers, at most kMaxHeuristicCandidates (the rest counted).
  static constexpr size_t kMaxHeuristicCandidates = 1u << 16;
  std::vector<uint64_t> heuristicCandidates_;
  uint64_t heuristicCandidatesDropped_ = 0;
  uint64_t heapMax_ = kDefaultHeapMax;
  uint64_t tcacheCountLimit_ = 0;
  // Where chunks are streamed (options.chunkSink during an arena's first walk only).
  ChunkSink* sink_ = nullptr;
  // Residency: the states of the span being walked.
  std::vector<uint8_t> pageStates_;
  SpanResidency spanResidency_;
};

}  // namespace ptmalloc
}  // namespace arenascope
