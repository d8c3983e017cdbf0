// The chunk walk: every chunk of every span, in address order, each one
// classified once. PREV_INUSE of the next chunk says free or in use; the
// label map built from the free lists says which list a chunk is on, and
// singles out fastbin and tcache chunks, which look in use. Overhead (heap_info, malloc_state, alignment, fenceposts)
// is counted where the walk meets it, from the layout, never as a remainder.
#include <algorithm>

#include "walker_internal.h"

namespace arenascope {
namespace ptmalloc {

void ArenaWalker::labelMembers() {
  for (; membersLabeled_ < members_.size(); ++membersLabeled_) {
    const Member& m = members_[membersLabeled_];
    if (!labels_.set(m.addr, m.label)) {
      // A chunk on two lists: a double free, or lists caught mid-update.
      // The first list that named it keeps it.
      globalSink_.add("chunk-on-two-lists", m.addr, "chunk is on more than one free list");
    }
  }
}

void ArenaWalker::resetWalkTotals() {
  for (auto& ap : arenas_) {
    ArenaWork& a = *ap;
    ArenaReport& r = a.report;
    r.inUse = r.internal = r.fastbins = r.unsorted = r.smallbins = r.largebins = r.tcache = r.freeUnlisted = CountBytes{};
    r.overhead = 0;
    r.topSize = 0;
    for (auto& h : r.heaps) h.chunksWalked = 0;
    a.histSmall.clear();
    a.histLarge.clear();
    r.anomalies.resize(a.anomaliesBeforeWalk);
    r.anomaliesSuppressed = a.suppressedBeforeWalk;
  }
  labels_.clearMatched();
  result_.chunks.clear();
  heuristicCandidates_.clear();
}

void ArenaWalker::walkAllSpans() {
  for (auto& ap : arenas_) {
    ap->anomaliesBeforeWalk = ap->report.anomalies.size();
    ap->suppressedBeforeWalk = ap->report.anomaliesSuppressed;
    if (O_.withHistogram) ap->histSmall.assign(ArenaWork::kHistDirect >> 4, HistogramRow{});
  }
  if (O_.withChunks) {
    // Untouched reserved pages cost nothing, so reserve for small chunks;
    // the cap keeps a hostile heap size from asking for absurd memory.
    uint64_t bytes = 0;
    for (const Span& s : spans_) bytes += s.end - s.start;
    result_.chunks.reserve(static_cast<size_t>(std::min<uint64_t>(bytes / (2 * kMinSize) + spans_.size(), 1ull << 22)));
  }
  for (const Span& s : spans_) walkSpan(s);
  for (auto& ap : arenas_) {
    ArenaWork& a = *ap;
    if (!O_.withHistogram) continue;
    std::vector<HistogramRow>& out = a.report.histogram;
    out.clear();
    for (size_t i = 0; i < a.histSmall.size(); ++i) {
      HistogramRow& h = a.histSmall[i];
      if (h.inUseChunks == 0 && h.freeChunks == 0) continue;
      h.size = static_cast<uint64_t>(i) << 4;
      out.push_back(h);
    }
    for (auto& kv : a.histLarge) {
      kv.second.size = kv.first;
      out.push_back(kv.second);
    }
  }
}

void ArenaWalker::walkSpan(const Span& span) {
  ArenaWork& a = *arenas_[span.arena];
  ArenaReport& r = a.report;
  HeapReport& hr = r.heaps[span.heapReport];
  const uint64_t top = r.topAddress;
  const uint64_t tcacheChunk = L_.hasTcache() ? static_cast<uint64_t>(L_.tcacheChunkSize) : 0;
  const bool withChunks = O_.withChunks;
  const bool withHist = O_.withHistogram;

  r.overhead += span.firstChunk - span.start;  // heap_info + malloc_state + alignment
  uint64_t labelPageIndex = UINT64_MAX;
  uint8_t* labelPage = nullptr;

  auto histAdd = [&](uint64_t sz, bool isFree) {
    HistogramRow* h;
    if (sz < ArenaWork::kHistDirect) {
      h = &a.histSmall[sz >> 4];
    } else {
      h = &a.histLarge[sz];
    }
    if (isFree) {
      ++h->freeChunks;
      h->freeBytes += sz;
    } else {
      ++h->inUseChunks;
      h->inUseBytes += sz;
    }
  };

  uint64_t c = span.firstChunk;
  uint64_t walked = 0;
  uint64_t sizeField = 0;
  bool haveHeader = false;  // sizeField already holds c's size (read as "next" last round)
  while (true) {
    if (c == span.end) {
      if (span.holdsTop) a.sink.add("walk-missed-top", c, "heap walk reached the heap end without meeting top");
      break;
    }
    if (walked >= O_.maxChunksPerHeap) {
      a.sink.add("chunk-limit", c, "maxChunksPerHeap reached; rest of the heap not walked");
      break;
    }
    if (!haveHeader && !mem_.readU64(c + kSizeSz, &sizeField)) {
      a.sink.add("chunk-unreadable", c, "chunk header unreadable; rest of the heap not walked");
      break;
    }
    haveHeader = false;
    const uint64_t sz = chunkSize(sizeField);
    if (c == top) {
      r.topSize = sz;
      ++walked;
      if (c + sz != span.end) {
        a.sink.add("top-end-mismatch", c, "top ends at " + hex(c + sz) + ", its heap at " + hex(span.end));
      }
      if (withChunks) result_.chunks.push_back({c, sz, span.arena, kStateTop});
      break;
    }
    if (sz == kFencepostSize) {
      // sysmalloc's fencepost (CHUNK_HDR_SZ | PREV_INUSE) closing a heap or segment.
      r.overhead += kFencepostSize;
      c += kFencepostSize;
      continue;
    }
    if (sz == 0) {
      // The 0 | PREV_INUSE header after the fencepost of a retired heap.
      if (!span.retiredHeap) {
        a.sink.add("chunk-size-zero", c, "zero chunk size inside a live heap");
        break;
      }
      r.overhead += span.end - c;
      break;
    }
    const uint64_t next = c + sz;
    if (sz < kMinSize || (sz & kAlignMask) != 0 || next > span.end || next < c) {
      a.sink.add("chunk-size-invalid", c, "size field " + hex(sizeField) + " is impossible here");
      break;
    }
    if (span.holdsTop && c < top && next > top) {
      a.sink.add("chunk-overlaps-top", c, "chunk runs over the top chunk");
      break;
    }
    bool inUse = true;
    if (next == span.end) {
      a.sink.add("chunk-at-heap-end", c, "chunk ends at the heap end with no top or fencepost after it");
    } else {
      if (!mem_.readU64(next + kSizeSz, &sizeField)) {
        a.sink.add("chunk-unreadable", next, "chunk header unreadable; rest of the heap not walked");
        break;
      }
      haveHeader = true;
      if (span.retiredHeap && chunkSize(sizeField) == 0) {
        // A retired heap whose old top was under MINSIZE after the fencepost
        // was carved: sysmalloc left it as a tiny in-use chunk (never freed).
        r.overhead += sz;
        c = next;
        continue;
      }
      inUse = (sizeField & kPrevInuse) != 0;
    }

    uint8_t label = kLabelNone;
    if ((c >> LabelMap::kPageShift) != labelPageIndex) {
      labelPageIndex = c >> LabelMap::kPageShift;
      labelPage = labels_.page(labelPageIndex);
    }
    if (labelPage) {
      uint8_t& b = labelPage[LabelMap::offsetInPage(c)];
      label = b & LabelMap::kLabelMask;
      if (label) b |= LabelMap::kMatched;
    }
    uint8_t state;
    bool isFree;
    switch (label) {
      case kLabelInternal:
        r.internal.add(sz);
        state = kStateInternal;
        isFree = false;
        break;
      case kLabelFast:
      case kLabelTcache:
        if (label == kLabelFast) {
          r.fastbins.add(sz);
          state = kStateFastbin;
        } else {
          r.tcache.add(sz);
          state = kStateTcache;
        }
        if (!inUse) a.sink.add("cached-chunk-marked-free", c, "fastbin/tcache chunk has PREV_INUSE clear after it");
        isFree = true;
        break;
      case kLabelUnsorted:
      case kLabelSmall:
      case kLabelLarge:
        (label == kLabelUnsorted ? r.unsorted : label == kLabelSmall ? r.smallbins : r.largebins).add(sz);
        if (inUse) a.sink.add("bin-chunk-marked-in-use", c, "chunk in a bin but the next chunk says it is in use");
        state = kStateFreeInBin;
        isFree = true;
        break;
      default:
        if (!inUse) {
          r.freeUnlisted.add(sz);
          a.sink.add("free-chunk-in-no-bin", c, "chunk is free by PREV_INUSE but on no free list");
          state = kStateFreeUnlisted;
          isFree = true;
        } else {
          r.inUse.add(sz);
          state = kStateInUse;
          isFree = false;
          if (sz == tcacheChunk) heuristicCandidates_.push_back(c + kChunkHeader);
        }
        break;
    }
    if (withChunks) result_.chunks.push_back({c, sz, span.arena, state});
    if (withHist) histAdd(sz, isFree);
    ++walked;
    c = next;
  }
  hr.chunksWalked += walked;
}

}  // namespace ptmalloc
}  // namespace arenascope
