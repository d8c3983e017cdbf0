// The chunk walk: every chunk of one span, in address order, each classified
// once and folded into aggregates as it passes (nothing is kept per chunk).
// PREV_INUSE of the next chunk says free or in use; the member map (fastbin,
// tcache and unsorted members, from the list walks) singles out the chunks
// that look in use but are cached; a free chunk is unsorted or in the bin its
// size names, by whichever side the list walk named (walkUnsorted), and the
// bin hashes check both. Overhead
// (heap_info, malloc_state, alignment, fenceposts) is counted where the walk
// meets it, from the layout, never as a remainder.
#include <algorithm>

#include "walker_internal.h"

namespace arenascope {
namespace ptmalloc {

namespace {
// How often the walk looks at the cancel flag (chunks).
constexpr uint64_t kCancelEvery = 1u << 16;

// What `chunks` prints for a chunk's state.
const char* stateName(ChunkClass cls, uint8_t label, unsigned bin) {
  switch (cls) {
    case ChunkClass::kInternal: return "internal";
    case ChunkClass::kFast: return "fastbin";
    case ChunkClass::kTcache: return "tcache";
    case ChunkClass::kInUse: return "in-use";
    default: break;
  }
  if (label == kLabelUnsorted || bin == 1) return "unsorted";
  return bin < kNSmallBins ? "small-bin" : "large-bin";
}
}  // namespace

void ArenaWalker::walkSpan(const Span& span) {
  ArenaWork& a = *arenas_[span.arena];
  ArenaReport& r = a.report;
  HeapReport& hr = r.heaps[span.heapReport];
  const uint64_t top = r.topAddress;
  const uint64_t tcacheChunk = L_.hasTcache() ? static_cast<uint64_t>(L_.tcacheChunkSize) : 0;
  const bool withHist = O_.withHistogram;
  const bool withBins = O_.withBins;
  const bool residency = spanResidency_.active();
  HeapCells* cells = a.cells.active() ? &a.cells : nullptr;
  ChunkMap* chunkMap = result_.chunkMap.get();
  ChunkSink* sink = sink_;

  window_.setSpan(span.start, span.end);
  r.overhead += span.firstChunk - span.start;  // heap_info + malloc_state + alignment

  auto histAdd = [&](uint64_t sz, bool isFree) {
    HistogramRow* h;
    if (sz < ArenaWork::kHistDirect) {
      h = &a.histSmall[sz >> 4];
    } else {
      auto it = a.histLarge.find(sz);
      if (it == a.histLarge.end() && a.histLarge.size() >= ArenaWork::kHistLargeMax) {
        h = &a.histOverflow;  // hostile sizes: one row for the rest
      } else {
        h = &a.histLarge[sz];
      }
    }
    if (isFree) {
      ++h->freeChunks;
      h->freeBytes += sz;
    } else {
      ++h->inUseChunks;
      h->inUseBytes += sz;
    }
  };
  auto markOther = [&](uint64_t at) {
    if (chunkMap) chunkMap->mark(at, kMarkOther);
  };

  uint64_t c = span.firstChunk;
  uint64_t walked = 0;
  uint64_t sizeField = 0;
  bool haveHeader = false;  // sizeField already holds c's size (read as "next" last round)
  while (true) {
    if (c == span.end) {
      if (span.holdsTop) a.log.add("walk-missed-top", c, "heap walk reached the heap end without meeting top", top);
      break;
    }
    if (walked >= O_.maxChunksPerHeap) {
      a.log.add("chunk-limit", c, "maxChunksPerHeap reached; rest of the heap not walked");
      break;
    }
    if ((walked & (kCancelEvery - 1)) == 0) throwIfCanceled(O_.cancel);
    if (!haveHeader && !window_.readU64(c + kSizeSz, &sizeField)) {
      a.log.add("chunk-unreadable", c, "chunk header unreadable; rest of the heap not walked");
      break;
    }
    haveHeader = false;
    const uint64_t rawSize = sizeField;  // c's own size field, flag bits included (malloc_info's unit)
    const uint64_t sz = chunkSize(sizeField);
    if (c == top) {
      r.topSize = sz;
      ++walked;
      if (c + sz != span.end) {
        a.log.add("top-end-mismatch", c, "top ends at " + hex(c + sz) + ", its heap at " + hex(span.end), sz ^ span.end);
      }
      const uint64_t end = std::min(c + sz, span.end);
      if (residency) spanResidency_.chunk(c, end, ChunkClass::kTop);
      if (cells) cells->add(span.heapReport, c, end, HeapCells::kTop);
      if (chunkMap) chunkMap->mark(c, kMarkFree);
      if (sink) sink->chunk(r.address, c, sz, "top");
      break;
    }
    if (sz == kFencepostSize) {
      // sysmalloc's fencepost (CHUNK_HDR_SZ | PREV_INUSE) closing a heap or segment.
      r.overhead += kFencepostSize;
      markOther(c);
      c += kFencepostSize;
      continue;
    }
    if (sz == 0) {
      // The 0 | PREV_INUSE header after the fencepost of a retired heap.
      if (!span.retiredHeap) {
        a.log.add("chunk-size-zero", c, "zero chunk size inside a live heap");
        break;
      }
      markOther(c);
      r.overhead += span.end - c;
      break;
    }
    const uint64_t next = c + sz;
    if (sz < kMinSize || (sz & kAlignMask) != 0 || next > span.end || next < c) {
      a.log.add("chunk-size-invalid", c, "size field " + hex(rawSize) + " is impossible here");
      break;
    }
    if (span.holdsTop && c < top && next > top) {
      a.log.add("chunk-overlaps-top", c, "chunk runs over the top chunk");
      break;
    }
    bool inUse = true;
    if (next == span.end) {
      a.log.add("chunk-at-heap-end", c, "chunk ends at the heap end with no top or fencepost after it");
    } else {
      if (!window_.readU64(next + kSizeSz, &sizeField)) {
        a.log.add("chunk-unreadable", next, "chunk header unreadable; rest of the heap not walked");
        break;
      }
      haveHeader = true;
      if (span.retiredHeap && chunkSize(sizeField) == 0) {
        // A retired heap whose old top was under MINSIZE after the fencepost
        // was carved: sysmalloc left it as a tiny in-use chunk (never freed).
        markOther(c);
        r.overhead += sz;
        c = next;
        continue;
      }
      inUse = (sizeField & kPrevInuse) != 0;
    }

    const uint8_t label = members_.count() ? members_.take(c) : static_cast<uint8_t>(kLabelNone);
    const bool internal = isTcacheChunkSize(sz, tcacheChunk) && !internalChunks_.empty() && internalChunks_.count(c) != 0;
    ChunkClass cls;
    unsigned bin = 0;
    if (internal) {
      r.internal.add(sz);
      cls = ChunkClass::kInternal;
    } else if (label == kLabelFast || label == kLabelTcache) {
      if (label == kLabelFast) {
        r.fastbins.add(sz);
        cls = ChunkClass::kFast;
      } else {
        r.tcache.add(sz);
        cls = ChunkClass::kTcache;
      }
      if (!inUse) a.log.add("cached-chunk-marked-free", c, "fastbin/tcache chunk has PREV_INUSE clear after it");
    } else if (label == kLabelUnsorted || !inUse) {
      // Free: unsorted when the unsorted walk named it, or when the bins
      // were the side listed and none named it; otherwise in the bin its
      // size names. The bin hashes check both.
      const bool binned = binMembers_.count() && binMembers_.take(c);
      if (binned && label == kLabelUnsorted) a.log.add("chunk-on-two-lists", c, "chunk is on more than one free list");
      const bool unsorted = label == kLabelUnsorted || (a.listed == ArenaWork::Listed::kBins && !binned);
      bin = unsorted ? 1 : binIndex(sz);
      uint64_t links[2];  // fd, bk at chunk+0x10 (in the chunk's first 0x20 bytes, before next)
      if (!window_.read(c + kChunkHeader, links, sizeof links)) {
        a.log.add("chunk-unreadable", c, "free chunk's links unreadable");
        links[0] = links[1] = 0;
      }
      if (bin < kNBins) a.binHashes.bins[bin].node(c, links[0], links[1]);
      if (unsorted) {
        r.unsorted.add(sz);
        if (withBins) binReport(span.arena, BinKind::kUnsorted, 1).add(sz, rawSize);
        if (inUse) a.log.add("bin-chunk-marked-in-use", c, "chunk in the unsorted bin but the next chunk says it is in use");
      } else {
        (bin < kNSmallBins ? r.smallbins : r.largebins).add(sz);
        if (withBins) binReport(span.arena, bin < kNSmallBins ? BinKind::kSmall : BinKind::kLarge, bin).add(sz, rawSize);
      }
      cls = ChunkClass::kFreeBin;
    } else if (fastGuess(a, span, c, sz)) {
      r.fastbins.add(sz);
      if (withBins) binReport(span.arena, BinKind::kFast, static_cast<unsigned>(fastbinIndex(sz))).add(sz, rawSize);
      cls = ChunkClass::kFast;
    } else {
      r.inUse.add(sz);
      cls = ChunkClass::kInUse;
      if (isTcacheChunkSize(sz, tcacheChunk)) {
        if (heuristicCandidates_.size() < kMaxHeuristicCandidates) {
          heuristicCandidates_.push_back(c + kChunkHeader);
        } else {
          ++heuristicCandidatesDropped_;
        }
      }
    }
    const bool isFree = cls != ChunkClass::kInUse && cls != ChunkClass::kInternal;
    if (withHist) histAdd(sz, isFree);
    if (residency) spanResidency_.chunk(c, next, cls);
    if (cells) cells->add(span.heapReport, c, next, isFree ? HeapCells::kFree : HeapCells::kUsed);
    if (chunkMap) chunkMap->mark(c, internal ? kMarkOther : isFree ? kMarkFree : kMarkLive);
    if (sink) sink->chunk(r.address, c, sz, stateName(cls, label, bin));
    ++walked;
    c = next;
  }
  hr.chunksWalked += walked;
}

bool ArenaWalker::fastGuess(ArenaWork& a, const Span& span, uint64_t c, uint64_t sz) {
  if (!a.fast.on) return false;
  const int64_t fi = fastbinIndex(sz);
  if (fi < 0 || fi >= L_.nFastbins) return false;
  const size_t i = static_cast<size_t>(fi);
  if (a.fast.heads[i] == 0) return false;
  if (O_.globalMaxFast != 0 && sz > O_.globalMaxFast) return false;
  uint64_t stored;  // fd at chunk+0x10: inside the chunk (sz >= MINSIZE = 0x20)
  if (!window_.readU64(c + kChunkHeader, &stored)) return false;
  const uint64_t next = revealPtr(c + kChunkHeader, stored);
  if (next != 0) {
    if ((next & kAlignMask) != 0) return false;
    if (next < span.start || next >= span.end) {
      const int s = arenaSpanOf(next, kMinSize);
      if (s < 0 || spans_[static_cast<size_t>(s)].arena != span.arena) return false;
    }
  }
  a.fast.nodes[i] += binHash(c);
  a.fast.nexts[i] += binHash(next);
  ++a.fast.count[i];
  return true;
}

void ArenaWalker::checkMembersMet(uint32_t ai) {
  for (const Span& s : spans_) {
    if (s.arena != ai) continue;
    std::vector<std::pair<uint64_t, uint8_t>> left;
    members_.forEachIn(s.start, s.end, [&](uint64_t addr, uint8_t label) { left.emplace_back(addr, label); });
    for (const auto& m : left) {
      const char* what = m.second == kLabelTcache ? "tcache" : m.second == kLabelFast ? "fastbin" : "unsorted-bin";
      // A tcache entry is judged against its struct as read (the arena's
      // state does not change when a thread's tcache does).
      uint64_t context = 0;
      if (m.second == kLabelTcache) {
        for (const TcacheFound& t : tcaches_) {
          if (std::any_of(t.entries.begin(), t.entries.end(), [&](const auto& e) { return e.first == m.first; })) {
            context = AnomalyLog::detailHash(std::string(t.image.begin(), t.image.end()));
            break;
          }
        }
      }
      arenas_[ai]->log.add("member-off-boundary", m.first, std::string(what) + " chunk is not on a walked chunk boundary", context);
      members_.take(m.first);
    }
    left.clear();
    binMembers_.forEachIn(s.start, s.end, [&](uint64_t addr, uint8_t label) { left.emplace_back(addr, label); });
    for (const auto& m : left) {
      arenas_[ai]->log.add("member-off-boundary", m.first, "binned chunk is not on a walked chunk boundary");
      binMembers_.take(m.first);
    }
  }
}

}  // namespace ptmalloc
}  // namespace arenascope
