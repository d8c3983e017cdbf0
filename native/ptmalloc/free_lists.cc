// The free lists of one arena. Fastbins and the unsorted bin are walked node
// by node (their members cannot be told from other chunks by the chunk walk
// alone) and their members go into the member map; every node is validated
// (alignment, inside one of this arena's heaps, size matching the list, back
// link) before it is trusted, and a bad node ends its list with an anomaly.
// The fastbins of an arena are walked side by side, one node of each per
// batch of reads, so a long list spread over the heap costs one syscall per
// step of all lists rather than one per node. Small and large bins are not
// walked unless their hash check (bin_hash.h) fails: then that bin's list is
// walked to say what broke (a bad link, a cycle, a node outside the heap) or
// how many chunks are on no list.
#include <algorithm>
#include <functional>

#include "walker_internal.h"

namespace arenascope {
namespace ptmalloc {

int ArenaWalker::arenaSpanOf(uint64_t addr, uint64_t len) const {
  if (addr + len < addr) return -1;
  auto it = std::upper_bound(spans_.begin(), spans_.end(), addr, [](uint64_t a, const Span& s) { return a < s.start; });
  if (it == spans_.begin()) return -1;
  --it;
  if (addr + len <= it->end) return static_cast<int>(it - spans_.begin());
  return -1;
}

BinReport& ArenaWalker::binReport(uint32_t ai, BinKind kind, unsigned index) {
  auto key = std::make_pair(static_cast<int>(kind), index);
  auto& detail = arenas_[ai]->binDetail;
  auto it = detail.find(key);
  if (it == detail.end()) {
    BinReport b;
    b.kind = kind;
    b.index = index;
    it = detail.emplace(key, b).first;
  }
  return it->second;
}

void ArenaWalker::addMember(uint32_t ai, uint64_t chunk, uint8_t label) {
  if (!members_.set(chunk, label)) {
    // A chunk on two lists: a double free, or lists caught mid-update. The
    // first list that named it keeps it.
    arenas_[ai]->log.add("chunk-on-two-lists", chunk, "chunk is on more than one free list");
    return;
  }
  ++arenas_[ai]->members;
}

namespace {
// A list cannot hold more chunks than fit in the arena's heaps.
uint64_t listBound(const std::vector<Span>& spans, uint32_t ai) {
  uint64_t bytes = 0;
  for (const Span& s : spans) {
    if (s.arena == ai) bytes += s.end - s.start;
  }
  return bytes / kMinSize + 2;
}

// Bound on nodes read by explicit bin walks of one arena (after a failed
// hash check or in an exact read): they jump around the heap, one small
// read per node. A heap with more binned chunks than this is checked by the
// hash alone and says so.
constexpr uint64_t kExplicitBinBudget = 4u << 20;
}  // namespace

void ArenaWalker::walkFastbins(uint32_t ai) {
  if (!L_.hasFastbins()) return;
  ArenaWork& a = *arenas_[ai];
  const uint64_t bound = listBound(spans_, ai);
  struct Cursor {
    int bin;
    uint64_t p;
    uint64_t steps = 0;
    CycleGuard guard;
    uint64_t hdr[3] = {0, 0, 0};  // prev_size, size, fd
    Cursor(int b, uint64_t head) : bin(b), p(head), guard(head) {}
  };
  std::vector<Cursor> live;
  for (int i = 0; i < L_.nFastbins; ++i) {
    // Heads are raw pointers to chunk headers, never mangled.
    uint64_t p = stateU64(a, L_.offFastbins + 8 * i);
    if (p != 0) live.emplace_back(i, p);
  }
  const bool anyFast = !live.empty();
  std::vector<ScatterRead> reads;
  while (!live.empty()) {
    throwIfCanceled(O_.cancel);
    // Validate each cursor's node, then read every valid one in one batch.
    reads.clear();
    std::vector<Cursor> next;
    for (Cursor& c : live) {
      const std::string list = "fastbin " + std::to_string(c.bin);
      if (++c.steps > bound) {
        a.log.add("fastbin-too-long", c.p, list + " longer than the arena can hold");
        continue;
      }
      if ((c.p & kAlignMask) != 0) {
        a.log.add("fastbin-misaligned", c.p, list + " node is not 16-aligned");
        continue;
      }
      int s = arenaSpanOf(c.p, kMinSize);
      if (s < 0 || spans_[static_cast<size_t>(s)].arena != ai) {
        a.log.add("fastbin-outside-heap", c.p, list + " node is outside this arena's heaps");
        continue;
      }
      next.push_back(c);
    }
    live.swap(next);
    for (Cursor& c : live) {
      ScatterRead r;
      r.addr = c.p;
      r.len = sizeof c.hdr;
      r.dst = reinterpret_cast<uint8_t*>(c.hdr);
      reads.push_back(r);
    }
    if (!reads.empty()) src_.readScatter(reads.data(), reads.size());
    next.clear();
    for (size_t k = 0; k < live.size(); ++k) {
      Cursor& c = live[k];
      const std::string list = "fastbin " + std::to_string(c.bin);
      if (!reads[k].ok) {
        a.log.add("fastbin-unreadable", c.p, list + " node unreadable");
        continue;
      }
      const uint64_t sz = chunkSize(c.hdr[1]);
      const Span& span = spans_[static_cast<size_t>(arenaSpanOf(c.p, kMinSize))];
      if (fastbinIndex(sz) != c.bin || c.p + sz > span.end) {
        a.log.add("fastbin-size-mismatch", c.p, "size " + hex(c.hdr[1]) + " does not belong in " + list);
        continue;
      }
      if (O_.globalMaxFast != 0 && sz > O_.globalMaxFast) {
        a.log.add("fastbin-above-max-fast", c.p, "fastbin chunk larger than global_max_fast");
      }
      addMember(ai, c.p, kLabelFast);
      binReport(ai, BinKind::kFast, static_cast<unsigned>(c.bin)).add(sz, c.hdr[1]);
      // In-chunk fd is safe-linked from 2.32: the field lives at chunk+0x10.
      const uint64_t nxt = L_.safeLinking ? revealPtr(c.p + kChunkHeader, c.hdr[2]) : c.hdr[2];
      if (nxt == 0) continue;
      if (c.guard.revisits(nxt)) {
        a.log.add("fastbin-cycle", nxt, list + " loops");
        continue;
      }
      c.p = nxt;
      next.push_back(c);
    }
    live.swap(next);
  }
  // The "may have fast chunks" hint must be on whenever a fastbin holds
  // something: <=2.26 keeps it as a clear FASTCHUNKS_BIT in flags, 2.27+ as
  // have_fastchunks; both are set by _int_free before the chunk is linked.
  if (anyFast) {
    bool hinted = true;
    if (L_.fastchunksFlagInverted) {
      hinted = (a.report.flags & kFastchunksBit) == 0;
    } else if (L_.offHaveFastchunks >= 0) {
      hinted = loadU32(a.state.data() + L_.offHaveFastchunks) != 0;
    }
    if (!hinted) a.log.add("fastchunks-flag", a.report.address, "fastbins hold chunks but the arena says it has none");
  }
}

namespace {
// bin_at(m, i) = &bins[2*(i-1)] - 2*SIZE_SZ: a fake chunk whose fd/bk are the
// two slots. Empty bins point at themselves.
uint64_t binAt(const MallocLayout& L, uint64_t arena, unsigned i) {
  return arena + static_cast<uint64_t>(L.offBins + 16 * static_cast<int64_t>(i - 1)) - kChunkHeader;
}
}  // namespace

// One bin's list from its head: every node checked as unlink_chunk would
// (fd->bk == node), its size against the bin. onNode(chunk, size, rawSize)
// for each good node; returns the nodes walked, *closed when it came back to
// the head.
template <class OnNode>
static uint64_t walkBinList(const MallocLayout& L, SpanReader& mem, AnomalyLog& log, uint64_t arena, unsigned i,
                            uint64_t fd, uint64_t bound, const std::function<int(uint64_t)>& spanOf,
                            const std::vector<Span>& spans, uint32_t ai, uint64_t* lastNode, bool* closed,
                            OnNode onNode) {
  const uint64_t head = binAt(L, arena, i);
  const std::string name = i == 1 ? "the unsorted bin" : "bin " + std::to_string(i);
  CycleGuard guard(head);
  uint64_t prev = head;
  uint64_t p = fd;
  uint64_t steps = 0;
  *closed = false;
  while (true) {
    if (p == head) {
      *closed = true;
      break;
    }
    if (guard.revisits(p)) {
      log.add("bin-cycle", p, name + " loops without returning to its head");
      break;
    }
    if (++steps > bound) {
      log.add("bin-too-long", p, name + " longer than the arena can hold");
      break;
    }
    if ((p & kAlignMask) != 0) {
      log.add("bin-misaligned", p, name + " node is not 16-aligned");
      break;
    }
    int s = spanOf(p);
    if (s < 0 || spans[static_cast<size_t>(s)].arena != ai) {
      log.add("bin-outside-heap", p, name + " node is outside this arena's heaps");
      break;
    }
    uint64_t c[4];  // prev_size, size, fd, bk
    if (!mem.read(p, c, sizeof c)) {
      log.add("bin-unreadable", p, name + " node unreadable");
      break;
    }
    if (c[3] != prev) {
      log.add("bin-link-broken", p, name + ": chunk->bk = " + hex(c[3]) + ", expected " + hex(prev));
      break;
    }
    const uint64_t sz = chunkSize(c[1]);
    const bool sizeOk = sz >= kMinSize && (sz & kAlignMask) == 0 && p + sz <= spans[static_cast<size_t>(s)].end &&
                        p + sz > p && (i == 1 || binIndex(sz) == i);
    if (!sizeOk) {
      log.add("bin-size-mismatch", p, "size " + hex(c[1]) + " does not belong in " + name);
      break;
    }
    onNode(p, sz, c[1]);
    prev = p;
    p = c[2];
  }
  *lastNode = prev;
  return steps;
}

void ArenaWalker::walkUnsorted(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  const uint64_t head = binAt(L_, a.report.address, 1);
  const int64_t slot = L_.offBins;
  const uint64_t fd = stateU64(a, slot);
  const uint64_t bk = stateU64(a, slot + 8);
  if (fd == head && bk == head) return;
  if ((fd == head) != (bk == head)) {
    a.log.add("bin-half-empty", head, "the unsorted bin has one link pointing at itself");
    return;
  }
  uint64_t last = head;
  bool closed = false;
  auto spanOf = [this](uint64_t p) { return arenaSpanOf(p, kMinSize); };
  walkBinList(L_, mem_, a.log, a.report.address, 1, fd, listBound(spans_, ai), spanOf, spans_, ai, &last, &closed,
              [&](uint64_t p, uint64_t sz, uint64_t raw) {
                addMember(ai, p, kLabelUnsorted);
                binReport(ai, BinKind::kUnsorted, 1).add(sz, raw);
              });
  if (closed && bk != last) a.log.add("bin-tail-mismatch", head, "the unsorted bin: bk does not name the last chunk");
}

void ArenaWalker::initBinHashes(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  for (unsigned i = 2; i < kNBins; ++i) {
    const int64_t slot = L_.offBins + 16 * static_cast<int64_t>(i - 1);
    BinHash& h = a.binHashes.bins[i];
    h = BinHash{};
    h.head = binAt(L_, a.report.address, i);
    h.headFd = stateU64(a, slot);
    h.headBk = stateU64(a, slot + 8);
    if ((h.headFd == h.head) != (h.headBk == h.head)) {
      a.log.add("bin-half-empty", h.head, "bin " + std::to_string(i) + " has one link pointing at itself");
    }
  }
}

void ArenaWalker::walkBinExplicitly(uint32_t ai, unsigned i) {
  ArenaWork& a = *arenas_[ai];
  BinHash& h = a.binHashes.bins[i];
  if (h.empty()) {
    if (h.count > 0) {
      a.log.add("free-chunk-in-no-bin", h.head,
                std::to_string(h.count) + " free chunk(s) of bin " + std::to_string(i) + "'s sizes, but the bin is empty");
    }
    return;
  }
  uint64_t last = h.head;
  bool closed = false;
  auto spanOf = [this](uint64_t p) { return arenaSpanOf(p, kMinSize); };
  const uint64_t bound = std::min<uint64_t>(listBound(spans_, ai), kExplicitBinBudget);
  const uint64_t nodes = walkBinList(L_, mem_, a.log, a.report.address, i, h.headFd, bound, spanOf, spans_, ai, &last,
                                     &closed, [](uint64_t, uint64_t, uint64_t) {});
  if (!closed) return;  // the walk said what broke
  if (h.headBk != last) {
    a.log.add("bin-tail-mismatch", h.head, "bin " + std::to_string(i) + ": bk does not name the last chunk");
  } else if (nodes != h.count) {
    a.log.add(nodes < h.count ? "free-chunk-in-no-bin" : "bin-chunk-marked-in-use", h.head,
              "bin " + std::to_string(i) + " lists " + std::to_string(nodes) + " chunk(s); the heap has " +
                  std::to_string(h.count) + " free chunk(s) of its sizes");
  } else {
    a.log.add("bin-list-inconsistent", h.head,
              "bin " + std::to_string(i) + ": its links do not match the free chunks the walk found");
  }
}

void ArenaWalker::checkBinHashes(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  for (unsigned i = 2; i < kNBins; ++i) {
    const BinHash& h = a.binHashes.bins[i];
    if (!h.holds()) walkBinExplicitly(ai, i);
  }
}

}  // namespace ptmalloc
}  // namespace arenascope
