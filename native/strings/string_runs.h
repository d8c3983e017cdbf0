// Finds printable runs ("strings") in a stream of memory pieces.
//
// The scanner classifies 64 bytes at a time with SSE2 (baseline on x86-64)
// into a bit mask, then finds runs of at least the minimum length inside the
// mask with shifts and ANDs (runsOfAtLeast) and bit scans, so a page of zeros,
// a long text or binary data full of 1..5-byte printable runs all cost a few
// instructions per 64 bytes. A run that continues past the end of a piece is
// carried into the next piece (the caller says when the buffer goes away), so a
// string straddling two read blocks is reported once, whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace arenascope {

enum class StringEncoding : uint8_t { kAscii = 0, kUtf16le = 1 };

const char* encodingName(StringEncoding e);

// Every consumer of a run (histogram key, grep, samples) looks at no more than
// this many characters, so that much text is kept per run; beyond it only the
// length is counted. Also bounds the carry buffer and the regex input.
constexpr size_t kMaxKeptChars = 4096;

// Buffers passed to RunScanner::feed must have this many readable bytes after
// the fed range: the classifier always loads whole 64-byte groups and masks
// off what is past the end.
constexpr size_t kScanPadding = 64;

struct StringRun {
  StringEncoding encoding;
  uint64_t address;    // first byte of the run
  const uint8_t* raw;  // the first keptChars characters in memory encoding
  size_t keptChars;    // min(fullChars, kMaxKeptChars)
  uint64_t fullChars;  // whole run length in characters
};

// run.raw stays valid until the scanner next calls flush(): sinks may queue
// runs (to overlap hash-table cache misses) and must finish them in flush().
class RunSink {
 public:
  virtual ~RunSink() = default;
  virtual void onRun(const StringRun& run) = 0;
  virtual void flush() {}
};

// Bit i set when byte i of p[0..63] is printable ASCII (0x20..0x7e) or a tab.
uint64_t asciiPrintableMask64(const uint8_t* p);

// The ASCII masks of a whole buffer, computed ahead (on the block reader's
// thread, while the bytes are still in its cache) so the scanning thread only
// finds runs: masks[w] is asciiPrintableMask64(buffer + 64 * w) for every
// group that starts before `len`, plus one zero word so any offset can be
// read as two neighbours. The buffer needs kScanPadding bytes after len.
void asciiPrintableMasks(const uint8_t* buffer, size_t len, std::vector<uint64_t>* masks);

// The 64 mask bits starting at byte `offset` of a buffer described by masks.
inline uint64_t maskAt(const uint64_t* masks, size_t offset) {
  const size_t w = offset / 64;
  const unsigned s = static_cast<unsigned>(offset % 64);
  return s == 0 ? masks[w] : (masks[w] >> s) | (masks[w + 1] << (64 - s));
}
// Bit i set when the little-endian 16-bit unit at p[2i] is in 0x20..0x7e or is
// 0x09, i.e. a printable ASCII character with a zero high byte (32 units).
uint64_t utf16PrintableMask64(const uint8_t* p);

// One encoding's run finder. Feed contiguous pieces in address order; call
// interrupt() where the stream is broken (hole, end of a scanned segment) and
// detach() before the memory behind the last fed piece is reused. Contiguous
// pieces of a UTF-16LE stream must meet at even addresses (the scan driver
// splits only on block multiples); a piece that does not start where the
// previous one ended interrupts the run.
//
// UTF-16LE units are taken at even addresses only: char16_t arrays are
// 2-byte aligned by the x86-64 ABI, and scanning odd offsets as well would
// mostly report ASCII text shifted by one byte as noise.
class RunScanner {
 public:
  RunScanner(StringEncoding encoding, size_t minChars, RunSink* sink);

  // masks, when given, are the asciiPrintableMasks of the buffer p lies in,
  // and maskOffset is p's offset in it (ASCII scanners only use them).
  void feed(const uint8_t* p, uint64_t addr, size_t len, const uint64_t* masks = nullptr, size_t maskOffset = 0);
  void interrupt();
  void detach();

 private:
  template <size_t kUnitBytes>
  void feedUnits(const uint8_t* p, uint64_t addr, size_t units, const uint64_t* masks, size_t maskOffset);
  void endRun(uint64_t endAddr);
  // A run that begins and ends inside one 64-byte group.
  void emitWhole(const uint8_t* p, uint64_t addr, size_t units);
  void appendCarry(const uint8_t* p, size_t bytes);

  StringEncoding encoding_;
  size_t unitBytes_;
  size_t minChars_;
  RunSink* sink_;

  bool inRun_ = false;
  uint64_t runStart_ = 0;
  // Bytes of the current run that sit in the current buffer and have not been
  // copied to carry_ yet; null after detach() until the next feed.
  const uint8_t* pending_ = nullptr;
  uint64_t pendingAddr_ = 0;
  // End of what has been consumed so far (unit-aligned).
  uint64_t fedEndAddr_ = 0;
  // The start of a run that outlived its buffer, capped at kMaxKeptChars.
  std::vector<uint8_t> carry_;
  bool carried_ = false;
};

}  // namespace arenascope
