// Fuzz / sanitizer harness for the string scanner (not part of the addon:
// binding.gyp skips native/fuzz). Builds an image and a chunk map from the
// input, scans it, and checks the counts against a byte-at-a-time scanner,
// over whole ranges and over the user data of live or free chunks.
//
// libFuzzer:  clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -Inative \
//               -DARENASCOPE_LIBFUZZER native/fuzz/strings_scan_fuzz.cc native/strings/*.cc \
//               native/ptmalloc/chunk_map.cc native/memory/*.cc -o strings_fuzz
// Standalone: g++ -std=c++17 -O1 -g -fsanitize=address,undefined -Inative \
//               native/fuzz/strings_scan_fuzz.cc native/strings/*.cc native/ptmalloc/chunk_map.cc native/memory/*.cc \
//               -lpthread -o strings_fuzz && ./strings_fuzz 2000
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "ptmalloc/chunk_map.h"
#include "strings/string_grep.h"
#include "strings/string_scan.h"

using namespace arenascope;

namespace {

struct Input {
  const uint8_t* p;
  size_t n;
  uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  uint32_t u16() { return byte() | (uint32_t{byte()} << 8); }
};

bool printable(uint8_t c) { return (c >= 0x20 && c <= 0x7e) || c == 0x09; }

// Runs per encoding in one contiguous readable stretch.
uint64_t naiveCount(const uint8_t* d, size_t n, uint64_t addr, size_t minLen, bool utf16) {
  uint64_t found = 0;
  if (!utf16) {
    size_t run = 0;
    for (size_t i = 0; i <= n; ++i) {
      if (i < n && printable(d[i])) {
        ++run;
      } else {
        if (run >= minLen) ++found;
        run = 0;
      }
    }
    return found;
  }
  size_t i = (addr & 1) ? 1 : 0;
  size_t run = 0;
  for (; i + 1 < n; i += 2) {
    if (d[i + 1] == 0 && printable(d[i])) {
      ++run;
    } else {
      if (run >= minLen) ++found;
      run = 0;
    }
  }
  if (run >= minLen) ++found;
  return found;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  StringScanOptions opt;
  opt.minChars = 1 + in.byte() % 70;
  uint8_t enc = in.byte() % 3;
  opt.ascii = enc != 1;
  opt.utf16 = enc != 0;
  opt.blockSize = size_t{4096} << (in.byte() % 3);
  opt.maxDistinct = 1 + in.u16() % 300;
  opt.top = 1000000;
  opt.samples = in.byte() % 8;
  const uint64_t base = 0x7f0000000000ull + in.byte();
  // Up to three segments with gaps; content is the rest of the input,
  // repeated with variations so blocks get crossed.
  ImageMemorySource image;
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> segs;
  uint64_t at = base;
  size_t nseg = 1 + in.byte() % 3;
  for (size_t s = 0; s < nseg; ++s) {
    size_t len = 1 + in.u16() * 2;
    std::vector<uint8_t> bytes(len);
    for (size_t i = 0; i < len; ++i) bytes[i] = in.n ? data[size - in.n + (i % in.n)] ^ static_cast<uint8_t>(i >> 10) : 0x41;
    image.addSegment(at, bytes.data(), len);
    segs.emplace_back(at, std::move(bytes));
    at += len + 1 + in.byte() * 3;  // at least one unreadable byte between segments
  }
  std::vector<ScanRange> ranges = normalizeRanges({{base + in.byte(), at + in.byte()}});
  // A chunk map over the first segment (its chunks laid end to end, each
  // marked live, free or other), sometimes with a filter.
  struct Chunk {
    uint64_t start, size;
    uint8_t mark;
  };
  std::vector<Chunk> chunks;
  const uint64_t mapStart = (base + 15) & ~15ull;  // chunks are 16-aligned
  uint64_t c = mapStart;
  for (int k = 0; k < 40 && c < base + segs[0].second.size(); ++k) {
    uint64_t sz = 16 * (2 + in.byte() % 40);  // MINSIZE 0x20 and up
    chunks.push_back({c, sz, static_cast<uint8_t>(1 + in.byte() % 3)});
    c += sz;
  }
  ptmalloc::ChunkMap map;
  map.addSpan(mapStart, c, 0);
  map.beginSpan(0);  // mark() writes to the span begun last, as the walker's does
  for (const Chunk& ch : chunks) map.mark(ch.start, ch.mark);
  map.pack();
  const bool useMap = in.byte() & 1;
  opt.filter = useMap ? static_cast<ChunkFilter>(in.byte() % 3) : ChunkFilter::kAll;

  const uint8_t grepKind = in.byte() % 4;
  std::unique_ptr<StringGrep> grep;
  if (grepKind == 1) grep = std::make_unique<StringGrep>("AB", false);
  if (grepKind == 2) grep = std::make_unique<StringGrep>("^[a-m]+.?\\d|z{2,}$", true);
  if (grepKind == 3) grep = std::make_unique<StringGrep>("AB|xyz", true);  // literal alternatives

  std::mutex lock;
  StringScanResult r = scanStrings(image, lock, ranges, useMap ? &map : nullptr, grep.get(), opt, nullptr);

  uint64_t sum = 0;
  for (const auto& e : r.strings) sum += e.count;
  if (!r.approximate && sum != r.stringsFound) abort();
  if (r.histogramEntries > r.histogramCapacity) abort();
  if (r.bytesScanned + r.holeBytes != r.bytesTotal) abort();
  if (grep && r.stringsFound + r.grepRejected == 0 && r.grepEvaluations != 0) abort();
  // What a byte-at-a-time scanner finds: over the ranges, or over the user
  // data [chunk+0x10, next chunk+8) of each chunk the filter keeps (the last
  // chunk reaches the span end), each clipped to the ranges and to the
  // readable segments.
  std::vector<std::pair<uint64_t, uint64_t>> pieces;
  if (opt.filter == ChunkFilter::kAll) {
    for (const ScanRange& rg : ranges) pieces.emplace_back(rg.start, rg.end);
  } else {
    for (size_t k = 0; k < chunks.size(); ++k) {
      const uint8_t want = opt.filter == ChunkFilter::kLive ? ptmalloc::kMarkLive : ptmalloc::kMarkFree;
      if (chunks[k].mark != want) continue;
      const uint64_t end = k + 1 < chunks.size() ? chunks[k + 1].start : c;
      for (const ScanRange& rg : ranges) {
        uint64_t from = std::max(rg.start, chunks[k].start + 16), to = std::min(rg.end, end + 8);
        if (from < to) pieces.emplace_back(from, to);
      }
    }
  }
  uint64_t want = 0;
  for (const auto& pc : pieces) {
    for (const auto& sg : segs) {
      uint64_t from = std::max(pc.first, sg.first), to = std::min(pc.second, sg.first + sg.second.size());
      if (from >= to) continue;
      const uint8_t* d = sg.second.data() + (from - sg.first);
      if (opt.ascii) want += naiveCount(d, to - from, from, opt.minChars, false);
      if (opt.utf16) want += naiveCount(d, to - from, from, opt.minChars, true);
    }
  }
  if (want != r.stringsFound + r.grepRejected) {
    fprintf(stderr, "min %zu enc %d block %zu filter %d ranges %llx-%llx segs %zu\n", opt.minChars, enc, opt.blockSize,
            static_cast<int>(opt.filter), (unsigned long long)ranges[0].start, (unsigned long long)ranges[0].end, segs.size());
    for (const auto& sg : segs) fprintf(stderr, "  seg %llx +%zu\n", (unsigned long long)sg.first, sg.second.size());
    fprintf(stderr, "count mismatch: naive %llu scanner %llu (rejected %llu, scanned %llu of %llu, holes %llu)\n",
            (unsigned long long)want, (unsigned long long)r.stringsFound, (unsigned long long)r.grepRejected,
            (unsigned long long)r.bytesScanned, (unsigned long long)r.bytesTotal, (unsigned long long)r.holeBytes);
    if (std::getenv("FUZZ_DEBUG")) {
      uint64_t pb = 0;
      for (const auto& pc : pieces) pb += pc.second - pc.first;
      fprintf(stderr, "pieces %zu (%llu bytes), chunks %zu, map %llx-%llx\n", pieces.size(), (unsigned long long)pb, chunks.size(),
              (unsigned long long)mapStart, (unsigned long long)c);
    }
    abort();
  }
  // Every sample names the chunk that holds it, when there is a map.
  for (const auto& smp : r.samples) {
    if (!useMap || !smp.hasChunk) continue;
    if (smp.address < smp.chunk.userStart() || smp.address >= smp.chunk.userEnd()) abort();
  }
  return 0;
}

#ifndef ARENASCOPE_LIBFUZZER
int main(int argc, char** argv) {
  int iterations = argc > 1 ? atoi(argv[1]) : 1000;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  std::vector<uint8_t> buf;
  for (int it = 0; it < iterations; ++it) {
    buf.resize(64 + (x % 4000));
    for (auto& b : buf) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      // Bias toward printable bytes and zeros so runs and UTF-16 units occur.
      uint8_t v = static_cast<uint8_t>(x >> 24);
      b = (v & 3) == 0 ? 0 : (v & 3) == 1 ? static_cast<uint8_t>(0x20 + (v >> 2) % 95) : v;
    }
    LLVMFuzzerTestOneInput(buf.data(), buf.size());
  }
  printf("%d cases ok\n", iterations);
  return 0;
}
#endif
