// PageGate: decides, before a live read, which pages of a range may be read.
//
// Why: reading a page the target never touched (or gave back with
// MADV_DONTNEED, as malloc_trim does) is not free for the target. Some
// kernels allocate a real zeroed page on such a read; standard ones map the
// shared zero page, which then shows as "present" in pagemap; and every kernel
// swaps a swapped-out page back in when it is read. An inspector meant for a
// service at its memory limit must not be what pushes it over, so:
//
//   - a page that /proc/PID/pagemap shows neither present (bit 63) nor swapped
//     (bit 62), inside a private anonymous mapping, reads as zeros without
//     being read: that is what the target would see if it read it;
//   - a swapped-out page is not read unless the caller asked for it: its
//     bytes are unknown, so it becomes a hole, and is counted as swapped;
//   - everything else (present pages, file-backed and shared mappings, pages
//     of no known mapping) is read as before, and the kernel decides.
//
// pagemap (Documentation/admin-guide/mm/pagemap.rst): one little-endian u64
// per virtual page at offset (address / 4096) * 8; bits 63 and 62 are readable
// by anyone who may ptrace-read the target (only the PFN bits need
// CAP_SYS_ADMIN). For a non-present page pagemap cannot say whether an
// address is mapped at all, so the gate also keeps an index of
// /proc/PID/maps, refreshed while reads go on (see MappingIndex).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace arenascope {

// What a read does with one run of pages.
enum class PageAction : uint8_t {
  kRead,     // read from the target
  kZero,     // never-touched or trimmed private anonymous page: zeros, not read
  kSwapped,  // in swap: not read (a hole), unless reading swapped pages was asked for
};

struct PageRun {
  uint64_t start;
  uint64_t end;
  PageAction action;
};

// Bytes a source chose not to read, cumulative over its lifetime. A job takes
// the difference of two snapshots.
struct ReadCounters {
  uint64_t zeroBytes = 0;     // known zeros (not present, not swapped), not read
  uint64_t swappedBytes = 0;  // in swap, not read (holes)
  bool pagemapUsed = false;   // false: pagemap could not be read, pages were read unchecked
};

// The private anonymous mappings of a process ([heap], [stack], unnamed and
// [anon:...] mappings with a 'p'): only there is a non-present page known to
// read as zeros. A private file mapping's non-present page holds file bytes.
class MappingIndex {
 public:
  explicit MappingIndex(int pid) : pid_(pid) {}
  // True when addr lies in a readable private anonymous mapping; *end is where
  // that mapping ends. The index is re-read when it is older than kMaxAgeNs,
  // or when addr is not covered and it is older than kMissAgeNs, so a mapping
  // made or removed while a long read goes on is seen within that time.
  // Returns false (and *known = false) for an address of no known mapping.
  bool privateAnon(uint64_t addr, uint64_t* end, bool* known);
  // Drops the index: the next lookup reads /proc/PID/maps again.
  void invalidate() { loadedAtNs_ = 0; }

  static constexpr uint64_t kMaxAgeNs = 50'000'000;  // 50 ms
  static constexpr uint64_t kMissAgeNs = 2'000'000;  // 2 ms

 private:
  struct Mapping {
    uint64_t start;
    uint64_t end;
    bool privateAnon;
  };
  void reload();
  const Mapping* find(uint64_t addr) const;

  int pid_;
  uint64_t loadedAtNs_ = 0;
  std::vector<Mapping> maps_;
};

class PageGate {
 public:
  explicit PageGate(int pid) : pid_(pid), index_(pid) {}
  ~PageGate();
  PageGate(const PageGate&) = delete;
  PageGate& operator=(const PageGate&) = delete;

  void setReadSwapped(bool on) { readSwapped_ = on; }
  bool readSwapped() const { return readSwapped_; }

  // Splits [start, end) into runs with one action each, in address order,
  // covering the range exactly. Returns false when pagemap cannot be used
  // (then the caller reads unchecked). Throws nothing; a short pagemap read
  // (the process exited) makes the rest kRead, and the read then tells.
  bool plan(uint64_t start, uint64_t end, std::vector<PageRun>* runs);
  void invalidate() {
    index_.invalidate();
    for (ScatterSlot& slot : slots_) slot.window = UINT64_MAX;
  }

  // The action for one page, from a small cache of pagemap windows (each
  // re-read after kMaxAgeNs, like the mapping index): scattered small reads
  // (list walks) would otherwise cost a pagemap pread each. Windows are
  // small (kScatterWindowPages) because such reads jump all over a heap: a
  // miss then costs a 512-byte pread, not a 32 KiB one. False when pagemap
  // cannot be used.
  bool actionFor(uint64_t pageStart, PageAction* action);

  // pagemap bits of [start, end) (page-aligned) as PageStates (see
  // memory_source.h: 0 absent, 1 present, 2 swapped). False when unreadable.
  bool states(uint64_t start, uint64_t end, std::vector<uint8_t>* out);

  // Pages looked up in pagemap per pread: 4096 pages (16 MiB of address
  // space) in a 32 KiB buffer.
  static constexpr uint64_t kWindowPages = 4096;
  // actionFor()'s windows: 64 pages (256 KiB of address space), 16 of them.
  static constexpr uint64_t kScatterWindowPages = 64;
  static constexpr size_t kScatterSlots = 16;

 private:
  bool open();

  // One page's action from its pagemap entry (the mapping index decides a
  // non-present, non-swapped page).
  PageAction classify(uint64_t pageStart, uint64_t entry);

  int pid_;
  int fd_ = -1;
  bool failed_ = false;
  bool readSwapped_ = false;
  MappingIndex index_;
  std::vector<uint64_t> entries_;
  // actionFor()'s cache: kScatterSlots windows, direct-mapped by window number.
  struct ScatterSlot {
    uint64_t window = UINT64_MAX;
    uint64_t known = 0;  // entries pagemap answered
    uint64_t atNs = 0;
    uint64_t entries[kScatterWindowPages];
  };
  std::vector<ScatterSlot> slots_;
};

}  // namespace arenascope
