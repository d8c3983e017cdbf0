// Shared MemorySource helpers, the image-backed source and the block cache.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "memory_source.h"

namespace arenascope {

void addHole(std::vector<Hole>* holes, uint64_t start, uint64_t end) {
  if (!holes || start >= end) return;
  if (!holes->empty() && holes->back().end == start) {
    holes->back().end = end;
    return;
  }
  holes->push_back({start, end});
}

void MemorySource::readScatter(ScatterRead* items, size_t n) {
  for (size_t i = 0; i < n; ++i) items[i].ok = readExact(items[i].addr, items[i].dst, items[i].len);
}

bool MemorySource::pageStates(uint64_t start, uint64_t end, std::vector<uint8_t>* states) {
  states->assign(static_cast<size_t>((pageCeil(end) - pageFloor(start)) / kPageSize), kPagePresent);
  return true;
}

bool MemorySource::readExact(uint64_t addr, void* buf, size_t len) {
  std::vector<Hole> holes;
  size_t got = read(addr, static_cast<uint8_t*>(buf), len, &holes);
  return got == len && holes.empty();
}

void ImageMemorySource::addSegment(uint64_t address, const uint8_t* data, size_t len) {
  if (len == 0 || address + len < address) return;
  uint64_t end = address + len;
  // read() relies on disjoint segments sorted by address. A segment that
  // overlaps earlier ones replaces their bytes there, like a later write to
  // memory: the old segments keep only what lies outside [address, end).
  std::vector<Segment> kept;
  kept.reserve(segments_.size() + 2);
  for (Segment& s : segments_) {
    uint64_t sEnd = s.address + s.bytes.size();
    if (sEnd <= address || s.address >= end) {
      kept.push_back(std::move(s));
      continue;
    }
    if (s.address < address) {
      kept.push_back(Segment{s.address, std::vector<uint8_t>(s.bytes.begin(), s.bytes.begin() + (address - s.address))});
    }
    if (sEnd > end) {
      kept.push_back(Segment{end, std::vector<uint8_t>(s.bytes.begin() + (end - s.address), s.bytes.end())});
    }
  }
  Segment seg{address, std::vector<uint8_t>(data, data + len)};
  auto it = std::lower_bound(kept.begin(), kept.end(), address,
                             [](const Segment& s, uint64_t a) { return s.address < a; });
  kept.insert(it, std::move(seg));
  segments_ = std::move(kept);
}

size_t ImageMemorySource::read(uint64_t addr, uint8_t* buf, size_t len, std::vector<Hole>* holes) {
  if (len == 0) return 0;
  memset(buf, 0, len);
  uint64_t end = addr + len;
  if (end < addr) {
    addHole(holes, addr, UINT64_MAX);
    return 0;
  }
  size_t got = 0;
  uint64_t cursor = addr;
  // First segment that could overlap: the last one starting at or before addr.
  auto it = std::upper_bound(segments_.begin(), segments_.end(), addr,
                             [](uint64_t a, const Segment& s) { return a < s.address; });
  if (it != segments_.begin()) --it;
  for (; it != segments_.end() && it->address < end; ++it) {
    uint64_t segEnd = it->address + it->bytes.size();
    if (segEnd <= cursor) continue;
    uint64_t from = std::max(cursor, it->address);
    uint64_t to = std::min(end, segEnd);
    if (from > cursor) addHole(holes, cursor, from);
    memcpy(buf + (from - addr), it->bytes.data() + (from - it->address), to - from);
    got += to - from;
    cursor = to;
  }
  if (cursor < end) addHole(holes, cursor, end);
  return got;
}

std::unique_ptr<ImageMemorySource> loadImageFile(const std::string& path, uint64_t baseAddress) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  // A path the caller named that cannot be opened is a bad argument (exit 2), as
  // a missing output directory is; errno still says why.
  if (fd < 0) {
    int e = errno;
    throw SourceError(e, ErrorCode::kInvalidArgument, "cannot open image " + path + ": " + strerror(e));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    throw SourceError(e, ErrorCode::kIo, "cannot stat image " + path + ": " + strerror(e));
  }
  auto img = std::make_unique<ImageMemorySource>();
  std::vector<uint8_t> data(static_cast<size_t>(st.st_size));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t r = ::read(fd, data.data() + off, data.size() - off);
    if (r <= 0) break;
    off += static_cast<size_t>(r);
  }
  close(fd);
  img->addSegment(baseAddress, data.data(), off);
  return img;
}

CachedReader::CachedReader(MemorySource* src) : src_(src), blocks_(kBlocks) {}

void CachedReader::invalidate() {
  for (auto& b : blocks_) b.base = UINT64_MAX;
}

CachedReader::Block* CachedReader::fetch(uint64_t base) {
  Block* victim = &blocks_[0];
  for (auto& b : blocks_) {
    if (b.base == base) {
      b.lastUse = ++clock_;
      return &b;
    }
    if (b.lastUse < victim->lastUse) victim = &b;
  }
  victim->data.resize(kBlockSize);
  victim->holes.clear();
  victim->base = base;
  victim->lastUse = ++clock_;
  src_->read(base, victim->data.data(), kBlockSize, &victim->holes);
  bytesFetched_ += kBlockSize;
  return victim;
}

bool CachedReader::read(uint64_t addr, void* out, size_t len) {
  if (len == 0) return true;
  if (addr + len < addr) return false;
  uint8_t* dst = static_cast<uint8_t*>(out);
  bool ok = true;
  while (len > 0) {
    uint64_t base = addr - (addr % kBlockSize);
    Block* b = fetch(base);
    size_t off = addr - base;
    size_t take = std::min(len, kBlockSize - off);
    for (const Hole& h : b->holes) {
      if (h.start < addr + take && h.end > addr) ok = false;
    }
    memcpy(dst, b->data.data() + off, take);
    dst += take;
    addr += take;
    len -= take;
  }
  return ok;
}

}  // namespace arenascope
