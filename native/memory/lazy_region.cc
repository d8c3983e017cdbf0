#include "lazy_region.h"

#include <sys/mman.h>

#include <new>
#include <utility>

namespace arenascope {

namespace {
// x86-64 transparent huge page size (PMD_SIZE).
constexpr size_t kHugePage = size_t{2} << 20;
}  // namespace

LazyRegion::LazyRegion(size_t bytes, bool hugePages) : bytes_(bytes) {
  if (bytes == 0) return;
  // Over-allocate by one huge page so the usable part can start aligned.
  mappingBytes_ = bytes + kHugePage;
  void* p = mmap(nullptr, mappingBytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  mapping_ = static_cast<char*>(p);
  base_ = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(mapping_) + kHugePage - 1) & ~(kHugePage - 1));
  // Advice only: without THP the kernel uses 4 KiB pages as usual.
  if (hugePages) madvise(base_, bytes_, MADV_HUGEPAGE);
}

LazyRegion::~LazyRegion() {
  if (mapping_) munmap(mapping_, mappingBytes_);
}

LazyRegion::LazyRegion(LazyRegion&& o) noexcept { *this = std::move(o); }

LazyRegion& LazyRegion::operator=(LazyRegion&& o) noexcept {
  if (this != &o) {
    if (mapping_) munmap(mapping_, mappingBytes_);
    mapping_ = std::exchange(o.mapping_, nullptr);
    mappingBytes_ = std::exchange(o.mappingBytes_, 0);
    base_ = std::exchange(o.base_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

void LazyRegion::clear() {
  if (base_) madvise(base_, bytes_, MADV_DONTNEED);
}

}  // namespace arenascope
