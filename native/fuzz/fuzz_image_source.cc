// Fuzzes ImageMemorySource and CachedReader, the sources every parser test and
// fuzzer reads through, against a reference model of the image.
//
// Input (FuzzedDataProvider): up to 8 segments at addresses anywhere in the
// 64-bit space (near each other, overlapping, touching, near 2^64), then up to
// 32 reads of either kind at addresses around the segments or anywhere.
// Segment bytes are a function of their address and of the segment's number,
// so the model knows every byte without storing the image twice, and a byte
// covered by several segments must come from the one added last.
//
// Properties: a read returns exactly the number of bytes the segments cover,
// those bytes hold the image, every other byte is zero and inside a reported
// hole, holes are exactly the maximal uncovered runs (ascending, disjoint,
// merged); a CachedReader read returns the same bytes and reports success
// exactly when the range is fully covered, across evictions and invalidate().
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz_check.h"
#include "memory/memory_source.h"

using arenascope::CachedReader;
using arenascope::Hole;
using arenascope::ImageMemorySource;

namespace {

uint8_t imageByte(uint64_t address, uint8_t salt) {
  uint64_t x = address * 0x9E3779B97F4A7C15ull;
  return static_cast<uint8_t>((x >> 56) ^ (x >> 29) ^ salt);
}

struct Interval {
  uint64_t start, end;  // [start, end), end > start
  uint8_t salt = 0;     // of the segment that owns these bytes
};

// The model of the image: disjoint intervals sorted by start, each owned by the
// last segment added over it (painted in order, later over earlier).
std::vector<Interval> paint(const std::vector<Interval>& added) {
  std::vector<Interval> out;
  for (const Interval& n : added) {
    std::vector<Interval> next;
    for (const Interval& o : out) {
      if (o.end <= n.start || o.start >= n.end) {
        next.push_back(o);
        continue;
      }
      if (o.start < n.start) next.push_back({o.start, n.start, o.salt});
      if (o.end > n.end) next.push_back({n.end, o.end, o.salt});
    }
    next.push_back(n);
    std::sort(next.begin(), next.end(), [](const Interval& a, const Interval& b) { return a.start < b.start; });
    out = std::move(next);
  }
  return out;
}

// Union of the painted intervals (touching ones merged): where bytes exist.
std::vector<Interval> coverage(const std::vector<Interval>& painted) {
  std::vector<Interval> out;
  for (const Interval& s : painted) {
    if (!out.empty() && s.start <= out.back().end) {
      out.back().end = std::max(out.back().end, s.end);
    } else {
      out.push_back(s);
    }
  }
  return out;
}

// Expected byte at every address of [addr, addr+len), zero in holes.
void expectedBytes(const std::vector<Interval>& painted, uint64_t addr, size_t len, std::vector<uint8_t>* out) {
  out->assign(len, 0);
  uint64_t end = addr + len;
  for (const Interval& p : painted) {
    if (p.end <= addr || p.start >= end) continue;
    uint64_t from = std::max(p.start, addr), to = std::min(p.end, end);
    for (uint64_t a = from; a < to; ++a) (*out)[a - addr] = imageByte(a, p.salt);
  }
}

struct Expected {
  size_t covered = 0;
  std::vector<Hole> holes;
};

// What a read of [addr, addr+len) must report, for a range that does not wrap.
Expected expect(const std::vector<Interval>& cover, uint64_t addr, uint64_t len) {
  Expected e;
  uint64_t end = addr + len;
  uint64_t cursor = addr;
  for (const Interval& c : cover) {
    if (c.end <= cursor) continue;
    if (c.start >= end) break;
    uint64_t from = std::max(c.start, cursor);
    uint64_t to = std::min(c.end, end);
    if (from > cursor) e.holes.push_back({cursor, from});
    e.covered += to - from;
    cursor = to;
  }
  if (cursor < end) e.holes.push_back({cursor, end});
  return e;
}

uint64_t pickAddress(FuzzedDataProvider& in, const std::vector<Interval>& segs) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      return in.ConsumeIntegral<uint64_t>();
    case 1:
      return UINT64_MAX - in.ConsumeIntegralInRange<uint64_t>(0, 1 << 20);
    default: {
      if (segs.empty()) return in.ConsumeIntegralInRange<uint64_t>(0, 1 << 24);
      const Interval& s = segs[in.ConsumeIntegralInRange<size_t>(0, segs.size() - 1)];
      int64_t delta = in.ConsumeIntegralInRange<int64_t>(-(1 << 19), 1 << 19);
      uint64_t anchor = in.ConsumeBool() ? s.start : s.end;
      return anchor + static_cast<uint64_t>(delta);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  ImageMemorySource image;
  std::vector<Interval> added;
  size_t nSegs = in.ConsumeIntegralInRange<size_t>(0, 8);
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i < nSegs; ++i) {
    uint64_t address = pickAddress(in, added);
    size_t len = in.ConsumeIntegralInRange<size_t>(0, 200 * 1024);
    uint8_t salt = static_cast<uint8_t>(i * 0x35 + 1);
    bytes.resize(len);
    for (size_t j = 0; j < len; ++j) bytes[j] = imageByte(address + j, salt);
    image.addSegment(address, bytes.data(), len);
    // addSegment ignores empty segments and ones that would wrap past 2^64.
    if (len > 0 && address + len > address) added.push_back({address, address + len, salt});
  }
  std::vector<Interval> painted = paint(added);
  std::vector<Interval> cover = coverage(painted);
  std::vector<uint8_t> want;
  if (getenv("FUZZ_DEBUG")) {
    for (const Interval& s : added) fprintf(stderr, "segment %#llx-%#llx\n", (unsigned long long)s.start, (unsigned long long)s.end);
  }
  CachedReader cached(&image);
  std::vector<uint8_t> buf;
  size_t nReads = in.ConsumeIntegralInRange<size_t>(1, 32);
  for (size_t r = 0; r < nReads && in.remaining_bytes() > 0; ++r) {
    uint64_t addr = pickAddress(in, added);
    size_t len = in.ConsumeIntegralInRange<size_t>(0, 520 * 1024);
    int kind = in.ConsumeIntegralInRange<int>(0, 2);
    buf.assign(len + 1, 0xA5);
    bool wraps = addr + len < addr || (len > 0 && addr + len == 0);
    if (kind == 2) cached.invalidate();
    if (kind == 0) {
      std::vector<Hole> holes;
      size_t got = image.read(addr, buf.data(), len, &holes);
      FUZZ_CHECK(buf[len] == 0xA5, "read wrote past the buffer");
      if (len == 0) {
        FUZZ_CHECK(got == 0 && holes.empty(), "empty read reported %zu bytes", got);
        continue;
      }
      if (wraps) {
        // Reads nothing. The hole is [addr, UINT64_MAX): 2^64 has no
        // representation, so a read starting at UINT64_MAX reports none.
        bool holeOk = holes.size() == 1 ? holes[0].start == addr && holes[0].end == UINT64_MAX
                                        : holes.empty() && addr == UINT64_MAX;
        FUZZ_CHECK(got == 0 && holeOk, "wrapping read %#llx+%zu: got %zu, %zu holes", (unsigned long long)addr, len,
                   got, holes.size());
        for (size_t j = 0; j < len; ++j) FUZZ_CHECK(buf[j] == 0, "wrapping read left byte %zu unzeroed", j);
        continue;
      }
      Expected e = expect(cover, addr, len);
      FUZZ_CHECK(got == e.covered, "read %#llx+%zu returned %zu, segments cover %zu", (unsigned long long)addr, len,
                 got, e.covered);
      FUZZ_CHECK(holes.size() == e.holes.size(), "%zu holes reported, %zu expected", holes.size(), e.holes.size());
      for (size_t i = 0; i < holes.size(); ++i) {
        FUZZ_CHECK(holes[i].start == e.holes[i].start && holes[i].end == e.holes[i].end,
                   "hole %zu is %#llx-%#llx, expected %#llx-%#llx", i, (unsigned long long)holes[i].start,
                   (unsigned long long)holes[i].end, (unsigned long long)e.holes[i].start,
                   (unsigned long long)e.holes[i].end);
      }
      expectedBytes(painted, addr, len, &want);
      for (size_t j = 0; j < len; ++j) {
        FUZZ_CHECK(buf[j] == want[j], "byte %#llx is %#x, expected %#x", (unsigned long long)(addr + j), buf[j],
                   want[j]);
      }
    } else {
      bool ok = cached.read(addr, buf.data(), len);
      FUZZ_CHECK(buf[len] == 0xA5, "cached read wrote past the buffer");
      if (len == 0) {
        FUZZ_CHECK(ok, "an empty cached read succeeds");
        continue;
      }
      if (wraps) {
        FUZZ_CHECK(!ok, "a cached read wrapping past 2^64 cannot succeed");
        continue;
      }
      // The cache fetches whole 256 KiB blocks; the last block below 2^64
      // cannot be fetched (its end is not representable), so only safety is
      // checked up there.
      if (addr + len > UINT64_MAX - CachedReader::kBlockSize) continue;
      Expected e = expect(cover, addr, len);
      FUZZ_CHECK(ok == e.holes.empty(), "cached read %#llx+%zu says %s, %zu holes expected", (unsigned long long)addr,
                 len, ok ? "ok" : "incomplete", e.holes.size());
      expectedBytes(painted, addr, len, &want);
      for (size_t j = 0; j < len; ++j) {
        FUZZ_CHECK(buf[j] == want[j], "cached byte %#llx is %#x, expected %#x", (unsigned long long)(addr + j), buf[j],
                   want[j]);
      }
    }
  }
  return 0;
}
