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

void RunScanner::feed(const uint8_t* p, uint64_t addr, size_t len) {
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
    feedUnits<1>(p, addr, len);
  } else {
    feedUnits<2>(p, addr, len / 2);
  }
}

template <size_t kUnitBytes>
void RunScanner::feedUnits(const uint8_t* p, uint64_t addr, size_t units) {
  constexpr size_t kUnitsPerGroup = 64 / kUnitBytes;
  for (size_t g = 0; g < units; g += kUnitsPerGroup) {
    const uint8_t* gp = p + g * kUnitBytes;
    const size_t valid = std::min(kUnitsPerGroup, units - g);
    const uint64_t validMask = valid == 64 ? ~0ull : (1ull << valid) - 1;
    const uint64_t printable = (kUnitBytes == 1 ? asciiPrintableMask64(gp) : utf16PrintableMask64(gp)) & validMask;
    const uint64_t stops = ~printable & validMask;
    size_t pos = 0;
    // Walk transitions only; a group with no transition costs one test.
    while (pos < valid) {
      if (inRun_) {
        uint64_t rest = stops >> pos;
        if (rest == 0) break;
        pos += static_cast<size_t>(__builtin_ctzll(rest));
        endRun(gp + pos * kUnitBytes, addr + (g + pos) * kUnitBytes);
      } else {
        uint64_t rest = printable >> pos;
        if (rest == 0) break;
        pos += static_cast<size_t>(__builtin_ctzll(rest));
        startRun(gp + pos * kUnitBytes, addr + (g + pos) * kUnitBytes);
      }
    }
  }
  fedEnd_ = p + units * kUnitBytes;
  fedEndAddr_ = addr + units * kUnitBytes;
}

void RunScanner::startRun(const uint8_t* p, uint64_t addr) {
  inRun_ = true;
  runStart_ = addr;
  pending_ = p;
  pendingAddr_ = addr;
  carried_ = false;
  carry_.clear();
}

void RunScanner::appendCarry(const uint8_t* p, size_t bytes) {
  size_t room = kMaxKeptChars * unitBytes_ - carry_.size();
  size_t take = std::min(room, bytes);
  carry_.insert(carry_.end(), p, p + take);
}

void RunScanner::endRun(const uint8_t* endPtr, uint64_t endAddr) {
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
  endRun(pending_ ? fedEnd_ : nullptr, fedEndAddr_);
}

void RunScanner::detach() {
  if (!inRun_ || !pending_) return;
  appendCarry(pending_, static_cast<size_t>(fedEndAddr_ - pendingAddr_));
  carried_ = true;
  pending_ = nullptr;
}

}  // namespace arenascope
