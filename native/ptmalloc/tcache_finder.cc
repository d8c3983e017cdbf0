// Finding and reading tcache_perthread_structs (2.26+). Nothing in an arena
// points at them: each is an ordinary in-use chunk allocated by its thread's
// first malloc (tcache_init; 2.43+: its first free of a small chunk, or
// _int_malloc taking a binned chunk, wherever malloc carves it then). Known
// places: the first chunk of an arena's first heap (the thread that created
// the arena), the first chunk at mp_.sbrk_base (the main thread), and
// addresses the caller found through TLS. Threads that reused an arena, and
// 2.43+ threads, have theirs somewhere in it; in-use chunks of exactly the
// tcache chunk size are checked as candidates.
#include <algorithm>
#include <unordered_set>

#include "walker_internal.h"

namespace arenascope {
namespace ptmalloc {


bool ArenaWalker::tryTcache(uint64_t user, const char* foundBy, bool strict, std::string* why) {
  for (const auto& t : tcaches_) {
    if (t.user == user) {
      if (why) *why = "already known";
      return false;
    }
  }
  TcacheFound t;
  std::vector<std::string> problems;
  if (!parseTcache(user, strict, &t, &problems, why)) return false;
  t.foundBy = foundBy;
  // Judged against the struct as read: a tcache its thread changed in
  // between confirms nothing.
  const uint64_t image = AnomalyLog::detailHash(std::string(t.image.begin(), t.image.end()));
  for (const auto& p : problems) tcacheLog_.add("tcache-list-broken", user, p, AnomalyLog::detailHash(p) ^ image);
  tcaches_.push_back(std::move(t));
  addTcacheMembers(tcaches_.size() - 1);
  return true;
}

void ArenaWalker::refreshTcaches(AnomalyLog* problemsLog) {
  for (size_t i = 0; i < tcaches_.size(); ++i) {
    TcacheFound fresh;
    std::vector<std::string> problems;
    const bool ok = parseTcache(tcaches_[i].user, false, &fresh, &problems, nullptr);
    if (problemsLog) {
      const uint64_t image = AnomalyLog::detailHash(std::string(fresh.image.begin(), fresh.image.end()));
      for (const auto& p : problems) problemsLog->add("tcache-list-broken", tcaches_[i].user, p, AnomalyLog::detailHash(p) ^ image);
    }
    if (!ok) {
      // No longer a tcache (its thread exited, the chunk was freed): empty.
      tcaches_[i].entries.clear();
      std::fill(tcaches_[i].counts.begin(), tcaches_[i].counts.end(), 0);
    } else {
      fresh.foundBy = tcaches_[i].foundBy;
      tcaches_[i] = std::move(fresh);
    }
    addTcacheMembers(i);
  }
}

bool ArenaWalker::parseTcache(uint64_t user, bool strict, TcacheFound* out, std::vector<std::string>* problemsOut,
                              std::string* why) {
  auto reject = [why](const std::string& m) {
    if (why) *why = m;
    return false;
  };
  const uint64_t chunk = user - kChunkHeader;
  if ((user & kAlignMask) != 0 || user < kChunkHeader) return reject("misaligned");
  if (arenaSpanOf(chunk, kChunkHeader) < 0) return reject("not inside a known heap");
  uint64_t hdr[2], nextHdr[2];
  if (!mem_.read(chunk, hdr, sizeof hdr)) return reject("unreadable");
  // request2size(sizeof (tcache_perthread_struct)), or 16 bytes more (isTcacheChunkSize).
  const uint64_t csize = chunkSize(hdr[1]);
  if (!isTcacheChunkSize(csize, static_cast<uint64_t>(L_.tcacheChunkSize))) {
    return reject("chunk size " + hex(hdr[1]) + " is not the tcache chunk size");
  }
  if (arenaSpanOf(chunk, csize + kChunkHeader) < 0) return reject("not inside a known heap");
  if (!mem_.read(chunk + csize, nextHdr, sizeof nextHdr)) return reject("unreadable");
  if ((nextHdr[1] & kPrevInuse) == 0) return reject("chunk is free");

  const size_t bins = static_cast<size_t>(L_.tcacheBins);
  const size_t structLen = static_cast<size_t>(L_.tcacheEntriesOffset) + 8 * bins;
  std::vector<uint8_t> image(structLen);
  if (!mem_.read(user, image.data(), structLen)) return reject("struct unreadable");

  TcacheFound& t = *out;
  t.user = user;
  t.counts.assign(bins, 0);
  std::vector<std::pair<uint64_t, uint64_t>> entries;  // (chunk, size)
  std::unordered_set<uint64_t> seen;
  uint64_t sharedKey = 0;
  bool anyEntry = false;
  size_t disagree = 0;  // bins whose count and head disagree
  std::vector<std::string>& problems = *problemsOut;
  for (size_t i = 0; i < bins; ++i) {
    uint64_t raw = L_.tcacheCountWidth == 1 ? image[i] : static_cast<uint64_t>(image[2 * i] | (image[2 * i + 1] << 8));
    uint64_t n;
    if (L_.tcacheCountsAreFreeSlots) {
      // 2.42+: num_slots[i] starts at tcache_count and counts down per put.
      if (raw > tcacheCountLimit_) return reject("num_slots above tcache_count in bin " + std::to_string(i));
      n = tcacheCountLimit_ - raw;
    } else {
      n = raw;
      if (n > tcacheCountLimit_) return reject("count above tcache_count in bin " + std::to_string(i));
    }
    // Heads are raw pointers to user memory (chunk + 0x10).
    uint64_t e = loadU64(image.data() + L_.tcacheEntriesOffset + 8 * i);
    if ((n == 0) != (e == 0)) {
      if (strict) return reject("count and head disagree in bin " + std::to_string(i));
      ++disagree;
      problems.push_back("bin " + std::to_string(i) + ": count " + std::to_string(n) + " but head " + hex(e));
      if (e == 0) continue;
    }
    uint64_t k = 0;
    bool broke = false;
    for (; k < n && e != 0; ++k) {
      std::string bad;
      uint64_t c = e - kChunkHeader;
      uint64_t q[4];  // prev_size, size, next, key
      const bool aligned = (e & kAlignMask) == 0 && e >= kChunkHeader;
      int s = aligned ? arenaSpanOf(c, kMinSize) : -1;
      if (!aligned) {
        bad = "entry " + hex(e) + " misaligned";
      } else if (s < 0 && !L_.tcacheHoldsMmapped) {
        bad = "entry " + hex(e) + " outside every heap";
      } else if (s < 0) {
        // 2.43+ __libc_free tcaches any chunk below tcache_max_bytes,
        // mmapped ones included: outside every heap it must be one, whole
        // (its mapping overlaps no heap) and of this bin.
        if (!src_.readExact(c, q, sizeof q)) {
          bad = "entry " + hex(e) + " outside every heap and unreadable";
        } else if (!isMmappedChunkHeader(c, q[0], q[1], static_cast<uint64_t>(L_.mmappedChunkTail)) ||
                   overlapsSpan(c - (q[0] & ~kMmapHp), (q[0] & ~kMmapHp) + chunkSize(q[1]) + static_cast<uint64_t>(L_.mmappedChunkTail))) {
          bad = "entry " + hex(e) + " outside every heap and not an mmapped chunk";
        } else if (tcacheIndex(chunkSize(q[1]), L_.tcacheBins) != static_cast<int>(i)) {
          bad = "entry " + hex(e) + " has size " + hex(q[1]) + " not of bin " + std::to_string(i);
        }
      } else if (!mem_.read(c, q, sizeof q)) {
        bad = "entry " + hex(e) + " unreadable";
      } else if (tcacheIndex(chunkSize(q[1]), L_.tcacheBins) != static_cast<int>(i) ||
                 c + chunkSize(q[1]) > spans_[static_cast<size_t>(s)].end) {
        bad = "entry " + hex(e) + " has size " + hex(q[1]) + " not of bin " + std::to_string(i);
      }
      if (!bad.empty()) {
        // reported below
      } else if (!seen.insert(c).second) {
        bad = "entry " + hex(e) + " appears twice";
      } else if (L_.tcacheHasKey) {
        // 2.29+ tcache_put stamps key: the owning struct (2.29-2.33) or the
        // process-wide tcache_key (2.34+). Either way one value per struct.
        if (q[3] == 0 || (sharedKey != 0 && q[3] != sharedKey)) bad = "entry " + hex(e) + " has an inconsistent key";
        sharedKey = q[3];
      }
      if (!bad.empty()) {
        // A scanned chunk must prove itself a tcache by its heads: past a good
        // head, a broken link is the tcache's damage, not a sign it is none
        // (2.43+ tcaches lie where only the scan finds them).
        if (strict && k == 0) return reject(bad);
        problems.push_back("bin " + std::to_string(i) + ": " + bad);
        broke = true;
        break;
      }
      entries.emplace_back(c, chunkSize(q[1]));
      anyEntry = true;
      // entry->next is safe-linked from 2.32; its field is the user pointer.
      e = L_.safeLinking ? revealPtr(e, q[2]) : q[2];
    }
    if (broke) {
      // already reported
    } else if (k == n && e != 0) {
      // (k >= 1 here: a good head came first, as for a broken link above)
      problems.push_back("bin " + std::to_string(i) + " longer than its count");
    } else if (k < n) {
      problems.push_back("bin " + std::to_string(i) + " shorter than its count");
    }
    t.counts[i] = static_cast<uint32_t>(k);
  }
  // A known place need not hold the tcache (2.43+ creates it at the first
  // small free, wherever malloc then carves it): a chunk of the same size
  // whose counters and heads disagree in most bins is not one (an all-zero
  // chunk reads as every free-slot counter at 0 with no heads).
  if (disagree * 2 > bins) return reject("count and head disagree in most bins");
  // An all-zero chunk reads as an empty tcache with plain counters; only
  // trust that at a known place. 2.42's free-slot counters make an empty
  // tcache distinctive (every num_slots == tcache_count), so it may stand.
  if (strict && !anyEntry && !L_.tcacheCountsAreFreeSlots) return reject("empty");
  t.image = std::move(image);
  t.entries = std::move(entries);
  t.arena = spans_[static_cast<size_t>(arenaSpanOf(chunk, csize + kChunkHeader))].arena;
  return true;
}

// The struct's own chunk is glibc-internal (in use); its entries are
// counted here once, and put in the member map by the walk of each arena
// they lie in (walkArena), so a re-walk finds them again.
void ArenaWalker::addTcacheMembers(size_t ti) {
  TcacheFound& t = tcaches_[ti];
  internalChunks_.insert(t.user - kChunkHeader);
  t.chunks = t.bytes = t.mmappedChunks = t.mmappedBytes = 0;
  for (const auto& e : t.entries) {
    ++t.chunks;
    t.bytes += e.second;
    // parseTcache let an entry outside every heap through only as an mmapped chunk.
    if (arenaSpanOf(e.first, kMinSize) < 0) {
      ++t.mmappedChunks;
      t.mmappedBytes += e.second;
    }
  }
}

void ArenaWalker::findKnownTcaches() {
  if (!L_.hasTcache()) return;
  for (uint64_t user : O_.tcacheStructs) {
    // A thread's TLS tcache pointer outside every arena heap is no tcache
    // to walk: NULL before its first use (up to 2.42), or 2.43+'s
    // __tcache_dummy in libc's .rodata until its first small free creates one.
    if (user < kChunkHeader || arenaSpanOf(user - kChunkHeader, kMinSize) < 0) continue;
    std::string why;
    if (!tryTcache(user, "hint", false, &why) && why != "already known") {
      globalLog_.add("tcache-hint-rejected", user, why);
    }
  }
  for (const Span& s : spans_) {
    const ArenaReport& r = arenas_[s.arena]->report;
    bool firstOfArena = r.main ? s.start == result_.mp.sbrkBase : s.start + static_cast<uint64_t>(L_.heapInfoSize) == r.address;
    if (!firstOfArena) continue;
    std::string why;
    tryTcache(s.firstChunk + kChunkHeader, r.main ? "sbrk-base" : "first-chunk", false, &why);
  }
}

bool ArenaWalker::checkHeuristicCandidates() {
  if (!L_.hasTcache()) return false;
  bool added = false;
  const size_t n = heuristicCandidates_.size();
  for (size_t i = 0; i < n; ++i) {
    std::string why;
    if (tryTcache(heuristicCandidates_[i], "scan", true, &why)) added = true;
  }
  if (heuristicCandidatesDropped_ > 0) {
    globalLog_.add("tcache-scan-truncated", 0, "too many tcache-sized chunks to check them all");
  }
  heuristicCandidates_.clear();
  return added;
}

void ArenaWalker::confirmTcaches() {
  // As for an arena: the tcaches read again; a problem the second read does
  // not have was a thread moving entries in and out while the first read ran.
  AnomalyLog second;
  refreshTcaches(&second);
  AnomalyLog confirmed = second.confirmedBy(tcacheLog_);
  for (const AnomalyCount& c : tcacheLog_.counts()) {
    uint64_t kept = 0;
    for (const AnomalyCount& k : confirmed.counts()) {
      if (k.kind == c.kind) kept = k.count;
    }
    if (c.count > kept) {
      result_.anomalies.tornCounts.push_back({c.kind, c.count - kept, c.consequence});
      result_.anomalies.torn += c.count - kept;
    }
  }
  tcacheLog_ = std::move(confirmed);
}

void ArenaWalker::reportTcaches() {
  for (const TcacheFound& t : tcaches_) {
    int s = arenaSpanOf(t.user - kChunkHeader, kMinSize);
    if (s < 0) continue;
    ArenaWork& a = *arenas_[spans_[static_cast<size_t>(s)].arena];
    // tcaches have no lock: compare the struct with a second read.
    std::vector<uint8_t> after(t.image.size());
    if (!src_.readExact(t.user, after.data(), after.size()) || after != t.image) {
      a.report.approximate = true;
    }
    TcacheReport tr;
    tr.address = t.user;
    tr.foundBy = t.foundBy;
    tr.chunks = t.chunks;
    tr.bytes = t.bytes;
    tr.mmappedChunks = t.mmappedChunks;
    tr.mmappedBytes = t.mmappedBytes;
    if (O_.withTcacheDetail) tr.counts = t.counts;
    a.report.tcaches.push_back(std::move(tr));
  }
}

}  // namespace ptmalloc
}  // namespace arenascope
