// Fastbins and the regular bins of one arena, walked from the heads in its
// malloc_state. Every node is validated (alignment, inside one of this
// arena's heaps, size matching the bin, back link) before it is trusted; a
// bad node ends that list with an anomaly.
#include <algorithm>

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

namespace {
// A list cannot hold more chunks than fit in the arena's heaps.
uint64_t listBound(const std::vector<Span>& spans, uint32_t ai) {
  uint64_t bytes = 0;
  for (const Span& s : spans) {
    if (s.arena == ai) bytes += s.end - s.start;
  }
  return bytes / kMinSize + 2;
}
}  // namespace

void ArenaWalker::walkFastbins(uint32_t ai) {
  if (!L_.hasFastbins()) return;
  ArenaWork& a = *arenas_[ai];
  const uint64_t bound = listBound(spans_, ai);
  bool anyFast = false;
  for (int i = 0; i < L_.nFastbins; ++i) {
    // Heads are raw pointers to chunk headers, never mangled.
    uint64_t p = stateU64(a, L_.offFastbins + 8 * i);
    if (p == 0) continue;
    anyFast = true;
    CycleGuard guard(p);
    uint64_t steps = 0;
    BinReport* rep = nullptr;
    while (p != 0) {
      if (++steps > bound) {
        a.sink.add("fastbin-too-long", p, "fastbin " + std::to_string(i) + " longer than the arena can hold");
        break;
      }
      if ((p & kAlignMask) != 0) {
        a.sink.add("fastbin-misaligned", p, "fastbin " + std::to_string(i) + " node is not 16-aligned");
        break;
      }
      int s = arenaSpanOf(p, kMinSize);
      if (s < 0 || spans_[static_cast<size_t>(s)].arena != ai) {
        a.sink.add("fastbin-outside-heap", p, "fastbin " + std::to_string(i) + " node is outside this arena's heaps");
        break;
      }
      uint64_t hdr[3];  // prev_size, size, fd
      if (!mem_.read(p, hdr, sizeof hdr)) {
        a.sink.add("fastbin-unreadable", p, "fastbin node unreadable");
        break;
      }
      uint64_t sz = chunkSize(hdr[1]);
      if (fastbinIndex(sz) != i || p + sz > spans_[static_cast<size_t>(s)].end) {
        a.sink.add("fastbin-size-mismatch", p, "size " + hex(hdr[1]) + " does not belong in fastbin " + std::to_string(i));
        break;
      }
      if (O_.globalMaxFast != 0 && sz > O_.globalMaxFast) {
        a.sink.add("fastbin-above-max-fast", p, "fastbin chunk larger than global_max_fast");
      }
      members_.push_back({p, sz, kLabelFast, static_cast<uint16_t>(i), ai});
      if (!rep) rep = &binReport(ai, BinKind::kFast, static_cast<unsigned>(i));
      rep->add(sz, hdr[1]);
      // In-chunk fd is safe-linked from 2.32: the field lives at chunk+0x10.
      uint64_t next = L_.safeLinking ? revealPtr(p + kChunkHeader, hdr[2]) : hdr[2];
      if (next != 0 && guard.revisits(next)) {
        a.sink.add("fastbin-cycle", next, "fastbin " + std::to_string(i) + " loops");
        break;
      }
      p = next;
    }
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
    if (!hinted) a.sink.add("fastchunks-flag", a.report.address, "fastbins hold chunks but the arena says it has none");
  }
}

void ArenaWalker::walkBins(uint32_t ai) {
  ArenaWork& a = *arenas_[ai];
  const uint64_t bound = listBound(spans_, ai);
  for (unsigned i = 1; i < kNBins; ++i) {
    // bin_at(m, i) = &bins[2*(i-1)] - 2*SIZE_SZ: a fake chunk whose fd/bk are
    // the two slots. Empty bins point at themselves.
    const int64_t slot = L_.offBins + 16 * static_cast<int64_t>(i - 1);
    const uint64_t binAt = a.report.address + static_cast<uint64_t>(slot) - kChunkHeader;
    const uint64_t fd = stateU64(a, slot);
    const uint64_t bk = stateU64(a, slot + 8);
    if (fd == binAt && bk == binAt) continue;
    if ((fd == binAt) != (bk == binAt)) {
      a.sink.add("bin-half-empty", binAt, "bin " + std::to_string(i) + " has one link pointing at itself");
      continue;
    }
    const BinKind kind = i == 1 ? BinKind::kUnsorted : i < kNSmallBins ? BinKind::kSmall : BinKind::kLarge;
    const uint8_t label = i == 1 ? kLabelUnsorted : i < kNSmallBins ? kLabelSmall : kLabelLarge;
    CycleGuard guard(binAt);
    uint64_t prev = binAt;
    uint64_t p = fd;
    uint64_t steps = 0;
    bool closed = false;
    BinReport* rep = nullptr;
    while (true) {
      if (p == binAt) {
        closed = true;
        break;
      }
      if (guard.revisits(p)) {
        a.sink.add("bin-cycle", p, "bin " + std::to_string(i) + " loops without returning to its head");
        break;
      }
      if (++steps > bound) {
        a.sink.add("bin-too-long", p, "bin " + std::to_string(i) + " longer than the arena can hold");
        break;
      }
      if ((p & kAlignMask) != 0) {
        a.sink.add("bin-misaligned", p, "bin " + std::to_string(i) + " node is not 16-aligned");
        break;
      }
      int s = arenaSpanOf(p, kMinSize);
      if (s < 0 || spans_[static_cast<size_t>(s)].arena != ai) {
        a.sink.add("bin-outside-heap", p, "bin " + std::to_string(i) + " node is outside this arena's heaps");
        break;
      }
      uint64_t c[4];  // prev_size, size, fd, bk
      if (!mem_.read(p, c, sizeof c)) {
        a.sink.add("bin-unreadable", p, "bin node unreadable");
        break;
      }
      if (c[3] != prev) {
        // unlink_chunk's check: fd->bk == p for every neighbour pair.
        a.sink.add("bin-link-broken", p, "bin " + std::to_string(i) + ": chunk->bk = " + hex(c[3]) + ", expected " + hex(prev));
        break;
      }
      const uint64_t sz = chunkSize(c[1]);
      bool sizeOk = sz >= kMinSize && (sz & kAlignMask) == 0 && p + sz <= spans_[static_cast<size_t>(s)].end &&
                    p + sz > p && (i == 1 || binIndex(sz) == i);
      if (!sizeOk) {
        a.sink.add("bin-size-mismatch", p, "size " + hex(c[1]) + " does not belong in bin " + std::to_string(i));
        break;
      }
      members_.push_back({p, sz, label, static_cast<uint16_t>(i), ai});
      if (!rep) rep = &binReport(ai, kind, i);
      rep->add(sz, c[1]);
      prev = p;
      p = c[2];
    }
    if (closed && bk != prev) {
      a.sink.add("bin-tail-mismatch", binAt, "bin " + std::to_string(i) + ": bk does not name the last chunk");
    }
  }
}

}  // namespace ptmalloc
}  // namespace arenascope
