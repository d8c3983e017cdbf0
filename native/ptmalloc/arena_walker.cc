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
// Memory the walker may keep cached (heap bytes); past it, blocks are evicted
// and re-read while streaming, and isolated list hops read single pages (see
// span_reader.h). 128 MiB keeps the inspector's memory near its stated bound
// (test/reliability/memory-bound.test.ts); at 512 MiB a 1 GiB walk peaked at
// 740 MB RSS, at 128 MiB at 340 MB.
constexpr uint64_t kSpanCacheBudget = 128ull << 20;
// HEAP_MIN_SIZE = 32 KiB: no heap_max can be smaller.
constexpr uint64_t kHeapMinSize = 32 * 1024;

bool isPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }
}  // namespace

ArenaWalker::ArenaWalker(MemorySource* src, const MallocLayout& layout, const WalkOptions& options)
    : src_(src),
      L_(layout),
      O_(options),
      globalSink_(&result_.anomalies, &result_.anomaliesSuppressed),
      mem_(&src_, kSpanCacheBudget) {}

void ArenaWalker::readMp() {
  MpValues& mp = result_.mp;
  std::vector<uint8_t> buf(static_cast<size_t>(L_.mpSize));
  if (O_.mp == 0 || !src_.readExact(O_.mp, buf.data(), buf.size())) {
    globalSink_.add("mp-unreadable", O_.mp, "malloc_par (mp_) could not be read; sbrk_base and tcache_count unknown");
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
      globalSink_.add("arena-unreadable", addr, "malloc_state could not be read; the ring walk stops here");
      return;
    }
    visited.insert(addr);
    ArenaReport& r = w->report;
    r.address = addr;
    r.main = addr == O_.mainArena;
    r.mutex = loadU32(w->state.data());
    r.flags = loadU32(w->state.data() + L_.offFlags);
    r.next = stateU64(*w, L_.offNext);
    r.nextFree = stateU64(*w, L_.offNextFree);
    r.attachedThreads = L_.offAttachedThreads >= 0 ? static_cast<int64_t>(stateU64(*w, L_.offAttachedThreads)) : -1;
    r.systemMem = stateU64(*w, L_.offSystemMem);
    r.maxSystemMem = stateU64(*w, L_.offMaxSystemMem);
    r.topAddress = stateU64(*w, L_.offTop);
    r.lastRemainder = stateU64(*w, L_.offLastRemainder);
    if (r.mutex != 0) r.approximate = true;  // a thread is inside malloc on this arena
    uint64_t next = r.next;
    arenas_.push_back(std::move(w));
    if (next == O_.mainArena) {
      result_.ringClosed = true;
      return;
    }
    if (arenas_.size() >= O_.maxArenas) {
      globalSink_.add("ring-unclosed", next, "arena ring did not close within maxArenas");
      return;
    }
    // Non-main arenas sit right after a heap_info at a heap_max-aligned base.
    if (next == 0 || ((next - static_cast<uint64_t>(L_.heapInfoSize)) & (heapMax_ - 1)) != 0) {
      globalSink_.add("arena-next-invalid", addr, "next = " + hex(next) + " is not heap_max-aligned + sizeof(heap_info)");
      return;
    }
    if (visited.count(next)) {
      globalSink_.add("ring-cycle", next, "arena ring loops without returning to main_arena");
      return;
    }
    addr = next;
  }
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
    a.sink.add("top-invalid", r.topAddress, "top chunk pointer is null or misaligned");
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
      a.sink.add("heap-chain-cycle", heap, "heap_info.prev chain loops or is too long");
      break;
    }
    uint8_t buf[0x30];
    if (!src_.readExact(heap, buf, static_cast<size_t>(hi))) {
      a.sink.add("heap-info-unreadable", heap, "heap_info could not be read");
      break;
    }
    HeapInfo h{heap, loadU64(buf + 8), loadU64(buf + 0x10), loadU64(buf + 0x18)};
    if (loadU64(buf) != r.address) {
      a.sink.add("heap-owner-mismatch", heap, "heap_info.ar_ptr = " + hex(loadU64(buf)) + " is not this arena");
      break;
    }
    // heap sizes are page multiples between the header and heap_max (new_heap, grow_heap).
    if (h.size <= hi || h.size > heapMax_ || (h.size & (kPageSize - 1)) != 0) {
      a.sink.add("heap-size-invalid", heap, "heap_info.size = " + hex(h.size));
      break;
    }
    if (h.mprotectSize < h.size || h.mprotectSize > heapMax_) {
      a.sink.add("heap-mprotect-invalid", heap, "heap_info.mprotect_size = " + hex(h.mprotectSize));
    }
    chain.push_back(h);
    if (h.prev != 0 && (h.prev & (heapMax_ - 1)) != 0) {
      a.sink.add("heap-prev-misaligned", heap, "heap_info.prev = " + hex(h.prev) + " is not heap_max-aligned");
      break;
    }
    heap = h.prev;
  }
  if (chain.empty()) return;
  if (chain.back().base + hi != r.address) {
    a.sink.add("first-heap-missing", r.address, "heap chain does not end at the heap holding the arena");
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
    if (r.systemMem != 0) a.sink.add("main-top-unset", r.topAddress, "top is initial but system_mem is not 0");
    return;
  }
  if ((r.topAddress & kAlignMask) != 0) {
    a.sink.add("top-invalid", r.topAddress, "top chunk pointer is misaligned");
    return;
  }
  uint64_t topHeader[2];
  if (!src_.readExact(r.topAddress, topHeader, sizeof topHeader)) {
    a.sink.add("top-unreadable", r.topAddress, "top chunk header could not be read");
    return;
  }
  const uint64_t topEnd = r.topAddress + chunkSize(topHeader[1]);
  const uint64_t sbrk = result_.mp.sbrkBase;
  auto addSpan = [&](uint64_t start, uint64_t end, bool holdsTop) {
    Span s;
    s.start = start;
    s.end = end;
    s.firstChunk = alignUp(start, kMallocAlignment);  // sysmalloc's front_misalign correction
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
      a.sink.add("main-not-contiguous", sbrk, "sbrk_base + system_mem != end of top chunk");
    }
    addSpan(sbrk, end, true);
    return;
  }
  // Non-contiguous main arena (brk failed, or hugetlb on 2.35-2.41).
  std::vector<Segment> segments = locateMainSegments(a, topEnd);
  std::sort(segments.begin(), segments.end(), [](const Segment& x, const Segment& y) { return x.start < y.start; });
  for (const Segment& g : segments) addSpan(g.start, g.end, g.holdsTop);
}

void ArenaWalker::compareAfter(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  std::vector<uint8_t> after(a.state.size());
  if (!src_.readExact(a.report.address, after.data(), after.size())) {
    a.report.approximate = true;
    a.sink.add("arena-unreadable-after", a.report.address, "malloc_state unreadable after the walk");
    return;
  }
  if (loadU32(after.data()) != 0 || after != a.state) a.report.approximate = true;
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
  if (r.approximate) result_.approximate = true;
}

WalkResult ArenaWalker::run() {
  readMp();
  tcacheCountLimit_ = result_.mp.tcacheCount >= 0 ? static_cast<uint64_t>(result_.mp.tcacheCount) : 0xffff;
  if (O_.heapMaxSize != 0) {
    heapMax_ = O_.heapMaxSize;
  } else if (L_.mpHpPagesize >= 0 && result_.mp.hpPagesize > 0 && L_.tcacheBins != 76) {
    // 2.35-2.41 heap_max_size(): 4 * mp_.hp_pagesize when huge pages are
    // configured. 2.42 made HEAP_MAX_SIZE constant again (76 tcache bins).
    heapMax_ = 4 * static_cast<uint64_t>(result_.mp.hpPagesize);
  }
  if (!isPowerOfTwo(heapMax_) || heapMax_ < kHeapMinSize || heapMax_ > (1ull << 40)) {
    globalSink_.add("heap-max-invalid", heapMax_, "heap_max is not a plausible power of two; using 64 MiB");
    heapMax_ = kDefaultHeapMax;
  }
  result_.heapMaxSize = heapMax_;

  walkRing();
  for (uint32_t i = 0; i < arenas_.size(); ++i) discoverHeaps(i);

  // Hostile heap_info chains can claim overlapping heaps; keep the first.
  std::stable_sort(spans_.begin(), spans_.end(), [](const Span& x, const Span& y) { return x.start < y.start; });
  std::vector<Span> kept;
  for (const Span& s : spans_) {
    if (!kept.empty() && s.start < kept.back().end) {
      arenas_[s.arena]->sink.add("heap-overlap", s.start, "heap overlaps another arena's heap; skipped");
      continue;
    }
    kept.push_back(s);
  }
  spans_ = std::move(kept);
  std::vector<AddressRange> ranges;
  for (const Span& s : spans_) ranges.push_back({s.start, s.end});
  mem_.setSpans(ranges);

  for (uint32_t i = 0; i < arenas_.size(); ++i) {
    walkFastbins(i);
    walkBins(i);
  }
  findKnownTcaches();
  labelMembers();
  walkAllSpans();
  if (checkHeuristicCandidates()) {
    resetWalkTotals();
    walkAllSpans();
  }
  for (const Member& m : members_) {
    const uint8_t* b = labels_.find(m.addr);
    if (b && (*b & LabelMap::kMatched)) continue;
    const char* what = m.label == kLabelTcache ? "tcache" : m.label == kLabelInternal ? "tcache struct" : "free-list";
    if (m.label == kLabelTcache || m.label == kLabelInternal) {
      globalSink_.add("member-off-boundary", m.addr, std::string(what) + " chunk is not on a walked chunk boundary");
    } else if (m.owner < arenas_.size()) {
      arenas_[m.owner]->sink.add("member-off-boundary", m.addr,
                                 std::string(what) + " chunk is not on a walked chunk boundary");
    }
  }
  for (uint32_t i = 0; i < arenas_.size(); ++i) compareAfter(i);
  reportTcaches();
  for (uint32_t i = 0; i < arenas_.size(); ++i) finishArena(i);
  if (O_.withChunks) {
    auto byStart = [](const ChunkRecord& x, const ChunkRecord& y) { return x.start < y.start; };
    if (!std::is_sorted(result_.chunks.begin(), result_.chunks.end(), byStart)) {
      std::sort(result_.chunks.begin(), result_.chunks.end(), byStart);
    }
  }
  for (auto& a : arenas_) result_.arenas.push_back(std::move(a->report));
  result_.readBytes = src_.bytes();
  return std::move(result_);
}

WalkResult walkArenas(MemorySource* source, const MallocLayout& layout, const WalkOptions& options) {
  ArenaWalker walker(source, layout, options);
  return walker.run();
}

}  // namespace ptmalloc
}  // namespace arenascope
