#include "chunk_map.h"

#include <cstring>

namespace arenascope {
namespace ptmalloc {

void ChunkMap::addSpan(uint64_t start, uint64_t end, uint32_t arena) {
  ChunkMapSpan s;
  s.start = start & ~15ull;
  s.end = std::max(end, s.start);
  s.arena = arena;
  s.firstWord = reservedTotal_;
  uint64_t want = wordsFor(s.start, s.end);
  if ((reservedTotal_ + want) * 8 > kMaxReservedBytes) want = 0;  // hostile sizes: no marks for this span
  reserved_.push_back(want);
  reservedTotal_ += want;
  spans_.push_back(s);
}

void ChunkMap::reserve() {
  if (region_ || reservedTotal_ == 0) return;
  // Sparse spans (a heap whose chunks are far apart) must not pay 2 MiB per
  // touched word: no huge pages.
  region_ = std::make_unique<LazyRegion>(static_cast<size_t>(reservedTotal_ * 8), false);
  words_ = reinterpret_cast<const uint64_t*>(region_->data());
  wordCount_ = static_cast<size_t>(reservedTotal_);
}

void ChunkMap::beginSpan(size_t i) {
  if (i >= spans_.size()) return;
  reserve();
  current_ = i;
  ChunkMapSpan& s = spans_[i];
  if (s.words > 0) memset(region_->data() + s.firstWord * 8, 0, static_cast<size_t>(s.words * 8));
  s.words = 0;
}

void ChunkMap::mark(uint64_t addr, uint8_t m) {
  if (current_ >= spans_.size() || !region_) return;
  ChunkMapSpan& s = spans_[current_];
  if (addr < s.start || addr >= s.end) return;
  const uint64_t g = (addr - s.start) / 16;
  if (g / 32 >= reserved_[current_]) return;
  uint64_t& word = reinterpret_cast<uint64_t*>(region_->data())[s.firstWord + g / 32];
  const unsigned shift = static_cast<unsigned>((g % 32) * 2);
  word = (word & ~(3ull << shift)) | (static_cast<uint64_t>(m & 3) << shift);
  if (g / 32 + 1 > s.words) s.words = g / 32 + 1;
}

void ChunkMap::pack() {
  reserve();
  current_ = SIZE_MAX;
}

std::unique_ptr<ChunkMapWords> ChunkMap::releaseWords() {
  auto w = std::make_unique<ChunkMapWords>();
  w->data = words_;
  w->count = wordCount_;
  w->region = std::move(region_);
  w->owned = std::move(owned_);
  if (!w->owned.empty()) w->data = w->owned.data();
  region_.reset();
  owned_.clear();
  words_ = nullptr;
  wordCount_ = 0;
  return w;
}

bool ChunkMap::checkParts(const std::vector<ChunkMapSpan>& spans, size_t count, std::string* error) {
  uint64_t lastEnd = 0;
  uint64_t nextWord = 0;
  for (const ChunkMapSpan& s : spans) {
    if (s.end < s.start || (s.start & 15) != 0 || s.start < lastEnd) {
      *error = "chunk map spans overlap, are unsorted or misaligned";
      return false;
    }
    if (s.words > wordsFor(s.start, s.end)) {
      *error = "chunk map span has more words than granules";
      return false;
    }
    if (s.firstWord < nextWord || s.firstWord > count || s.words > count - s.firstWord) {
      *error = "chunk map span's words lie outside the map's " + std::to_string(count) + " words or overlap";
      return false;
    }
    nextWord = s.firstWord + s.words;
    lastEnd = s.end;
  }
  return true;
}

bool ChunkMap::fromParts(std::vector<ChunkMapSpan> spans, std::vector<uint64_t> words, ChunkMap* out, std::string* error) {
  if (!checkParts(spans, words.size(), error)) return false;
  out->spans_ = std::move(spans);
  out->owned_ = std::move(words);
  out->region_.reset();
  out->words_ = out->owned_.data();
  out->wordCount_ = out->owned_.size();
  return true;
}

bool ChunkMap::fromView(std::vector<ChunkMapSpan> spans, const uint64_t* words, size_t count, ChunkMap* out,
                        std::string* error) {
  if (!checkParts(spans, count, error)) return false;
  out->spans_ = std::move(spans);
  out->owned_.clear();
  out->region_.reset();
  out->words_ = words;
  out->wordCount_ = count;
  return true;
}

int ChunkMap::spanIndex(uint64_t addr) const {
  auto it = std::upper_bound(spans_.begin(), spans_.end(), addr, [](uint64_t a, const ChunkMapSpan& s) { return a < s.start; });
  if (it == spans_.begin()) return -1;
  --it;
  return addr < it->end ? static_cast<int>(it - spans_.begin()) : -1;
}

uint64_t ChunkMap::prevMarked(const ChunkMapSpan& s, uint64_t g) const {
  if (s.words == 0) return UINT64_MAX;
  if (g / 32 >= s.words) g = s.words * 32 - 1;  // no words past the last mark
  for (;;) {
    const unsigned used = static_cast<unsigned>((g % 32) * 2 + 2);  // bits of granules 0..g%32 in this word
    uint64_t w = words_[s.firstWord + g / 32];
    if (used < 64) w &= (1ull << used) - 1;
    if (w != 0) return (g / 32) * 32 + static_cast<uint64_t>(63 - __builtin_clzll(w)) / 2;
    if (g < 32) return UINT64_MAX;
    g = (g / 32) * 32 - 1;
  }
}

bool ChunkMap::chunkAt(uint64_t addr, uint64_t* start, uint64_t* end, uint8_t* mark, uint32_t* arena,
                       size_t* span) const {
  const int i = spanIndex(addr);
  if (i < 0) return false;
  const ChunkMapSpan& s = spans_[static_cast<size_t>(i)];
  const uint64_t g = prevMarked(s, (addr - s.start) / 16);
  if (g == UINT64_MAX) return false;
  const uint64_t n = nextMarked(s, g + 1);
  *start = s.start + g * 16;
  *end = n == UINT64_MAX ? s.end : s.start + n * 16;
  *mark = markAt(s, g);
  *arena = s.arena;
  if (span) *span = static_cast<size_t>(i);
  return true;
}

bool ChunkMap::nextChunk(uint64_t addr, uint64_t limit, uint64_t* start, uint64_t* end, uint8_t* mark, uint32_t* arena,
                         size_t* span) const {
  auto it = std::upper_bound(spans_.begin(), spans_.end(), addr, [](uint64_t a, const ChunkMapSpan& s) { return a < s.start; });
  if (it != spans_.begin() && addr < std::prev(it)->end) --it;
  for (; it != spans_.end() && it->start < limit; ++it) {
    const ChunkMapSpan& s = *it;
    const uint64_t from = addr > s.start ? (addr - s.start + 15) / 16 : 0;
    const uint64_t g = nextMarked(s, from);
    if (g == UINT64_MAX) continue;
    *start = s.start + g * 16;
    if (*start >= limit) return false;
    const uint64_t n = nextMarked(s, g + 1);
    *end = n == UINT64_MAX ? s.end : s.start + n * 16;
    *mark = markAt(s, g);
    *arena = s.arena;
    if (span) *span = static_cast<size_t>(it - spans_.begin());
    return true;
  }
  return false;
}

}  // namespace ptmalloc
}  // namespace arenascope
