// The free lists of one arena. Fastbins are walked node by node (their
// members look in use to the chunk walk) and go into the member map; the
// unsorted bin and the small and large bins are told apart by walking the
// shorter side (walkUnsorted); every node is validated (alignment, inside
// one of this arena's heaps, size matching the list, back link) before it is
// trusted, and a bad node ends its list with an anomaly. Lists are walked
// side by side, one node of each per batch of reads, so a long list spread
// over the heap costs one syscall per step of all lists rather than one per
// node. Every bin, the unsorted one included, is then checked by its hash
// (bin_hash.h); a bin that fails is walked to say what broke (a bad link, a
// cycle, a node outside the heap) or how many chunks are on no list.
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

bool ArenaWalker::overlapsSpan(uint64_t addr, uint64_t len) const {
  if (len == 0 || addr + len < addr) return true;
  // The first span ending after addr is the only one that can start before addr + len.
  auto it = std::upper_bound(spans_.begin(), spans_.end(), addr, [](uint64_t a, const Span& s) { return a < s.end; });
  return it != spans_.end() && it->start < addr + len;
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
  checkFastchunksHint(ai, anyFast);
}

void ArenaWalker::checkFastchunksHint(uint32_t ai, bool anyFast) {
  // The "may have fast chunks" hint must be on whenever a fastbin holds
  // something: <=2.26 keeps it as a clear FASTCHUNKS_BIT in flags, 2.27+ as
  // have_fastchunks; both are set by _int_free before the chunk is linked.
  if (!anyFast) return;
  ArenaWork& a = *arenas_[ai];
  bool hinted = true;
  if (L_.fastchunksFlagInverted) {
    hinted = (a.report.flags & kFastchunksBit) == 0;
  } else if (L_.offHaveFastchunks >= 0) {
    hinted = loadU32(a.state.data() + L_.offHaveFastchunks) != 0;
  }
  if (!hinted) {
    // Judged from the flags and the fastbin heads as read.
    uint64_t context = binHash(a.report.flags);
    for (int i = 0; i < L_.nFastbins; ++i) context ^= binHash(stateU64(a, L_.offFastbins + 8 * i) + static_cast<uint64_t>(i));
    a.log.add("fastchunks-flag", a.report.address, "fastbins hold chunks but the arena says it has none", context);
  }
}

// Fastbins without walking them. A fastbin is a singly-linked list in
// whatever order the program freed: walking one of millions of chunks is a
// small read per node all over the heap. From 2.32 each fd is safe-linked
// (PROTECT_PTR: stored = (&fd >> 12) ^ next), so the chunk walk can tell a
// fastbin member by its first word: it reveals NULL or an aligned address in
// this arena's heaps, which user data almost never does (the XOR with the
// field's own page number scrambles any plain pointer or text). The guess is
// then proved: with H a strong hash and sums over each list's candidates,
//   H(head) + sum H(reveal(fd(n))) == H(NULL) + sum H(n)
// holds when the candidates are exactly the list from its head to NULL, and
// fails (but with probability 2^-64) when one is missing, extra or linked
// elsewhere. A failure (an in-use chunk that kept a freed chunk's fd, a
// corrupt list) sends the arena back to walking the lists.
bool ArenaWalker::beginFastInference(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  a.fast = ArenaWork::FastInference{};
  if (!L_.hasFastbins() || L_.safeLinking <= 0) return false;
  bool anyFast = false;
  for (int i = 0; i < L_.nFastbins; ++i) {
    // Heads are raw pointers to chunk headers, never mangled.
    a.fast.heads[static_cast<size_t>(i)] = stateU64(a, L_.offFastbins + 8 * i);
    anyFast = anyFast || a.fast.heads[static_cast<size_t>(i)] != 0;
  }
  a.fast.on = true;
  checkFastchunksHint(ai, anyFast);
  return true;
}

bool ArenaWork::FastInference::holds() const {
  for (size_t i = 0; i < kMaxFastbins; ++i) {
    if (binHash(heads[i]) + nexts[i] != binHash(0) + nodes[i]) return false;
  }
  return true;
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

// The unsorted bin against the small and large bins. A free chunk of the
// chunk walk is either unsorted or in the bin its size names, and nothing in
// the chunk says which: one side must be listed node by node, and each node
// of a list is one small read somewhere in the heap (millions, on a heap that
// freed millions of chunks and has not malloc'ed since). So the unsorted list
// and every non-empty bin are walked side by side, one node of each per batch
// of reads, until one side is complete: the unsorted list (then every other
// free chunk is binned), or all the bins (then every other free chunk is
// unsorted). Cost: the shorter side, not the longer. Both sides are then
// checked by their bin hashes. The unsorted list's anomalies are logged here;
// a bin's broken list only ends the bins' side (the bins' hash check walks
// it again to say what broke).
void ArenaWalker::walkUnsorted(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  a.listed = ArenaWork::Listed::kUnsorted;
  a.unsortedBroken = false;
  const BinHash& uh = a.binHashes.bins[1];
  if (uh.empty()) return;
  if ((uh.headFd == uh.head) != (uh.headBk == uh.head)) {
    a.unsortedBroken = true;  // initBinHashes logged it
    return;
  }
  struct Cursor {
    unsigned bin;
    uint64_t head, p, prev;
    CycleGuard guard;
    uint64_t node[4] = {0, 0, 0, 0};  // prev_size, size, fd, bk
    uint64_t steps = 0;
    bool done = false, closed = false;
    Cursor(unsigned b, uint64_t h, uint64_t fd) : bin(b), head(h), p(fd), prev(h), guard(h) {}
  };
  Cursor u(1, uh.head, uh.headFd);
  std::vector<Cursor> bins;
  for (unsigned i = 2; i < kNBins; ++i) {
    const BinHash& h = a.binHashes.bins[i];
    if (!h.empty() && (h.headFd == h.head) == (h.headBk == h.head)) bins.emplace_back(i, h.head, h.headFd);
  }
  if (bins.empty()) {
    a.listed = ArenaWork::Listed::kBins;  // no bin holds anything: every free chunk is unsorted
    return;
  }
  const uint64_t bound = listBound(spans_, ai);
  bool binsViable = true;
  // Checks before a node is read; false ends the cursor (why in *kind, *what).
  auto usable = [&](Cursor& c, const char** kind, std::string* what) {
    const std::string name = c.bin == 1 ? "the unsorted bin" : "bin " + std::to_string(c.bin);
    if (c.guard.revisits(c.p)) {
      *kind = "bin-cycle";
      *what = name + " loops without returning to its head";
    } else if (++c.steps > bound) {
      *kind = "bin-too-long";
      *what = name + " longer than the arena can hold";
    } else if ((c.p & kAlignMask) != 0) {
      *kind = "bin-misaligned";
      *what = name + " node is not 16-aligned";
    } else {
      const int s = arenaSpanOf(c.p, kMinSize);
      if (s >= 0 && spans_[static_cast<size_t>(s)].arena == ai) return true;
      *kind = "bin-outside-heap";
      *what = name + " node is outside this arena's heaps";
    }
    return false;
  };
  // Checks of a node read (as unlink_chunk would: fd->bk == node, size
  // against the bin); false ends the cursor.
  auto valid = [&](Cursor& c, const char** kind, std::string* what) {
    const std::string name = c.bin == 1 ? "the unsorted bin" : "bin " + std::to_string(c.bin);
    if (c.node[3] != c.prev) {
      *kind = "bin-link-broken";
      *what = name + ": chunk->bk = " + hex(c.node[3]) + ", expected " + hex(c.prev);
      return false;
    }
    const uint64_t sz = chunkSize(c.node[1]);
    const Span& span = spans_[static_cast<size_t>(arenaSpanOf(c.p, kMinSize))];
    if (sz < kMinSize || (sz & kAlignMask) != 0 || c.p + sz > span.end || c.p + sz <= c.p ||
        (c.bin != 1 && binIndex(sz) != c.bin)) {
      *kind = "bin-size-mismatch";
      *what = "size " + hex(c.node[1]) + " does not belong in " + name;
      return false;
    }
    return true;
  };
  std::vector<Cursor*> live;
  std::vector<ScatterRead> reads;
  while (true) {
    throwIfCanceled(O_.cancel);
    const bool binsClosed = binsViable && std::all_of(bins.begin(), bins.end(), [](const Cursor& c) { return c.closed; });
    if (u.done && u.closed) break;  // the unsorted list is complete: it is the listed side
    if (binsClosed) {
      a.listed = ArenaWork::Listed::kBins;
      break;
    }
    if (u.done && !binsViable) break;  // neither side complete: the hash checks say what is wrong
    live.clear();
    const char* kind = nullptr;
    std::string what;
    if (!u.done) {
      if (u.p == u.head) {
        u.done = u.closed = true;
        if (uh.headBk != u.prev) a.log.add("bin-tail-mismatch", u.head, "the unsorted bin: bk does not name the last chunk");
      } else if (!usable(u, &kind, &what)) {
        a.log.add(kind, u.p, what);
        u.done = true;
        a.unsortedBroken = true;
      } else {
        live.push_back(&u);
      }
    }
    if (binsViable) {
      for (Cursor& c : bins) {
        if (c.done) continue;
        if (c.p == c.head) {
          c.done = c.closed = true;
          if (a.binHashes.bins[c.bin].headBk != c.prev) binsViable = false;
        } else if (!usable(c, &kind, &what)) {
          binsViable = false;
        } else {
          live.push_back(&c);
        }
      }
    }
    if (live.empty()) continue;
    reads.resize(live.size());
    for (size_t k = 0; k < live.size(); ++k) {
      reads[k].addr = live[k]->p;
      reads[k].len = sizeof live[k]->node;
      reads[k].dst = reinterpret_cast<uint8_t*>(live[k]->node);
      reads[k].ok = false;
    }
    src_.readScatter(reads.data(), reads.size());
    for (size_t k = 0; k < live.size(); ++k) {
      Cursor& c = *live[k];
      if (c.bin != 1 && !binsViable) continue;
      bool ok = reads[k].ok;
      if (!ok) {
        kind = "bin-unreadable";
        what = (c.bin == 1 ? std::string("the unsorted bin") : "bin " + std::to_string(c.bin)) + " node unreadable";
      } else {
        ok = valid(c, &kind, &what);
      }
      if (ok && c.bin != 1) ok = members_.get(c.p) == kLabelNone && binMembers_.set(c.p, 1);
      if (!ok) {
        if (c.bin == 1) {
          a.log.add(kind, c.p, what);
          a.unsortedBroken = true;
        } else {
          binsViable = false;
        }
        c.done = true;
        continue;
      }
      if (c.bin == 1) addMember(ai, c.p, kLabelUnsorted);
      c.prev = c.p;
      c.p = c.node[2];
    }
  }
  if (a.listed == ArenaWork::Listed::kUnsorted) {
    // The bins' side lost: their members are the chunk walk's to place.
    for (const Span& s : spans_) {
      if (s.arena == ai) binMembers_.clearRange(s.start, s.end);
    }
  }
}

void ArenaWalker::initBinHashes(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  for (unsigned i = 1; i < kNBins; ++i) {
    const int64_t slot = L_.offBins + 16 * static_cast<int64_t>(i - 1);
    BinHash& h = a.binHashes.bins[i];
    h = BinHash{};
    h.head = binAt(L_, a.report.address, i);
    h.headFd = stateU64(a, slot);
    h.headBk = stateU64(a, slot + 8);
    if ((h.headFd == h.head) != (h.headBk == h.head)) {
      a.log.add("bin-half-empty", h.head,
                (i == 1 ? std::string("the unsorted bin") : "bin " + std::to_string(i)) + " has one link pointing at itself");
    }
  }
}

void ArenaWalker::walkBinExplicitly(uint32_t ai, unsigned i) {
  ArenaWork& a = *arenas_[ai];
  BinHash& h = a.binHashes.bins[i];
  const std::string name = i == 1 ? "the unsorted bin" : "bin " + std::to_string(i);
  // Judged from the head's links and the free chunks the walk placed in the
  // bin: a bin that changed between two reads is not the same finding.
  const uint64_t context = h.nodes ^ binHash(h.headFd) ^ binHash(h.headBk + 1) ^ h.count;
  if (h.empty()) {
    if (h.count > 0) {
      a.log.add("free-chunk-in-no-bin", h.head,
                std::to_string(h.count) + " free chunk(s) " + (i == 1 ? std::string("left for the unsorted bin") : "of bin " + std::to_string(i) + "'s sizes") + ", but the bin is empty",
                context);
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
    a.log.add("bin-tail-mismatch", h.head, name + ": bk does not name the last chunk", context);
  } else if (nodes != h.count) {
    a.log.add(nodes < h.count ? "free-chunk-in-no-bin" : "bin-chunk-marked-in-use", h.head,
              name + " lists " + std::to_string(nodes) + " chunk(s); the heap has " + std::to_string(h.count) +
                  " free chunk(s) the walk placed in it",
              context);
  } else {
    a.log.add("bin-list-inconsistent", h.head, name + ": its links do not match the free chunks the walk found", context);
  }
}

void ArenaWalker::checkBinHashes(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  for (unsigned i = 1; i < kNBins; ++i) {
    const BinHash& h = a.binHashes.bins[i];
    if (h.holds()) continue;
    if (i == 1 && a.unsortedBroken) continue;  // the list walk said what broke
    walkBinExplicitly(ai, i);
  }
}

}  // namespace ptmalloc
}  // namespace arenascope
