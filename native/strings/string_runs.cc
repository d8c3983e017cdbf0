#include "string_runs.h"

#include <emmintrin.h>

#include <algorithm>
#include <cstring>

namespace arenascope {

const char* encodingName(StringEncoding e) { return e == StringEncoding::kUtf16le ? "utf16le" : "ascii"; }

uint64_t asciiPrintableMask64(const uint8_t* p) {
  // Signed byte compares: bytes 0x80..0xff are negative, so "> 0x1f and
  // < 0x7f" is exactly 0x20..0x7e.
  const __m128i below = _mm_set1_epi8(0x1f);
  const __m128i above = _mm_set1_epi8(0x7f);
  const __m128i tab = _mm_set1_epi8(0x09);
  uint64_t mask = 0;
  for (int k = 0; k < 4; ++k) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    __m128i ok = _mm_and_si128(_mm_cmpgt_epi8(v, below), _mm_cmplt_epi8(v, above));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(v, tab));
    mask |= static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(ok))) << (16 * k);
  }
  return mask;
}

void asciiPrintableMasks(const uint8_t* buffer, size_t len, std::vector<uint64_t>* masks) {
  const size_t groups = (len + 63) / 64;
  masks->resize(groups + 1);
  uint64_t* m = masks->data();
  for (size_t w = 0; w < groups; ++w) m[w] = asciiPrintableMask64(buffer + 64 * w);
  m[groups] = 0;
}

uint64_t utf16PrintableMask64(const uint8_t* p) {
  // Same trick on signed 16-bit lanes: units 0x8000..0xffff are negative and
  // anything with a non-zero high byte below that is >= 0x100 > 0x7e.
  const __m128i below = _mm_set1_epi16(0x1f);
  const __m128i above = _mm_set1_epi16(0x7f);
  const __m128i tab = _mm_set1_epi16(0x09);
  __m128i ok[4];
  for (int k = 0; k < 4; ++k) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    __m128i r = _mm_and_si128(_mm_cmpgt_epi16(v, below), _mm_cmplt_epi16(v, above));
    ok[k] = _mm_or_si128(r, _mm_cmpeq_epi16(v, tab));
  }
  // Lanes are 0 or -1; signed saturation keeps them 0 or -1 as bytes.
  uint32_t lo = static_cast<uint16_t>(_mm_movemask_epi8(_mm_packs_epi16(ok[0], ok[1])));
  uint32_t hi = static_cast<uint16_t>(_mm_movemask_epi8(_mm_packs_epi16(ok[2], ok[3])));
  return static_cast<uint64_t>(lo | (hi << 16));
}

RunScanner::RunScanner(StringEncoding encoding, size_t minChars, RunSink* sink)
    : encoding_(encoding),
      unitBytes_(encoding == StringEncoding::kUtf16le ? 2 : 1),
      minChars_(std::max<size_t>(minChars, 1)),
      sink_(sink) {
  carry_.reserve(kMaxKeptChars * unitBytes_);
}

void RunScanner::feed(const uint8_t* p, uint64_t addr, size_t len, const uint64_t* masks, size_t maskOffset) {
  if (inRun_ && addr != fedEndAddr_) interrupt();  // not contiguous: the run ended
  if (unitBytes_ == 2 && (addr & 1)) {
    if (len == 0) return;
    ++p;
    ++addr;
    --len;
  }
  if (inRun_ && !pending_) {
    pending_ = p;
    pendingAddr_ = addr;
  }
  if (unitBytes_ == 1) {
    feedUnits<1>(p, addr, len, masks, maskOffset);
  } else {
    feedUnits<2>(p, addr, len / 2, nullptr, 0);
  }
}

namespace {
// Bit i of the result is set when bits i .. i+len-1 of m are all set: the
// positions where a run of at least len units starts (or continues). Shifts
// bring in zeros, so runs reaching the top of the word are not seen here.
inline uint64_t runsOfAtLeast(uint64_t m, size_t len) {
  if (len > 64) return 0;
  uint64_t e = m;
  size_t covered = 1;
  while (covered * 2 <= len) {
    e &= e >> covered;
    covered *= 2;
  }
  if (covered < len) e &= e >> (len - covered);  // overlapping halves cover len
  return e;
}
}  // namespace

template <size_t kUnitBytes>
void RunScanner::feedUnits(const uint8_t* p, uint64_t addr, size_t units, const uint64_t* masks, size_t maskOffset) {
  constexpr size_t kUnitsPerGroup = 64 / kUnitBytes;
  for (size_t g = 0; g < units; g += kUnitsPerGroup) {
    const uint8_t* gp = p + g * kUnitBytes;
    const uint64_t ga = addr + g * kUnitBytes;
    const size_t valid = std::min(kUnitsPerGroup, units - g);
    const uint64_t validMask = valid == 64 ? ~0ull : (1ull << valid) - 1;
    uint64_t raw;
    if constexpr (kUnitBytes == 1) {
      raw = masks ? maskAt(masks, maskOffset + g) : asciiPrintableMask64(gp);
    } else {
      raw = utf16PrintableMask64(gp);
    }
    const uint64_t printable = raw & validMask;
    const uint64_t stops = ~printable & validMask;
    size_t pos = 0;
    if (inRun_) {
      if (stops == 0) continue;  // the run goes on through this group
      pos = static_cast<size_t>(__builtin_ctzll(stops));
      const uint64_t endAddr = ga + pos * kUnitBytes;
      if ((endAddr - runStart_) / kUnitBytes < minChars_) {
        inRun_ = false;
        pending_ = nullptr;
      } else {
        endRun(endAddr);
      }
    }
    // A run touching the last valid unit may go on in the next group: it is
    // started whatever its length so far. Runs wholly inside the group are
    // found only if long enough, so the many short runs of binary data cost
    // nothing beyond the mask arithmetic.
    const bool topRun = (printable >> (valid - 1)) & 1;
    size_t topStart = 0;
    if (topRun) {
      const uint64_t below = stops & ((1ull << (valid - 1)) - 1);
      topStart = below ? 64 - static_cast<size_t>(__builtin_clzll(below)) : 0;
      if (topStart < pos) topStart = pos;
    }
    uint64_t starts = runsOfAtLeast(printable, minChars_) & (~0ull << pos);
    if (topRun) starts &= topStart == 0 ? 0 : (~0ull >> (64 - topStart));
    while (starts) {
      const size_t s = static_cast<size_t>(__builtin_ctzll(starts));
      const size_t e = s + static_cast<size_t>(__builtin_ctzll(stops >> s));
      emitWhole(gp + s * kUnitBytes, ga + s * kUnitBytes, e - s);
      starts &= e >= 64 ? 0 : (~0ull << e);
    }
    if (topRun) {
      inRun_ = true;
      runStart_ = ga + topStart * kUnitBytes;
      pending_ = gp + topStart * kUnitBytes;
      pendingAddr_ = runStart_;
      carried_ = false;
    }
  }
  fedEndAddr_ = addr + units * kUnitBytes;
}

void RunScanner::emitWhole(const uint8_t* p, uint64_t addr, size_t units) {
  StringRun run;
  run.encoding = encoding_;
  run.address = addr;
  run.fullChars = units;
  run.keptChars = std::min(units, kMaxKeptChars);
  run.raw = p;
  sink_->onRun(run);
}

void RunScanner::appendCarry(const uint8_t* p, size_t bytes) {
  if (!carried_) carry_.clear();
  size_t room = kMaxKeptChars * unitBytes_ - carry_.size();
  size_t take = std::min(room, bytes);
  carry_.insert(carry_.end(), p, p + take);
}

void RunScanner::endRun(uint64_t endAddr) {
  inRun_ = false;
  uint64_t fullChars = (endAddr - runStart_) / unitBytes_;
  if (fullChars < minChars_) {
    pending_ = nullptr;
    return;
  }
  StringRun run;
  run.encoding = encoding_;
  run.address = runStart_;
  run.fullChars = fullChars;
  run.keptChars = static_cast<size_t>(std::min<uint64_t>(fullChars, kMaxKeptChars));
  if (carried_) {
    // carry_ is about to change and a queued run may point into it.
    sink_->flush();
    if (pending_) appendCarry(pending_, static_cast<size_t>(endAddr - pendingAddr_));
    run.raw = carry_.data();
  } else {
    run.raw = pending_;
  }
  pending_ = nullptr;
  sink_->onRun(run);
}

void RunScanner::interrupt() {
  if (!inRun_) return;
  endRun(fedEndAddr_);
}

void RunScanner::detach() {
  // The buffer behind queued runs is about to be reused.
  sink_->flush();
  if (!inRun_ || !pending_) return;
  appendCarry(pending_, static_cast<size_t>(fedEndAddr_ - pendingAddr_));
  carried_ = true;
  pending_ = nullptr;
}

}  // namespace arenascope
