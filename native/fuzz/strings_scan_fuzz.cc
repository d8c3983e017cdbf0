// Fuzz / sanitizer harness for the string scanner (not part of the addon:
// binding.gyp skips native/fuzz). Builds an image and a chunk table from the
// input, scans it, and checks the counts against a byte-at-a-time scanner.
//
// libFuzzer:  clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -Inative \
//               -DARENASCOPE_LIBFUZZER native/fuzz/strings_scan_fuzz.cc native/strings/*.cc \
//               native/memory/memory_source.cc -o strings_fuzz
// Standalone: g++ -std=c++17 -O1 -g -fsanitize=address,undefined -Inative \
//               native/fuzz/strings_scan_fuzz.cc native/strings/*.cc native/memory/memory_source.cc \
//               -lpthread -o strings_fuzz && ./strings_fuzz 2000
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "strings/chunk_table.h"
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
  // A chunk table over the first segment, sometimes with a filter.
  std::vector<uint8_t> table;
  uint64_t c = base;
  for (int k = 0; k < 40 && c < base + segs[0].second.size(); ++k) {
    uint64_t sz = 16 * (1 + in.byte() % 40);
    uint8_t rec[24] = {};
    memcpy(rec, &c, 8);
    memcpy(rec + 8, &sz, 8);
    rec[20] = in.byte() % 6;
    table.insert(table.end(), rec, rec + 24);
    c += sz;
  }
  ChunkTable chunks;
  std::string err;
  bool useTable = (in.byte() & 1) && ChunkTable::parse(table.data(), table.size(), &chunks, &err);
  opt.filter = useTable ? static_cast<ChunkFilter>(in.byte() % 3) : ChunkFilter::kAll;

  const uint8_t grepKind = in.byte() % 4;
  std::unique_ptr<StringGrep> grep;
  if (grepKind == 1) grep = std::make_unique<StringGrep>("AB", false);
  if (grepKind == 2) grep = std::make_unique<StringGrep>("^[a-m]+.?\\d|z{2,}$", true);
  if (grepKind == 3) grep = std::make_unique<StringGrep>("AB|xyz", true);  // literal alternatives

  std::mutex lock;
  StringScanResult r = scanStrings(image, lock, ranges, useTable ? &chunks : nullptr, grep.get(), opt, nullptr);

  uint64_t sum = 0;
  for (const auto& e : r.strings) sum += e.count;
  if (!r.approximate && sum != r.stringsFound) abort();
  if (r.histogramEntries > r.histogramCapacity) abort();
  if (r.bytesScanned + r.holeBytes != r.bytesTotal) abort();
  if (grep && r.stringsFound + r.grepRejected == 0 && r.grepEvaluations != 0) abort();
  if (opt.filter == ChunkFilter::kAll) {
    uint64_t want = 0;
    for (const ScanRange& rg : ranges) {
      for (const auto& sg : segs) {
        uint64_t from = std::max(rg.start, sg.first), to = std::min(rg.end, sg.first + sg.second.size());
        if (from >= to) continue;
        const uint8_t* d = sg.second.data() + (from - sg.first);
        if (opt.ascii) want += naiveCount(d, to - from, from, opt.minChars, false);
        if (opt.utf16) want += naiveCount(d, to - from, from, opt.minChars, true);
      }
    }
    if (want != r.stringsFound + r.grepRejected) {
      fprintf(stderr, "min %zu enc %d block %zu table %d ranges %llx-%llx segs %zu\n", opt.minChars, enc, opt.blockSize, (int)useTable, (unsigned long long)ranges[0].start, (unsigned long long)ranges[0].end, segs.size());
      for (const auto& sg : segs) fprintf(stderr, "  seg %llx +%zu\n", (unsigned long long)sg.first, sg.second.size());
      fprintf(stderr, "count mismatch: naive %llu scanner %llu\n", (unsigned long long)want,
              (unsigned long long)r.stringsFound);
      abort();
    }
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
