// ChunkMap: which chunk each heap address belongs to, without a chunk table.
// For every walked span, two bits per 16-byte granule (chunks are 16-aligned)
// mark where a chunk starts and what it is; a chunk ends where the next mark
// is. That is 1/64 of the heap, whatever the chunk count (a packed table of
// 24-byte records was 24 bytes a chunk, 264 MB for 11 million). The string
// scanner reads it to keep to live or free chunks and to name a sample's chunk.
//
// The walker writes the words straight into one reserved region (each span
// at a fixed offset; only pages with marks become resident) and that region
// crosses into JS as a Buffer and back into the scan as a view: the map
// exists once, never copied, never grown by reallocation.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "memory/lazy_region.h"

namespace arenascope {
namespace ptmalloc {

enum ChunkMark : uint8_t {
  kMarkNone = 0,   // no chunk starts here
  kMarkLive = 1,   // a chunk handed to the program
  kMarkFree = 2,   // a chunk malloc keeps for reuse: bins, fastbins, tcache, top, on no list
  kMarkOther = 3,  // glibc's own: the tcache struct, a fencepost, a retired heap's end
};

struct ChunkMapSpan {
  uint64_t start = 0;
  uint64_t end = 0;
  uint32_t arena = 0;      // index of the arena in the walk's result
  uint64_t firstWord = 0;  // index of the span's first word in words()
  // Words the span has: up to its last mark. Granules past them are unmarked
  // (the inside of the last chunk, top), so a chunk ends at the span end.
  uint64_t words = 0;
};

// The words of a map handed over (to a JS Buffer): whichever storage held them.
struct ChunkMapWords {
  std::unique_ptr<LazyRegion> region;
  std::vector<uint64_t> owned;
  const uint64_t* data = nullptr;
  size_t count = 0;
};

class ChunkMap {
 public:
  // Spans must be added in increasing address order, disjoint, before any
  // mark. Each is given wordsFor(span) words of a region reserved at the
  // first mark (virtual memory only, up to kMaxReservedBytes in all; a span
  // past that gets none and stays unmarked).
  void addSpan(uint64_t start, uint64_t end, uint32_t arena);
  // Clears span i's marks and makes it the one mark() writes to (a span
  // walked again is marked afresh).
  void beginSpan(size_t i);
  // Marks addr (inside the current span, the one beginSpan named last) with m;
  // without a current span, or outside it, nothing is marked.
  void mark(uint64_t addr, uint8_t m);
  // Ends marking: the map is ready to be read (and handed over).
  void pack();

  // Rebuilds a map from its parts, owning the words. Each span's firstWord
  // and words must lie inside them, in address order, without overlap.
  // False with *error when they do not fit together.
  static bool fromParts(std::vector<ChunkMapSpan> spans, std::vector<uint64_t> words, ChunkMap* out, std::string* error);
  // The same over words someone else keeps alive for as long as the map is
  // used (a JS Buffer the scan holds a reference to): nothing is copied.
  static bool fromView(std::vector<ChunkMapSpan> spans, const uint64_t* words, size_t count, ChunkMap* out,
                       std::string* error);
  // Hands the words over (to become a JS Buffer without a copy); the map
  // keeps its spans but no words afterwards.
  std::unique_ptr<ChunkMapWords> releaseWords();

  // Virtual memory the walker's region may reserve: 4 GiB of words cover
  // 256 GiB of heap.
  static constexpr uint64_t kMaxReservedBytes = 4ull << 30;

  // The chunk holding addr: its start, end (the next mark, or the span end)
  // and mark. False when addr lies in no span or before its span's first chunk.
  // *span (when given) names the span, for chunkAfter.
  bool chunkAt(uint64_t addr, uint64_t* start, uint64_t* end, uint8_t* mark, uint32_t* arena,
               size_t* span = nullptr) const;
  // The first chunk starting at or after addr, in the span holding addr or a
  // later one, and before limit. False when there is none.
  bool nextChunk(uint64_t addr, uint64_t limit, uint64_t* start, uint64_t* end, uint8_t* mark, uint32_t* arena,
                 size_t* span = nullptr) const;
  // The chunk starting at `end`, the end of a chunk of span `span`: its end
  // and mark, found from the mark at `end` alone (no search of the spans; a
  // scan walks chunks in order). False at the span's end.
  // Inline: the scan calls it for every chunk.
  bool chunkAfter(size_t span, uint64_t end, uint64_t* nextEnd, uint8_t* mark) const {
    if (span >= spans_.size()) return false;
    const ChunkMapSpan& s = spans_[span];
    if (end < s.start || end >= s.end || (end & 15) != 0) return false;
    const uint64_t g = (end - s.start) / 16;
    const uint8_t m = markAt(s, g);
    if (m == kMarkNone) return false;  // not a chunk end this map made
    const uint64_t n = nextMarked(s, g + 1);
    *nextEnd = n == UINT64_MAX ? s.end : s.start + n * 16;
    *mark = m;
    return true;
  }

  const std::vector<ChunkMapSpan>& spans() const { return spans_; }
  const uint64_t* words() const { return words_; }
  size_t wordCount() const { return wordCount_; }
  // Bytes the map holds: the words of every span up to its last mark (what
  // can be resident of the reserved region) or the words it owns.
  size_t memoryBytes() const {
    size_t n = owned_.capacity() * 8 + spans_.capacity() * sizeof(ChunkMapSpan);
    if (region_) {
      for (const ChunkMapSpan& sp : spans_) n += sp.words * 8;
    }
    return n;
  }

 private:
  static uint64_t wordsFor(uint64_t start, uint64_t end) { return ((end - start) / 16 + 31) / 32; }
  int spanIndex(uint64_t addr) const;
  uint8_t markAt(const ChunkMapSpan& s, uint64_t granule) const {
    if (granule / 32 >= s.words) return 0;
    return static_cast<uint8_t>((words_[s.firstWord + granule / 32] >> ((granule % 32) * 2)) & 3);
  }
  // Next marked granule at or after g in span s; UINT64_MAX if none.
  uint64_t nextMarked(const ChunkMapSpan& s, uint64_t g) const {
    const uint64_t granules = std::min((s.end - s.start) / 16, s.words * 32);
    while (g < granules) {
      const uint64_t w = words_[s.firstWord + g / 32] >> ((g % 32) * 2);
      if (w != 0) return g + static_cast<uint64_t>(__builtin_ctzll(w)) / 2;
      g = (g / 32 + 1) * 32;
    }
    return UINT64_MAX;
  }
  // Last marked granule at or before g in span s; UINT64_MAX if none.
  uint64_t prevMarked(const ChunkMapSpan& s, uint64_t g) const;

  static bool checkParts(const std::vector<ChunkMapSpan>& spans, size_t count, std::string* error);
  // Reserves the region for every span added (at the first mark).
  void reserve();

  std::vector<ChunkMapSpan> spans_;
  std::vector<uint64_t> reserved_;  // per span: its words in region_
  uint64_t reservedTotal_ = 0;
  // Every span's words, from its firstWord: in region_, in owned_, or in
  // someone else's memory.
  const uint64_t* words_ = nullptr;
  size_t wordCount_ = 0;
  std::unique_ptr<LazyRegion> region_;
  std::vector<uint64_t> owned_;
  size_t current_ = SIZE_MAX;
};

}  // namespace ptmalloc
}  // namespace arenascope
