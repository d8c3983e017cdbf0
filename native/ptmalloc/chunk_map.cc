#include "chunk_map.h"

#include <algorithm>

namespace arenascope {
namespace ptmalloc {

void ChunkMap::addSpan(uint64_t start, uint64_t end, uint32_t arena) {
  ChunkMapSpan s;
  s.start = start & ~15ull;
  s.end = std::max(end, s.start);
  s.arena = arena;
  spans_.push_back(s);
  building_.emplace_back();
  current_ = spans_.size() - 1;
}

void ChunkMap::beginSpan(size_t i) {
  if (i >= building_.size()) return;
  current_ = i;
  building_[i].clear();
}

void ChunkMap::mark(uint64_t addr, uint8_t m) {
  if (current_ >= building_.size()) return;
  const ChunkMapSpan& s = spans_[current_];
  if (addr < s.start || addr >= s.end) return;
  const uint64_t g = (addr - s.start) / 16;
  std::vector<uint64_t>& w = building_[current_];
  if (w.size() <= g / 32) w.resize(static_cast<size_t>(g / 32 + 1), 0);
  uint64_t& word = w[g / 32];
  const unsigned shift = static_cast<unsigned>((g % 32) * 2);
  word = (word & ~(3ull << shift)) | (static_cast<uint64_t>(m & 3) << shift);
}

void ChunkMap::pack() {
  words_.clear();
  for (size_t i = 0; i < spans_.size(); ++i) {
    ChunkMapSpan& s = spans_[i];
    s.firstWord = words_.size();
    s.words = i < building_.size() ? building_[i].size() : 0;
    if (i < building_.size()) words_.insert(words_.end(), building_[i].begin(), building_[i].end());
  }
  building_.clear();
  building_.shrink_to_fit();
}

bool ChunkMap::fromParts(std::vector<ChunkMapSpan> spans, std::vector<uint64_t> words, ChunkMap* out, std::string* error) {
  uint64_t expect = 0;
  uint64_t lastEnd = 0;
  for (ChunkMapSpan& s : spans) {
    if (s.end < s.start || (s.start & 15) != 0 || s.start < lastEnd) {
      *error = "chunk map spans overlap, are unsorted or misaligned";
      return false;
    }
    if (s.words > wordsFor(s.start, s.end)) {
      *error = "chunk map span has more words than granules";
      return false;
    }
    s.firstWord = expect;
    expect += s.words;
    lastEnd = s.end;
  }
  if (expect != words.size()) {
    *error = "chunk map has " + std::to_string(words.size()) + " words, its spans name " + std::to_string(expect);
    return false;
  }
  out->spans_ = std::move(spans);
  out->words_ = std::move(words);
  return true;
}

int ChunkMap::spanIndex(uint64_t addr) const {
  auto it = std::upper_bound(spans_.begin(), spans_.end(), addr, [](uint64_t a, const ChunkMapSpan& s) { return a < s.start; });
  if (it == spans_.begin()) return -1;
  --it;
  return addr < it->end ? static_cast<int>(it - spans_.begin()) : -1;
}

uint64_t ChunkMap::nextMarked(const ChunkMapSpan& s, uint64_t g) const {
  const uint64_t granules = std::min((s.end - s.start) / 16, s.words * 32);
  while (g < granules) {
    uint64_t w = words_[s.firstWord + g / 32] >> ((g % 32) * 2);
    if (w != 0) return g + static_cast<uint64_t>(__builtin_ctzll(w)) / 2;
    g = (g / 32 + 1) * 32;
  }
  return UINT64_MAX;
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

bool ChunkMap::chunkAt(uint64_t addr, uint64_t* start, uint64_t* end, uint8_t* mark, uint32_t* arena) const {
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
  return true;
}

bool ChunkMap::nextChunk(uint64_t addr, uint64_t limit, uint64_t* start, uint64_t* end, uint8_t* mark, uint32_t* arena) const {
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
    return true;
  }
  return false;
}

}  // namespace ptmalloc
}  // namespace arenascope
