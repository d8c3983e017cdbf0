// Fuzzes ProcessMemorySource against the fuzzer's own address space: the
// process_vm_readv slicing (64 KiB remote iovecs), the fault-to-hole logic and
// the hole merging that dumps and every live parser rely on.
//
// A fixed arena of kPages pages lies between two PROT_NONE guard pages. Each
// input chooses which arena pages are readable (the rest are PROT_NONE, which
// process_vm_readv refuses) and a series of reads starting anywhere from the
// lower guard to the upper one, with any alignment and length.
//
// Each input also chooses readable pages to give back (MADV_DONTNEED): they
// are not resident and read as zeros, and the source must return those zeros
// without reading them, so they must still be non-resident afterwards
// (pagemap bit 63; a read would have allocated them or mapped the zero page).
//
// Properties: the bytes returned equal the arena's; exactly the bytes of
// PROT_NONE pages (and guard pages) inside the range are reported as holes,
// as maximal merged runs; the return value counts the readable bytes; nothing
// is written past the buffer; a dropped page stays non-resident.
#include <fcntl.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_check.h"
#include "memory/memory_source.h"

using arenascope::Hole;
using arenascope::kPageSize;
using arenascope::ProcessMemorySource;

namespace {
// 40 pages span three 64 KiB iovec slices whatever the arena's alignment.
constexpr size_t kPages = 40;

struct Arena {
  uint8_t* base = nullptr;  // first arena page; guard pages at base-1 page and base+kPages pages
  Arena() {
    size_t total = (kPages + 2) * kPageSize;
    void* p = mmap(nullptr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    base = static_cast<uint8_t*>(p) + kPageSize;
    mprotect(base, kPages * kPageSize, PROT_READ | PROT_WRITE);
    for (size_t i = 0; i < kPages * kPageSize; ++i) base[i] = static_cast<uint8_t>((i * 131u) ^ (i >> 12));
  }
};

Arena& arena() {
  static Arena a;
  return a;
}

uint8_t arenaByte(size_t offset) { return static_cast<uint8_t>((offset * 131u) ^ (offset >> 12)); }

// pagemap bit 63 of one of our own pages (Documentation/admin-guide/mm/pagemap.rst).
bool resident(const uint8_t* page) {
  static int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  uint64_t entry = 0;
  if (fd < 0 || pread(fd, &entry, sizeof entry, static_cast<off_t>(reinterpret_cast<uint64_t>(page) / kPageSize * 8)) != 8) std::abort();
  return (entry >> 63) & 1;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Arena& a = arena();
  // Page i of the arena is readable when bit i of the mask is set.
  uint64_t readableMask = in.ConsumeIntegral<uint64_t>();
  // Readable page i is given back (not resident, reads as zeros) when bit i is set.
  uint64_t droppedMask = in.ConsumeIntegral<uint64_t>() & readableMask;
  for (size_t i = 0; i < kPages; ++i) {
    uint8_t* page = a.base + i * kPageSize;
    // Every page holds its pattern again first (the last input may have dropped it).
    if (mprotect(page, kPageSize, PROT_READ | PROT_WRITE) != 0) std::abort();
    for (size_t j = 0; j < kPageSize; ++j) page[j] = arenaByte(i * kPageSize + j);
    if ((droppedMask >> i) & 1) madvise(page, kPageSize, MADV_DONTNEED);
    int prot = (readableMask >> i) & 1 ? PROT_READ : PROT_NONE;
    if (mprotect(page, kPageSize, prot) != 0) std::abort();
  }
  auto dropped = [&](uint64_t address) {
    uint64_t lo = reinterpret_cast<uint64_t>(a.base);
    if (address < lo || address >= lo + kPages * kPageSize) return false;
    return ((droppedMask >> ((address - lo) / kPageSize)) & 1) != 0;
  };
  auto readable = [&](uint64_t address) {
    uint64_t lo = reinterpret_cast<uint64_t>(a.base);
    if (address < lo || address >= lo + kPages * kPageSize) return false;  // a guard page
    return ((readableMask >> ((address - lo) / kPageSize)) & 1) != 0;
  };
  ProcessMemorySource source(getpid());
  std::vector<uint8_t> buf;
  uint64_t lo = reinterpret_cast<uint64_t>(a.base) - kPageSize;
  uint64_t span = (kPages + 2) * kPageSize;
  size_t nReads = in.ConsumeIntegralInRange<size_t>(1, 8);
  for (size_t r = 0; r < nReads && in.remaining_bytes() > 0; ++r) {
    uint64_t offset = in.ConsumeIntegralInRange<uint64_t>(0, span - 1);
    uint64_t len = in.ConsumeIntegralInRange<uint64_t>(0, span - offset);
    uint64_t addr = lo + offset;
    buf.assign(len + 1, 0xA5);
    std::vector<Hole> holes;
    size_t got = source.read(addr, buf.data(), len, &holes);
    FUZZ_CHECK(buf[len] == 0xA5, "read wrote past the buffer");
    std::vector<Hole> want;
    size_t wantGot = 0;
    for (uint64_t at = addr; at < addr + len;) {
      uint64_t next = std::min(arenascope::pageFloor(at) + kPageSize, addr + len);
      if (readable(at)) {
        wantGot += next - at;
      } else {
        arenascope::addHole(&want, at, next);
      }
      at = next;
    }
    FUZZ_CHECK(got == wantGot, "read %#llx+%llu returned %zu, %zu readable", (unsigned long long)addr,
               (unsigned long long)len, got, wantGot);
    FUZZ_CHECK(holes.size() == want.size(), "%zu holes, %zu expected", holes.size(), want.size());
    for (size_t i = 0; i < holes.size(); ++i) {
      FUZZ_CHECK(holes[i].start == want[i].start && holes[i].end == want[i].end, "hole %zu differs", i);
    }
    for (uint64_t j = 0; j < len; ++j) {
      uint64_t at = addr + j;
      uint8_t expected = readable(at) && !dropped(at) ? arenaByte(at - reinterpret_cast<uint64_t>(a.base)) : 0;
      FUZZ_CHECK(buf[j] == expected, "byte %#llx is %#x, expected %#x", (unsigned long long)at, buf[j], expected);
    }
  }
  for (size_t i = 0; i < kPages; ++i) {
    if ((droppedMask >> i) & 1) FUZZ_CHECK(!resident(a.base + i * kPageSize), "dropped page %zu became resident", i);
  }
  return 0;
}
