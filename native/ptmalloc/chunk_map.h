// ChunkMap: which chunk each heap address belongs to, without a chunk table.
// For every walked span, two bits per 16-byte granule (chunks are 16-aligned)
// mark where a chunk starts and what it is; a chunk ends where the next mark
// is. That is 1/64 of the heap, whatever the chunk count (a packed table of
// 24-byte records was 24 bytes a chunk, 264 MB for 11 million). The string
// scanner reads it to keep to live or free chunks and to name a sample's chunk.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

class ChunkMap {
 public:
  // Spans must be added in increasing address order, disjoint. Nothing is
  // allocated yet: a span's words grow as far as marks are written, so a
  // hostile span size costs nothing beyond what the walk could walk.
  void addSpan(uint64_t start, uint64_t end, uint32_t arena);
  // Clears span i's marks and makes it the one mark() writes to (a span
  // walked again is marked afresh).
  void beginSpan(size_t i);
  // Marks addr (inside the current span) with m.
  void mark(uint64_t addr, uint8_t m);
  // Lays the spans' words end to end (firstWord and words set): the form
  // that crosses into JS and back.
  void pack();

  // Rebuilds a map from its parts (as they crossed into JS and back).
  // False with *error when they do not fit together.
  static bool fromParts(std::vector<ChunkMapSpan> spans, std::vector<uint64_t> words, ChunkMap* out, std::string* error);

  // The chunk holding addr: its start, end (the next mark, or the span end)
  // and mark. False when addr lies in no span or before its span's first chunk.
  bool chunkAt(uint64_t addr, uint64_t* start, uint64_t* end, uint8_t* mark, uint32_t* arena) const;
  // The first chunk starting at or after addr, in the span holding addr or a
  // later one, and before limit. False when there is none.
  bool nextChunk(uint64_t addr, uint64_t limit, uint64_t* start, uint64_t* end, uint8_t* mark, uint32_t* arena) const;

  const std::vector<ChunkMapSpan>& spans() const { return spans_; }
  const std::vector<uint64_t>& words() const { return words_; }
  size_t memoryBytes() const {
    size_t n = words_.capacity() * 8 + spans_.capacity() * sizeof(ChunkMapSpan);
    for (const auto& w : building_) n += w.capacity() * 8;
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
  uint64_t nextMarked(const ChunkMapSpan& s, uint64_t g) const;
  // Last marked granule at or before g in span s; UINT64_MAX if none.
  uint64_t prevMarked(const ChunkMapSpan& s, uint64_t g) const;

  std::vector<ChunkMapSpan> spans_;
  std::vector<uint64_t> words_;  // packed: every span's words, in order
  std::vector<std::vector<uint64_t>> building_;  // per span, while marking (before pack())
  size_t current_ = 0;
};

}  // namespace ptmalloc
}  // namespace arenascope
