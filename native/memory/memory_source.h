// The one memory-source interface every native parser reads through.
//
// Modelled on py-spy's remoteprocess: a source answers "give me [addr, addr+len)"
// and nothing else. Two implementations exist: a live process (process_vm_readv,
// falling back to /proc/PID/mem) and an in-memory image made of segments (tests,
// fuzzing, synthetic heaps for old glibc layouts). Parsers never know which one
// they talk to.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "error_code.h"
#include "page_gate.h"

namespace arenascope {

// x86-64 Linux base page size. Holes are reported at this granularity because
// the kernel grants or refuses access per page.
constexpr uint64_t kPageSize = 4096;

inline uint64_t pageFloor(uint64_t a) { return a & ~(kPageSize - 1); }
inline uint64_t pageCeil(uint64_t a) { return (a + kPageSize - 1) & ~(kPageSize - 1); }

// [start, end) that could not be read (unmapped, PROT_NONE, or I/O error).
struct Hole {
  uint64_t start;
  uint64_t end;
};

// A failure that makes the whole operation meaningless (process gone, no
// permission). Page-level faults are never thrown: they become holes.
class SourceError : public std::runtime_error {
 public:
  SourceError(int err, ErrorCode code, const std::string& message)
      : std::runtime_error(message), err_(err), code_(code) {}
  int err() const { return err_; }
  ErrorCode code() const { return code_; }

 private:
  int err_;
  ErrorCode code_;
};

// One small read of a batch (MemorySource::readScatter): at most a page, not
// crossing a page boundary.
struct ScatterRead {
  uint64_t addr = 0;
  uint32_t len = 0;
  uint8_t* dst = nullptr;
  bool ok = false;  // out: every byte was readable (dst zero-filled otherwise)
};

// Residency of one page (PageState in pageStates()).
enum PageState : uint8_t { kPageAbsent = 0, kPagePresent = 1, kPageSwapped = 2 };

class MemorySource {
 public:
  virtual ~MemorySource() = default;

  // Reads [addr, addr+len) into buf. Unreadable pages are zero-filled in buf
  // and appended to *holes (merged with a preceding adjacent hole). Returns the
  // number of bytes actually read. Throws SourceError only for fatal errors.
  virtual size_t read(uint64_t addr, uint8_t* buf, size_t len, std::vector<Hole>* holes) = 0;

  // True when every byte of [addr, addr+len) was readable.
  bool readExact(uint64_t addr, void* buf, size_t len);

  template <class T>
  bool readValue(uint64_t addr, T* out) {
    return readExact(addr, out, sizeof(T));
  }

  // Human-readable description for error messages ("pid 1234", "image").
  virtual std::string describe() const = 0;

  // What this source chose not to read so far (see PageGate). An image has
  // nothing to spare: every byte it holds is plain memory.
  virtual ReadCounters counters() const { return ReadCounters{}; }

  // Many small reads at once (free-list walks: one node per list per step).
  // This default is one read() each; a live process answers a whole batch
  // with one process_vm_readv (up to 1024 remote iovecs).
  virtual void readScatter(ScatterRead* items, size_t n);

  // Residency of the pages of [start, end) (page-aligned), one PageState per
  // page, into *states. An image is resident everywhere. False when it cannot
  // be known (pagemap unreadable).
  virtual bool pageStates(uint64_t start, uint64_t end, std::vector<uint8_t>* states);
};

// Appends [start,end) to holes, merging with the last hole when contiguous.
void addHole(std::vector<Hole>* holes, uint64_t start, uint64_t end);

// Live process. Never stops, signals or writes the target, and never reads a
// page whose reading would make the target heavier (PageGate): non-resident
// anonymous pages read as zeros, swapped pages are holes unless
// setReadSwapped(true).
class ProcessMemorySource : public MemorySource {
 public:
  explicit ProcessMemorySource(int pid);
  ~ProcessMemorySource() override;
  size_t read(uint64_t addr, uint8_t* buf, size_t len, std::vector<Hole>* holes) override;
  std::string describe() const override;
  ReadCounters counters() const override;
  void readScatter(ScatterRead* items, size_t n) override;
  bool pageStates(uint64_t start, uint64_t end, std::vector<uint8_t>* states) override;
  void setReadSwapped(bool on) { gate_.setReadSwapped(on); }
  int pid() const { return pid_; }
  // "process_vm_readv" or "proc-mem": which transport answered last.
  const char* transport() const { return useProcMem_ ? "proc-mem" : "process_vm_readv"; }

 private:
  // Reads as far as possible from addr; returns bytes read (< len at the first
  // fault) or throws on a fatal errno.
  size_t readSpan(uint64_t addr, uint8_t* buf, size_t len);
  size_t readSpanVm(uint64_t addr, uint8_t* buf, size_t len, int* err);
  size_t readSpanProcMem(uint64_t addr, uint8_t* buf, size_t len, int* err);
  // read() without the permission mask of the /proc/PID/mem fallback.
  size_t readRaw(uint64_t addr, uint8_t* buf, size_t len, std::vector<Hole>* holes);
  // read() of pages the gate allowed: readRaw plus that mask.
  size_t readUngated(uint64_t addr, uint8_t* buf, size_t len, std::vector<Hole>* holes);
  [[noreturn]] void throwFatal(int err, const char* what);
  bool processExists() const;

  int pid_;
  bool useProcMem_ = false;
  int memFd_ = -1;
  PageGate gate_;
  // Atomics: counters() is called from the JS thread while a worker reads.
  std::atomic<uint64_t> zeroBytes_{0};
  std::atomic<uint64_t> swappedBytes_{0};
  std::atomic<bool> pagemapUsed_{false};
  std::vector<PageRun> runs_;
};

// An address-space image made of segments; everything outside them reads as a
// hole. A segment added over earlier ones replaces their bytes where they
// overlap. Used by tests, fuzzers and synthetic layouts.
class ImageMemorySource : public MemorySource {
 public:
  struct Segment {
    uint64_t address;
    std::vector<uint8_t> bytes;
  };
  ImageMemorySource() = default;
  void addSegment(uint64_t address, const uint8_t* data, size_t len);
  size_t read(uint64_t addr, uint8_t* buf, size_t len, std::vector<Hole>* holes) override;
  std::string describe() const override { return "memory image"; }
  const std::vector<Segment>& segments() const { return segments_; }

 private:
  std::vector<Segment> segments_;  // sorted by address
};

// Loads an image from a file: the whole file mapped at baseAddress.
std::unique_ptr<ImageMemorySource> loadImageFile(const std::string& path, uint64_t baseAddress);

// A small read-through cache of fixed blocks for parsers that make many small
// reads (chunk headers, bin links). Sequential walks hit the same block; a few
// blocks stay resident for bin lists that jump between heaps. Bounded memory:
// kBlocks * kBlockSize.
class CachedReader {
 public:
  static constexpr size_t kBlockSize = 256 * 1024;
  static constexpr size_t kBlocks = 8;

  explicit CachedReader(MemorySource* src);
  // True when every byte was readable.
  bool read(uint64_t addr, void* out, size_t len);
  template <class T>
  bool readValue(uint64_t addr, T* out) {
    return read(addr, out, sizeof(T));
  }
  bool readU64(uint64_t addr, uint64_t* out) { return readValue(addr, out); }
  MemorySource* source() const { return src_; }
  uint64_t bytesFetched() const { return bytesFetched_; }
  void invalidate();

 private:
  struct Block {
    uint64_t base = UINT64_MAX;
    uint64_t lastUse = 0;
    std::vector<uint8_t> data;
    std::vector<Hole> holes;  // holes inside this block
  };
  Block* fetch(uint64_t base);
  MemorySource* src_;
  std::vector<Block> blocks_;
  uint64_t clock_ = 0;
  uint64_t bytesFetched_ = 0;
};

}  // namespace arenascope
