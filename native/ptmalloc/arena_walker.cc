// walkArenas: the arena ring, each arena's heaps, and the final accounting.
// Free lists, tcache discovery and the chunk walk live in their own files.
#include "arena_walker.h"

#include <algorithm>
#include <unordered_set>

#include "walker_internal.h"

namespace arenascope {
namespace ptmalloc {

namespace {
// Upper bound on heaps per non-main arena: a 47-bit address space holds at
// most 2^47 / HEAP_MIN_SIZE (32 KiB) of them, but no real process comes near
// this; it only has to stop a hostile prev chain.
constexpr size_t kMaxHeapsPerArena = 1u << 16;
// Memory the random-access reader may keep cached (heap bytes). It serves
// only what jumps around: the unsorted bin, a bin walked after a failed hash
// check, tcache structs, main-arena segment discovery. The chunk walk itself
// reads through one window (window_reader.h), so no heap is ever held.
constexpr uint64_t kSpanCacheBudget = 2ull << 20;
// HEAP_MIN_SIZE = 32 KiB: no heap_max can be smaller.
constexpr uint64_t kHeapMinSize = 32 * 1024;
// Largest span whose residency is joined: 128 GiB, 32 MiB of page states.
constexpr uint64_t kMaxResidencySpan = 128ull << 30;

bool isPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }
}  // namespace

ArenaWalker::ArenaWalker(MemorySource* src, const MallocLayout& layout, const WalkOptions& options)
    : src_(src), L_(layout), O_(options), mem_(&src_, kSpanCacheBudget), window_(&src_) {}

void ArenaWalker::readMp() {
  MpValues& mp = result_.mp;
  std::vector<uint8_t> buf(static_cast<size_t>(L_.mpSize));
  if (O_.mp == 0 || !src_.readExact(O_.mp, buf.data(), buf.size())) {
    globalLog_.add("mp-unreadable", O_.mp, "malloc_par (mp_) could not be read; sbrk_base and tcache_count unknown");
    return;
  }
  auto u64 = [&](int64_t off) -> uint64_t { return loadU64(buf.data() + off); };
  auto i32 = [&](int64_t off) -> int64_t { return static_cast<int32_t>(loadU32(buf.data() + off)); };
  auto opt64 = [&](int64_t off) -> int64_t { return off >= 0 ? static_cast<int64_t>(u64(off)) : -1; };
  mp.readable = true;
  mp.trimThreshold = u64(L_.mpTrimThreshold);
  mp.topPad = u64(L_.mpTopPad);
  mp.mmapThreshold = u64(L_.mpMmapThreshold);
  mp.arenaTest = u64(L_.mpArenaTest);
  mp.arenaMax = u64(L_.mpArenaMax);
  mp.nMmaps = i32(L_.mpNMmaps);
  mp.nMmapsMax = i32(L_.mpNMmapsMax);
  mp.maxNMmaps = i32(L_.mpMaxNMmaps);
  mp.noDynThreshold = i32(L_.mpNoDynThreshold);
  mp.mmappedMem = u64(L_.mpMmappedMem);
  mp.maxMmappedMem = u64(L_.mpMaxMmappedMem);
  mp.sbrkBase = u64(L_.mpSbrkBase);
  mp.thpPagesize = opt64(L_.mpThpPagesize);
  mp.hpPagesize = opt64(L_.mpHpPagesize);
  mp.hpFlags = L_.mpHpFlags >= 0 ? i32(L_.mpHpFlags) : -1;
  mp.maxTotalMem = opt64(L_.mpMaxTotalMem);
  mp.tcacheBins = opt64(L_.mpTcacheBins);
  mp.tcacheMaxBytes = opt64(L_.mpTcacheMaxBytes);
  mp.tcacheCount = opt64(L_.mpTcacheCount);
  mp.tcacheUnsortedLimit = opt64(L_.mpTcacheUnsortedLimit);
}

void ArenaWalker::walkRing() {
  std::unordered_set<uint64_t> visited;
  uint64_t addr = O_.mainArena;
  while (true) {
    auto w = std::make_unique<ArenaWork>();
    w->state.resize(static_cast<size_t>(L_.stateSize));
    if (addr == 0 || (addr & 7) != 0 || !src_.readExact(addr, w->state.data(), w->state.size())) {
      globalLog_.add("arena-unreadable", addr, "malloc_state could not be read; the ring walk stops here");
      return;
    }
    visited.insert(addr);
    ArenaReport& r = w->report;
    r.address = addr;
    r.main = addr == O_.mainArena;
    applyState(*w);
    uint64_t next = r.next;
    arenas_.push_back(std::move(w));
    if (next == O_.mainArena) {
      result_.ringClosed = true;
      return;
    }
    if (arenas_.size() >= O_.maxArenas) {
      globalLog_.add("ring-unclosed", next, "arena ring did not close within maxArenas");
      return;
    }
    // Non-main arenas sit right after a heap_info at a heap_max-aligned base.
    if (next == 0 || ((next - static_cast<uint64_t>(L_.heapInfoSize)) & (heapMax_ - 1)) != 0) {
      globalLog_.add("arena-next-invalid", addr, "next = " + hex(next) + " is not heap_max-aligned + sizeof(heap_info)");
      return;
    }
    if (visited.count(next)) {
      globalLog_.add("ring-cycle", next, "arena ring loops without returning to main_arena");
      return;
    }
    addr = next;
  }
}

void ArenaWalker::applyState(ArenaWork& w) {
  ArenaReport& r = w.report;
  r.mutex = loadU32(w.state.data());
  r.flags = loadU32(w.state.data() + L_.offFlags);
  r.next = stateU64(w, L_.offNext);
  r.nextFree = stateU64(w, L_.offNextFree);
  r.attachedThreads = L_.offAttachedThreads >= 0 ? static_cast<int64_t>(stateU64(w, L_.offAttachedThreads)) : -1;
  r.systemMem = stateU64(w, L_.offSystemMem);
  r.maxSystemMem = stateU64(w, L_.offMaxSystemMem);
  r.topAddress = stateU64(w, L_.offTop);
  r.lastRemainder = stateU64(w, L_.offLastRemainder);
  if (r.mutex != 0) r.approximate = true;  // a thread is inside malloc on this arena
}

bool ArenaWalker::refreshArenaState(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  std::vector<uint8_t> now(a.state.size());
  if (!src_.readExact(a.report.address, now.data(), now.size())) return false;
  a.state = std::move(now);
  applyState(a);
  return true;
}

void ArenaWalker::discoverHeaps(uint32_t i) {
  if (arenas_[i]->report.main) {
    discoverMainSegments(i);
  } else {
    discoverNonMainHeaps(i);
  }
}

void ArenaWalker::discoverNonMainHeaps(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  ArenaReport& r = a.report;
  const uint64_t hi = static_cast<uint64_t>(L_.heapInfoSize);
  if (r.topAddress == 0 || (r.topAddress & kAlignMask) != 0) {
    a.log.add("top-invalid", r.topAddress, "top chunk pointer is null or misaligned");
    return;
  }
  struct HeapInfo {
    uint64_t base, prev, size, mprotectSize;
  };
  std::vector<HeapInfo> chain;
  std::unordered_set<uint64_t> seen;
  uint64_t heap = r.topAddress & ~(heapMax_ - 1);
  while (heap != 0) {
    if (chain.size() >= kMaxHeapsPerArena || !seen.insert(heap).second) {
      a.log.add("heap-chain-cycle", heap, "heap_info.prev chain loops or is too long");
      break;
    }
    uint8_t buf[0x30];
    if (!src_.readExact(heap, buf, static_cast<size_t>(hi))) {
      a.log.add("heap-info-unreadable", heap, "heap_info could not be read");
      break;
    }
    HeapInfo h{heap, loadU64(buf + 8), loadU64(buf + 0x10), loadU64(buf + 0x18)};
    if (loadU64(buf) != r.address) {
      a.log.add("heap-owner-mismatch", heap, "heap_info.ar_ptr = " + hex(loadU64(buf)) + " is not this arena");
      break;
    }
    // heap sizes are page multiples between the header and heap_max (new_heap, grow_heap).
    if (h.size <= hi || h.size > heapMax_ || (h.size & (kPageSize - 1)) != 0) {
      a.log.add("heap-size-invalid", heap, "heap_info.size = " + hex(h.size));
      break;
    }
    if (h.mprotectSize < h.size || h.mprotectSize > heapMax_) {
      a.log.add("heap-mprotect-invalid", heap, "heap_info.mprotect_size = " + hex(h.mprotectSize));
    }
    chain.push_back(h);
    if (h.prev != 0 && (h.prev & (heapMax_ - 1)) != 0) {
      a.log.add("heap-prev-misaligned", heap, "heap_info.prev = " + hex(h.prev) + " is not heap_max-aligned");
      break;
    }
    heap = h.prev;
  }
  if (chain.empty()) return;
  if (chain.back().base + hi != r.address) {
    a.log.add("first-heap-missing", r.address, "heap chain does not end at the heap holding the arena");
  }
  std::reverse(chain.begin(), chain.end());  // oldest (the arena's own heap) first
  for (size_t k = 0; k < chain.size(); ++k) {
    const HeapInfo& h = chain[k];
    Span s;
    s.start = h.base;
    s.end = h.base + h.size;
    // The arena's own heap: heap_info, malloc_state, then the first chunk
    // moved up so that chunk2mem is MALLOC_ALIGNMENT-aligned (_int_new_arena).
    if (h.base + hi == r.address) {
      s.firstChunk = alignUp(h.base + hi + static_cast<uint64_t>(L_.stateSize) + kChunkHeader, kMallocAlignment) - kChunkHeader;
    } else {
      s.firstChunk = h.base + hi;  // later heaps: right after heap_info (sysmalloc)
    }
    s.mprotectEnd = h.base + std::min(std::max(h.size, h.mprotectSize), heapMax_);
    s.arena = ai;
    s.heapReport = static_cast<uint32_t>(r.heaps.size());
    s.holdsTop = k + 1 == chain.size();
    s.retiredHeap = !s.holdsTop;
    HeapReport hr;
    hr.start = h.base;
    hr.size = h.size;
    hr.mprotectSize = h.mprotectSize;
    hr.reserved = heapMax_;
    hr.firstChunk = s.firstChunk;
    r.heaps.push_back(hr);
    spans_.push_back(s);
  }
}

void ArenaWalker::discoverMainSegments(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  ArenaReport& r = a.report;
  const uint64_t initialTop = r.address + static_cast<uint64_t>(L_.offTop);
  // An arena nobody allocated from still has top = initial_top(av), the
  // unsorted bin's fake chunk (malloc_init_state); 0 before ptmalloc_init.
  if (r.topAddress == initialTop || r.topAddress == 0) {
    if (r.systemMem != 0) a.log.add("main-top-unset", r.topAddress, "top is initial but system_mem is not 0");
    return;
  }
  if ((r.topAddress & kAlignMask) != 0) {
    a.log.add("top-invalid", r.topAddress, "top chunk pointer is misaligned");
    return;
  }
  uint64_t topHeader[2];
  if (!src_.readExact(r.topAddress, topHeader, sizeof topHeader)) {
    a.log.add("top-unreadable", r.topAddress, "top chunk header could not be read");
    return;
  }
  const uint64_t topEnd = r.topAddress + chunkSize(topHeader[1]);
  const uint64_t sbrk = result_.mp.sbrkBase;
  auto addSpan = [&](uint64_t start, uint64_t end, bool holdsTop) {
    Span s;
    s.start = start;
    s.end = end;
    s.firstChunk = alignUp(start, kMallocAlignment);  // sysmalloc's front_misalign correction
    s.mprotectEnd = end;
    s.arena = ai;
    s.heapReport = static_cast<uint32_t>(r.heaps.size());
    s.holdsTop = holdsTop;
    HeapReport hr;
    hr.start = start;
    hr.size = end - start;
    hr.mprotectSize = end - start;
    hr.reserved = end - start;
    hr.firstChunk = s.firstChunk;
    r.heaps.push_back(hr);
    spans_.push_back(s);
  };
  const bool contiguous = (r.flags & kNoncontiguousBit) == 0;
  if (contiguous && sbrk != 0 && sbrk <= r.topAddress && topEnd > r.topAddress) {
    uint64_t end = topEnd;
    if (sbrk + r.systemMem != topEnd) {
      // One of top's size and system_mem is off (foreign sbrk, a heap
      // changing under us, or corruption): walk the shorter extent, which
      // still holds top's header.
      end = std::max(r.topAddress + kChunkHeader, std::min(topEnd, sbrk + r.systemMem));
      a.log.add("main-not-contiguous", sbrk, "sbrk_base + system_mem != end of top chunk");
    }
    addSpan(sbrk, end, true);
    return;
  }
  // Non-contiguous main arena (brk failed, or hugetlb on 2.35-2.41).
  std::vector<Segment> segments = locateMainSegments(a, topEnd);
  std::sort(segments.begin(), segments.end(), [](const Segment& x, const Segment& y) { return x.start < y.start; });
  for (const Segment& g : segments) addSpan(g.start, g.end, g.holdsTop);
}

// The arena's malloc_state read again after its walk: a held lock or any
// change means the walk saw a heap in motion.
bool ArenaWalker::compareAfter(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  std::vector<uint8_t> after(a.state.size());
  if (!src_.readExact(a.report.address, after.data(), after.size())) {
    a.report.approximate = true;
    a.lockedAfter = false;
    a.log.add("arena-unreadable-after", a.report.address, "malloc_state unreadable after the walk");
    return false;
  }
  a.lockedAfter = loadU32(after.data()) != 0;
  const bool moved = a.lockedAfter || after != a.state;
  if (moved) a.report.approximate = true;
  return !moved;
}

void ArenaWalker::resetArena(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  ArenaReport& r = a.report;
  r.inUse = r.internal = r.fastbins = r.unsorted = r.smallbins = r.largebins = r.tcache = r.freeUnlisted = CountBytes{};
  r.overhead = 0;
  r.topSize = 0;
  r.residency = ResidencyTotals{};
  for (auto& h : r.heaps) h.chunksWalked = 0;
  a.binDetail.clear();
  a.histSmall.clear();
  a.histLarge.clear();
  a.histOverflow = HistogramRow{};
  a.log = a.discoveryLog;
  a.members = 0;
  for (const Span& s : spans_) {
    if (s.arena != ai) continue;
    members_.clearRange(s.start, s.end);
    binMembers_.clearRange(s.start, s.end);
  }
}

// The chunk listing (options.chunkSink) of one arena, after everything else:
// a walk of its own on a scratch copy of the arena, so the listing says what
// the final classification says (tcaches the heuristic found after the first
// walk included) and the arena's results stay those of the walks before.
void ArenaWalker::listArena(uint32_t ai) {
  std::unique_ptr<ArenaWork> original = std::move(arenas_[ai]);
  auto scratch = std::make_unique<ArenaWork>();
  scratch->report = original->report;
  scratch->state = original->state;
  arenas_[ai] = std::move(scratch);
  resetArena(ai);
  sink_ = O_.chunkSink;
  walkArena(ai);
  sink_ = nullptr;
  arenas_[ai] = std::move(original);
  heuristicCandidates_.clear();
}

void ArenaWalker::walkArena(uint32_t ai) {
  if (walkArenaOnce(ai, true)) return;
  // The fastbin members the chunk walk inferred were not the lists: walk the
  // lists and the arena again.
  resetArena(ai);
  walkArenaOnce(ai, false);
}

bool ArenaWalker::walkArenaOnce(uint32_t ai, bool inferFast) {
  ArenaWork& a = *arenas_[ai];
  ArenaReport& r = a.report;
  mem_.forget();  // each walk reads the heap afresh
  // Everything this walk finds was judged against this malloc_state.
  a.log.setSalt(AnomalyLog::detailHash(std::string(a.state.begin(), a.state.end())) | 1);
  if (O_.withHistogram) a.histSmall.assign(ArenaWork::kHistDirect >> 4, HistogramRow{});
  if (O_.heapMapArena != 0 && O_.heapMapArena == r.address) {
    std::vector<std::pair<uint64_t, uint64_t>> heaps;
    for (const HeapReport& h : r.heaps) heaps.emplace_back(h.start, h.reserved);
    a.cells.begin(heaps, O_.heapMapCells);
  }
  if (!inferFast || !beginFastInference(ai)) {
    a.fast.on = false;
    walkFastbins(ai);
  }
  initBinHashes(ai);
  walkUnsorted(ai);
  // Tcache entries are chunks of whichever arena they came from.
  for (const TcacheFound& t : tcaches_) {
    for (const auto& e : t.entries) {
      int s = arenaSpanOf(e.first, kMinSize);
      if (s >= 0 && spans_[static_cast<size_t>(s)].arena == ai) addMember(ai, e.first, kLabelTcache);
    }
  }
  for (size_t i = 0; i < spans_.size(); ++i) {
    const Span& s = spans_[i];
    if (s.arena != ai) continue;
    throwIfCanceled(O_.cancel);
    if (result_.chunkMap) result_.chunkMap->beginSpan(i);
    if (O_.residency) {
      // Where the span can be resident: to mprotect_size; the main arena's
      // whole [heap] (what lies before sbrk_base counts as its overhead).
      uint64_t from = pageFloor(s.start), to = pageCeil(s.mprotectEnd);
      if (r.main && O_.brkEnd > O_.brkStart && s.start >= O_.brkStart && s.start < O_.brkEnd) {
        from = std::min(from, pageFloor(O_.brkStart));
        to = std::max(to, pageCeil(O_.brkEnd));
      }
      // One byte a page: a span beyond kMaxResidencySpan (hostile sizes;
      // no real heap) gets no residency rather than gigabytes of states.
      if (to - from > kMaxResidencySpan) {
        a.log.add("residency-span-too-large", s.start, "heap span too large to join residency page by page");
      } else if (src_.pageStates(from, to, &pageStates_)) {
        const bool contiguous = (r.flags & kNoncontiguousBit) == 0;
        const bool topTrims = r.main && contiguous && s.holdsTop && O_.brkEnd != 0 && pageCeil(s.end) == pageCeil(O_.brkEnd);
        spanResidency_.begin(from, to, &pageStates_, &r.residency, &O_.trim, topTrims);
        r.hasResidency = true;
      } else {
        a.log.add("residency-unknown", s.start, "page residency (pagemap) could not be read for this heap");
      }
    }
    walkSpan(s);
    if (spanResidency_.active()) spanResidency_.finish();
    noteMemory();
  }
  if (a.fast.on && !a.fast.holds()) return false;
  r.fastbinsBy = !L_.hasFastbins() ? "none" : a.fast.on ? "inferred" : "walked";
  r.unsortedBy = a.listed == ArenaWork::Listed::kBins ? "remainder" : "walked";
  checkBinHashes(ai);
  checkMembersMet(ai);
  return true;
}

void ArenaWalker::confirmArena(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  // The first read's anomalies, then more reads of the same arena: what every
  // read saw is in the heap; what one missed was the heap moving. Each re-read
  // starts from the arena's state and tcaches as they are then (list heads
  // read a while ago point at chunks since handed out again) and from nothing
  // cached. Two reads are not always enough on a busy arena: _int_malloc sets
  // the next chunk's PREV_INUSE before it unlinks the victim, so a chunk that
  // is taken, freed and taken again can read "binned but marked in use" twice
  // in a row; each further read makes such a coincidence rarer, and a real
  // corruption is seen by every one.
  constexpr int kReads = 3;
  std::vector<std::vector<AnomalyCount>> seenCounts{a.log.counts()};
  AnomalyLog confirmed = a.log;
  // A thread holding the arena's mutex through every read (always so when the
  // process is frozen inside malloc) may be halfway through an unlink or a
  // split (malloc.c unlink_chunk, _int_malloc): what the reads saw is that
  // update in flight, not corruption, so it counts as torn.
  bool lockedThroughout = a.report.mutex != 0 && a.lockedAfter;
  bool still = true;
  for (int read = 1; read < kReads && !confirmed.empty(); ++read) {
    refreshArenaState(ai);
    lockedThroughout = lockedThroughout && a.report.mutex != 0;
    refreshTcaches();
    resetArena(ai);
    walkArena(ai);
    still = compareAfter(ai) && still;
    lockedThroughout = lockedThroughout && a.lockedAfter;
    seenCounts.push_back(a.log.counts());
    confirmed = a.log.confirmedBy(confirmed);
  }
  if (lockedThroughout) confirmed = AnomalyLog();
  keepConfirmed(ai, seenCounts, std::move(confirmed), still);
}

void ArenaWalker::keepConfirmed(uint32_t ai, const std::vector<std::vector<AnomalyCount>>& seenCounts, AnomalyLog confirmed,
                                bool still) {
  ArenaWork& a = *arenas_[ai];
  auto countOf = [](const std::vector<AnomalyCount>& v, const std::string& k) -> uint64_t {
    for (const auto& c : v) {
      if (c.kind == k) return c.count;
    }
    return 0;
  };
  const std::vector<AnomalyCount> cc = confirmed.counts();
  std::vector<std::string> kinds;
  for (const auto& v : seenCounts) {
    for (const auto& c : v) {
      if (std::find(kinds.begin(), kinds.end(), c.kind) == kinds.end()) kinds.push_back(c.kind);
    }
  }
  std::vector<AnomalyCount> torn;
  uint64_t tornTotal = 0;
  for (const auto& k : kinds) {
    uint64_t seen = 0;
    for (const auto& v : seenCounts) seen = std::max(seen, countOf(v, k));
    const uint64_t kept = countOf(cc, k);
    if (seen > kept) {
      torn.push_back({k, seen - kept, isConsequence(k)});
      tornTotal += seen - kept;
    }
  }
  a.log = std::move(confirmed);
  a.report.anomalies.tornCounts = std::move(torn);
  a.report.anomalies.torn = tornTotal;
  if (tornTotal > 0 || !still) a.report.approximate = true;
}

void ArenaWalker::finishArena(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  ArenaReport& r = a.report;
  uint64_t freeBytes = r.fastbins.bytes + r.unsorted.bytes + r.smallbins.bytes + r.largebins.bytes + r.tcache.bytes +
                       r.freeUnlisted.bytes;
  r.accountedBytes = r.inUse.bytes + r.internal.bytes + freeBytes + r.topSize + r.overhead;
  r.identityHolds = r.accountedBytes == r.systemMem;
  if (O_.withBins) {
    for (auto& kv : a.binDetail) r.bins.push_back(kv.second);
  }
  if (O_.withHistogram) {
    for (size_t i = 0; i < a.histSmall.size(); ++i) {
      HistogramRow h = a.histSmall[i];
      if (h.inUseChunks == 0 && h.freeChunks == 0) continue;
      h.size = static_cast<uint64_t>(i) << 4;
      r.histogram.push_back(h);
    }
    for (auto& kv : a.histLarge) {
      kv.second.size = kv.first;
      r.histogram.push_back(kv.second);
    }
    if (a.histOverflow.inUseChunks + a.histOverflow.freeChunks > 0) {
      a.log.add("histogram-truncated", 0, "more distinct chunk sizes than the histogram keeps; the rest are in its last row");
      a.histOverflow.size = UINT64_MAX >> 11;  // a size no chunk has: "others" (exact in a JS number)
      r.histogram.push_back(a.histOverflow);
    }
  }
  r.anomalies.examples = a.log.examples();
  r.anomalies.counts = a.log.counts();
  r.anomalies.total = a.log.total();
  if (a.cells.active()) {
    r.hasHeapMap = true;
    r.heapMap.cellBytes = a.cells.cellBytes();
    r.heapMap.bytes = a.cells.bytes();
  }
  if (r.approximate) result_.approximate = true;
}

void ArenaWalker::noteMemory() {
  uint64_t bytes = window_.bufferBytes() + mem_.memoryBytes() + members_.memoryBytes() + binMembers_.memoryBytes() + pageStates_.capacity() +
                   heuristicCandidates_.capacity() * sizeof(uint64_t);
  if (result_.chunkMap) bytes += result_.chunkMap->memoryBytes();
  for (const auto& a : arenas_) bytes += a->cells.bytes().capacity() * sizeof(double) + a->histLarge.size() * 64;
  result_.memoryBytes = std::max(result_.memoryBytes, bytes);
}

WalkResult ArenaWalker::run() {
  readMp();
  tcacheCountLimit_ = result_.mp.tcacheCount >= 0 ? static_cast<uint64_t>(result_.mp.tcacheCount) : 0xffff;
  if (O_.heapMaxSize != 0) {
    heapMax_ = O_.heapMaxSize;
  } else {
    // The layout row says whether this version's heap_max follows mp_.hp_pagesize.
    heapMax_ = heapMaxFor(L_, result_.mp.hpPagesize > 0 ? static_cast<uint64_t>(result_.mp.hpPagesize) : 0);
  }
  if (!isPowerOfTwo(heapMax_) || heapMax_ < kHeapMinSize || heapMax_ > (1ull << 40)) {
    globalLog_.add("heap-max-invalid", heapMax_, "heap_max is not a plausible power of two; using 64 MiB");
    heapMax_ = kDefaultHeapMax;
  }
  result_.heapMaxSize = heapMax_;

  walkRing();
  if (O_.requireArena != 0 &&
      std::none_of(arenas_.begin(), arenas_.end(), [&](const auto& a) { return a->report.address == O_.requireArena; })) {
    throw SourceError(EINVAL, ErrorCode::kInvalidArgument, "no arena at " + hex(O_.requireArena));
  }
  for (uint32_t i = 0; i < arenas_.size(); ++i) discoverHeaps(i);

  // Hostile heap_info chains can claim overlapping heaps; keep the first.
  std::stable_sort(spans_.begin(), spans_.end(), [](const Span& x, const Span& y) { return x.start < y.start; });
  std::vector<Span> kept;
  for (const Span& s : spans_) {
    if (!kept.empty() && s.start < kept.back().end) {
      arenas_[s.arena]->log.add("heap-overlap", s.start, "heap overlaps another arena's heap; skipped");
      continue;
    }
    kept.push_back(s);
  }
  spans_ = std::move(kept);
  std::vector<AddressRange> ranges;
  for (const Span& s : spans_) ranges.push_back({s.start, s.end});
  mem_.setSpans(ranges);
  if (O_.chunkMap) {
    result_.chunkMap = std::make_unique<ChunkMap>();
    for (const Span& s : spans_) result_.chunkMap->addSpan(s.start, s.end, s.arena);
  }

  // Discovery's anomalies stay with each arena through every walk of it.
  for (auto& a : arenas_) a->discoveryLog = a->log;
  findKnownTcaches();
  for (uint32_t i = 0; i < arenas_.size(); ++i) walkArena(i);
  // In-use chunks of the tcache struct's size that turn out to be tcaches:
  // their entries looked in use; the arenas they lie in are walked again.
  const size_t knownTcaches = tcaches_.size();
  if (checkHeuristicCandidates()) {
    std::vector<bool> again(arenas_.size(), false);
    for (size_t t = knownTcaches; t < tcaches_.size(); ++t) {
      for (const auto& e : tcaches_[t].entries) {
        int s = arenaSpanOf(e.first, kMinSize);
        if (s >= 0) again[spans_[static_cast<size_t>(s)].arena] = true;
      }
      if (tcaches_[t].arena < again.size()) again[tcaches_[t].arena] = true;
    }
    for (uint32_t i = 0; i < arenas_.size(); ++i) {
      if (!again[i]) continue;
      resetArena(i);
      walkArena(i);
    }
    heuristicCandidates_.clear();
  }
  for (uint32_t i = 0; i < arenas_.size(); ++i) {
    const bool still = compareAfter(i);  // a moved arena is flagged approximate by compareAfter itself
    ArenaWork& a = *arenas_[i];
    if (a.log.empty()) continue;
    if (O_.confirm) {
      confirmArena(i);
    } else if (a.report.mutex != 0 && a.lockedAfter) {
      // Not re-read (a frozen process reads the same twice), but a thread
      // stopped inside malloc holds this arena's lock: its anomalies are
      // that update in flight (see confirmArena).
      keepConfirmed(i, {a.log.counts()}, AnomalyLog(), still);
    }
  }
  if (O_.confirm && !tcacheLog_.empty()) confirmTcaches();
  if (O_.chunkSink) {
    for (uint32_t i = 0; i < arenas_.size(); ++i) listArena(i);
  }
  if (result_.chunkMap) result_.chunkMap->pack();
  reportTcaches();
  for (uint32_t i = 0; i < arenas_.size(); ++i) finishArena(i);
  for (auto& a : arenas_) result_.arenas.push_back(std::move(a->report));
  globalLog_.append(tcacheLog_);
  result_.anomalies.examples = globalLog_.examples();
  result_.anomalies.counts = globalLog_.counts();
  result_.anomalies.total = globalLog_.total();
  result_.readBytes = src_.bytes();
  noteMemory();
  return std::move(result_);
}

WalkResult walkArenas(MemorySource* source, const MallocLayout& layout, const WalkOptions& options) {
  ArenaWalker walker(source, layout, options);
  return walker.run();
}

}  // namespace ptmalloc
}  // namespace arenascope
