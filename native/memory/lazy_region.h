// Zero-filled memory reserved up front and paid for only where it is
// touched: an anonymous NORESERVE mapping with transparent huge pages
// requested (2 MiB faults instead of 4 KiB ones when THP is "madvise" or
// "always"). The histogram's tables and keys live in these so they never
// grow by copying and a scan does not spend its time in page faults.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace arenascope {

class LazyRegion {
 public:
  LazyRegion() = default;
  // hugePages: advise transparent huge pages (dense tables); false for
  // sparse ones, where a 2 MiB page would make one touched word cost 2 MiB.
  explicit LazyRegion(size_t bytes, bool hugePages = true);
  ~LazyRegion();
  LazyRegion(LazyRegion&& o) noexcept;
  LazyRegion& operator=(LazyRegion&& o) noexcept;
  LazyRegion(const LazyRegion&) = delete;
  LazyRegion& operator=(const LazyRegion&) = delete;

  char* data() const { return base_; }
  size_t size() const { return bytes_; }
  // Returns [0, size) to zero pages (MADV_DONTNEED on private anonymous memory).
  void clear();

 private:
  char* mapping_ = nullptr;
  size_t mappingBytes_ = 0;
  char* base_ = nullptr;
  size_t bytes_ = 0;
};

// A fixed-capacity array of T whose all-zero bit pattern is a valid value.
template <class T>
class LazyArray {
  static_assert(std::is_trivially_copyable<T>::value, "LazyArray holds plain data");

 public:
  LazyArray() = default;
  explicit LazyArray(size_t n) : region_(n * sizeof(T)), n_(n) {}
  T& operator[](size_t i) { return reinterpret_cast<T*>(region_.data())[i]; }
  const T& operator[](size_t i) const { return reinterpret_cast<const T*>(region_.data())[i]; }
  size_t capacity() const { return n_; }
  size_t reservedBytes() const { return region_.size(); }
  void clear() { region_.clear(); }
  // Zeroes every element in place (pages stay resident: cheaper than clear()
  // for a table that is about to be filled again).
  void zero() { memset(region_.data(), 0, region_.size()); }

 private:
  LazyRegion region_;
  size_t n_ = 0;
};

}  // namespace arenascope
