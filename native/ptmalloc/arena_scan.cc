#include "arena_scan.h"

#include <algorithm>
#include <unordered_set>

#include "chunk_format.h"
#include "walker_internal.h"

namespace arenascope {
namespace ptmalloc {

namespace {
// libc's .data + .bss is a few hundred KiB; anything far bigger is not it.
constexpr uint64_t kMaxScanBytes = 64ull << 20;
constexpr uint32_t kMaxRing = 4096;

bool rangeReadable(const std::vector<Hole>& holes, uint64_t a, uint64_t len) {
  for (const Hole& h : holes) {
    if (h.start < a + len && h.end > a) return false;
  }
  return true;
}

std::vector<uint8_t> readRange(MemorySource* src, uint64_t start, uint64_t end, std::vector<Hole>* holes) {
  std::vector<uint8_t> buf;
  if (end <= start || end - start > kMaxScanBytes) return buf;
  buf.resize(end - start);
  src->read(start, buf.data(), buf.size(), holes);
  return buf;
}
}  // namespace

std::vector<MainArenaCandidate> scanForMainArena(MemorySource* src, uint64_t start, uint64_t end,
                                                 const MallocLayout& L, uint64_t heapMax) {
  std::vector<MainArenaCandidate> out;
  if (heapMax == 0 || (heapMax & (heapMax - 1)) != 0) heapMax = kDefaultHeapMax;
  std::vector<Hole> holes;
  std::vector<uint8_t> buf = readRange(src, start, end, &holes);
  const uint64_t S = static_cast<uint64_t>(L.stateSize);
  const uint64_t hi = static_cast<uint64_t>(L.heapInfoSize);
  if (buf.size() < S) return out;
  auto isArenaAddress = [&](uint64_t p) { return p != 0 && ((p - hi) & (heapMax - 1)) == 0; };
  if (start > UINT64_MAX - 7) return out;
  start = (start + 7) & ~7ull;
  // end - cand, not cand + S: a range ending near 2^64 must not wrap (found by the fuzzer).
  for (uint64_t cand = start; cand < end && end - cand >= S; cand += 8) {
    const uint8_t* st = buf.data() + (cand - (end - buf.size()));
    const uint64_t next = loadU64(st + L.offNext);
    if (next != cand && !isArenaAddress(next)) continue;
    const uint32_t mutex = loadU32(st);
    const uint32_t flags = loadU32(st + L.offFlags);
    // mutex is a lll lock (0, 1, 2); flags use bits 0-2 only.
    if (mutex > 2 || (flags & ~7u) != 0) continue;
    if (!rangeReadable(holes, cand, S)) continue;
    // Bins: all zero before malloc_init_state, all self-or-elsewhere after.
    bool ok = true;
    uint32_t zero = 0, selfPointing = 0;
    std::vector<std::pair<uint64_t, std::pair<uint64_t, uint64_t>>> nonEmpty;  // bin, (fd, bk)
    for (unsigned i = 1; i < kNBins && ok; ++i) {
      const uint64_t slot = static_cast<uint64_t>(L.offBins) + 16 * (i - 1);
      const uint64_t self = cand + slot - kChunkHeader;
      const uint64_t fd = loadU64(st + slot), bk = loadU64(st + slot + 8);
      if ((fd == self) != (bk == self)) ok = false;
      else if (fd == self) ++selfPointing;
      else if (fd == 0 && bk == 0) ++zero;
      else if (fd == 0 || bk == 0 || (fd & kAlignMask) != 0 || (bk & kAlignMask) != 0) ok = false;
      else nonEmpty.push_back({self, {fd, bk}});
    }
    if (!ok) continue;
    if (zero != 0 && zero != kNBins - 1) continue;  // half-initialized bins are not an arena
    // The next ring must come back to the candidate.
    uint32_t ring = 1;
    uint64_t p = next;
    std::unordered_set<uint64_t> seen;
    while (p != cand && ring < kMaxRing) {
      if (!isArenaAddress(p) || !seen.insert(p).second) break;
      uint64_t n;
      if (!src->readValue(p + static_cast<uint64_t>(L.offNext), &n)) break;
      p = n;
      ++ring;
    }
    if (p != cand) continue;
    MainArenaCandidate c;
    c.address = cand;
    c.ringLength = ring;
    c.initialized = zero == 0;
    c.nonEmptyBins = static_cast<uint32_t>(nonEmpty.size());
    c.top = loadU64(st + L.offTop);
    c.systemMem = loadU64(st + L.offSystemMem);
    int score = 10;
    if (c.initialized) score += 5;
    uint32_t failed = 0;
    for (const auto& b : nonEmpty) {
      uint64_t fdBk = 0, bkFd = 0;
      // unlink's invariant at the ends of the list: first->bk == bin == last->fd.
      bool good = src->readValue(b.second.first + 0x18, &fdBk) && src->readValue(b.second.second + 0x10, &bkFd) &&
                  fdBk == b.first && bkFd == b.first;
      if (good) ++c.verifiedBins;
      else ++failed;
    }
    score += static_cast<int>(std::min<uint32_t>(c.verifiedBins, 20)) - 10 * static_cast<int>(failed);
    if (c.initialized && c.top != 0 && (c.top & kAlignMask) == 0) {
      uint64_t topSize = 0;
      if (c.top == cand + static_cast<uint64_t>(L.offTop)) {
        score += 1;  // initial_top: a main arena nothing has allocated from
      } else if (src->readValue(c.top + 8, &topSize) && (topSize & kPrevInuse) && chunkSize(topSize) <= c.systemMem) {
        score += 3;
      }
    }
    if (L.offAttachedThreads >= 0) {
      uint64_t at = loadU64(st + L.offAttachedThreads);
      if (at >= 1 && at < (1u << 20)) score += 1;  // main_arena starts with attached_threads = 1
    }
    c.score = score;
    out.push_back(c);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const MainArenaCandidate& a, const MainArenaCandidate& b) { return a.score > b.score; });
  return out;
}

std::vector<MallocParCandidate> scanForMallocPar(MemorySource* src, uint64_t start, uint64_t end,
                                                 const MallocLayout& L) {
  std::vector<MallocParCandidate> out;
  std::vector<Hole> holes;
  std::vector<uint8_t> buf = readRange(src, start, end, &holes);
  const uint64_t M = static_cast<uint64_t>(L.mpSize);
  if (buf.size() < M) return out;
  const uint64_t base = end - buf.size();
  if (start > UINT64_MAX - 7) return out;
  start = (start + 7) & ~7ull;
  auto isPow2OrZero = [](uint64_t v) { return (v & (v - 1)) == 0; };
  for (uint64_t cand = start; cand < end && end - cand >= M; cand += 8) {
    const uint8_t* p = buf.data() + (cand - base);
    auto u64 = [&](int64_t off) { return loadU64(p + off); };
    auto i32 = [&](int64_t off) { return static_cast<int32_t>(loadU32(p + off)); };
    // Hard limits from malloc.c and the tunables' ranges.
    uint64_t arenaTest = u64(L.mpArenaTest), arenaMax = u64(L.mpArenaMax);
    if (arenaTest < 1 || arenaTest > (1u << 20) || arenaMax > (1u << 20)) continue;
    int32_t nMmaps = i32(L.mpNMmaps), nMmapsMax = i32(L.mpNMmapsMax), maxNMmaps = i32(L.mpMaxNMmaps);
    int32_t noDyn = i32(L.mpNoDynThreshold);
    if (nMmaps < 0 || nMmapsMax < 0 || maxNMmaps < nMmaps || (noDyn != 0 && noDyn != 1)) continue;
    uint64_t mm = u64(L.mpMmappedMem), maxMm = u64(L.mpMaxMmappedMem);
    if (mm > maxMm || (mm & (kPageSize - 1)) != 0 || (maxMm & (kPageSize - 1)) != 0 || (nMmaps == 0) != (mm == 0)) continue;
    uint64_t sbrk = u64(L.mpSbrkBase);
    if ((sbrk & 7) != 0 || sbrk >= (1ull << 47)) continue;
    if (L.mpHpPagesize >= 0 && !isPow2OrZero(u64(L.mpHpPagesize))) continue;
    if (L.mpThpPagesize >= 0 && !isPow2OrZero(u64(L.mpThpPagesize))) continue;
    if (L.mpTcacheBins >= 0 && u64(L.mpTcacheBins) > static_cast<uint64_t>(L.tcacheBins)) continue;
    if (L.mpTcacheCount >= 0 && u64(L.mpTcacheCount) > 0xffff) continue;
    // thp_mode (2.43+) is a small enum (malloc_thp_mode_t, thp_mode_t).
    if (L.mpThpMode >= 0 && loadU32(p + L.mpThpMode) > 7) continue;
    if (!rangeReadable(holes, cand, M)) continue;
    // Soft evidence: the version's defaults (mp_'s initializer, from the layout
    // table) and the dynamic-threshold relation (free() of a large mmapped chunk
    // sets mmap_threshold up to DEFAULT_MMAP_THRESHOLD_MAX, trim_threshold to twice that).
    int score = 0;
    uint64_t trim = u64(L.mpTrimThreshold), topPad = u64(L.mpTopPad), mmapThr = u64(L.mpMmapThreshold);
    const uint64_t defaultMmapThr = static_cast<uint64_t>(L.mpDefaultMmapThreshold);
    auto isDefault = [&](int64_t off, int64_t value) { return off >= 0 && value >= 0 && u64(off) == static_cast<uint64_t>(value); };
    if (mmapThr == defaultMmapThr || (mmapThr > defaultMmapThr && mmapThr <= (32ull << 20) && trim == 2 * mmapThr)) score += 2;
    if (trim == static_cast<uint64_t>(L.mpDefaultTrimThreshold)) score += 1;
    if (topPad == static_cast<uint64_t>(L.mpDefaultTopPad)) score += 1;
    if (arenaTest == static_cast<uint64_t>(L.mpDefaultArenaTest)) score += 1;
    if (arenaMax == 0) score += 1;
    if (nMmapsMax == L.mpDefaultNMmapsMax) score += 2;
    if (sbrk != 0 && (sbrk & (kPageSize - 1)) == 0) score += 2;
    if (isDefault(L.mpTcacheBins, L.mpDefaultTcacheBins)) score += 1;
    if (isDefault(L.mpTcacheMaxBytes, L.mpDefaultTcacheMaxBytes)) score += 1;
    if (isDefault(L.mpTcacheCount, L.mpDefaultTcacheCount)) score += 1;
    if (score < 5) continue;
    out.push_back({cand, score});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const MallocParCandidate& a, const MallocParCandidate& b) { return a.score > b.score; });
  return out;
}

bool readHeapInfo(MemorySource* src, uint64_t address, const MallocLayout& L, HeapInfoValues* out) {
  uint8_t buf[0x30];
  if (!src->readExact(address, buf, static_cast<size_t>(L.heapInfoSize))) return false;
  out->arPtr = loadU64(buf);
  out->prev = loadU64(buf + 8);
  out->size = loadU64(buf + 0x10);
  out->mprotectSize = loadU64(buf + 0x18);
  out->pagesize = L.heapInfoHasPagesize ? static_cast<int64_t>(loadU64(buf + 0x20)) : -1;
  return true;
}

}  // namespace ptmalloc
}  // namespace arenascope
