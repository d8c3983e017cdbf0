#include "page_gate.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "memory_source.h"

namespace arenascope {

namespace {
// pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst).
constexpr uint64_t kPmPresent = 1ull << 63;
constexpr uint64_t kPmSwapped = 1ull << 62;

uint64_t nowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// The kernel names three anonymous mappings ([heap], [stack], and
// [anon:NAME] from PR_SET_VMA_ANON_NAME) whose pages behave like any other
// private anonymous page; its other bracketed names ([vdso], [vvar],
// [vsyscall], [uprobes]) are special mappings whose pages are read as they are.
bool anonymousName(const char* path) {
  if (*path == 0) return true;
  return strncmp(path, "[heap]", 6) == 0 || strncmp(path, "[stack", 6) == 0 || strncmp(path, "[anon:", 6) == 0;
}
}  // namespace

void MappingIndex::reload() {
  maps_.clear();
  loadedAtNs_ = nowNs();
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/maps", pid_);
  FILE* f = fopen(path, "re");
  if (!f) return;  // gone or forbidden: every lookup misses and the read decides
  char* line = nullptr;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    unsigned long long s = 0, e = 0, off = 0, inode = 0;
    char perms[8] = {0};
    unsigned dmaj = 0, dmin = 0;
    int pathAt = 0;
    if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &s, &e, perms, &off, &dmaj, &dmin, &inode, &pathAt) < 7) continue;
    char* p = line + pathAt;
    p[strcspn(p, "\n")] = 0;
    bool anon = perms[0] == 'r' && perms[3] == 'p' && inode == 0 && anonymousName(p);
    maps_.push_back({s, e, anon});
  }
  free(line);
  fclose(f);
}

const MappingIndex::Mapping* MappingIndex::find(uint64_t addr) const {
  auto it = std::upper_bound(maps_.begin(), maps_.end(), addr, [](uint64_t a, const Mapping& m) { return a < m.start; });
  if (it == maps_.begin()) return nullptr;
  --it;
  return addr < it->end ? &*it : nullptr;
}

bool MappingIndex::privateAnon(uint64_t addr, uint64_t* end, bool* known) {
  uint64_t now = nowNs();
  if (loadedAtNs_ == 0 || now - loadedAtNs_ > kMaxAgeNs) reload();
  const Mapping* m = find(addr);
  if (!m && now - loadedAtNs_ > kMissAgeNs) {
    reload();
    m = find(addr);
  }
  *known = m != nullptr;
  if (!m) return false;
  *end = m->end;
  return m->privateAnon;
}

PageGate::~PageGate() {
  if (fd_ >= 0) close(fd_);
}

bool PageGate::open() {
  if (fd_ >= 0) return true;
  if (failed_) return false;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/pagemap", pid_);
  fd_ = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) failed_ = true;
  return fd_ >= 0;
}

PageAction PageGate::classify(uint64_t pageStart, uint64_t entry) {
  if (entry & kPmPresent) return PageAction::kRead;
  if (entry & kPmSwapped) return readSwapped_ ? PageAction::kRead : PageAction::kSwapped;
  uint64_t mapEnd = 0;
  bool known = false;
  return index_.privateAnon(pageStart, &mapEnd, &known) ? PageAction::kZero : PageAction::kRead;
}

bool PageGate::actionFor(uint64_t pageStart, PageAction* action) {
  if (!open()) return false;
  if (slots_.empty()) slots_.resize(kScatterSlots);
  const uint64_t page = pageStart / kPageSize;
  const uint64_t window = page / kScatterWindowPages;
  ScatterSlot& slot = slots_[window % kScatterSlots];
  const uint64_t now = nowNs();
  if (window != slot.window || now - slot.atNs > MappingIndex::kMaxAgeNs) {
    ssize_t got;
    do {
      got = pread(fd_, slot.entries, sizeof slot.entries, static_cast<off_t>(window * sizeof slot.entries));
    } while (got < 0 && errno == EINTR);
    slot.known = got > 0 ? static_cast<uint64_t>(got) / sizeof(uint64_t) : 0;
    slot.window = window;
    slot.atNs = now;
  }
  const uint64_t i = page - window * kScatterWindowPages;
  // Past what pagemap answered (an exited process): read, and the read tells.
  *action = i < slot.known ? classify(pageStart, slot.entries[i]) : PageAction::kRead;
  return true;
}

bool PageGate::states(uint64_t start, uint64_t end, std::vector<uint8_t>* out) {
  out->clear();
  if (start >= end) return true;
  if (!open()) return false;
  const uint64_t first = start / kPageSize;
  const uint64_t last = (end - 1) / kPageSize;
  out->assign(static_cast<size_t>(last - first + 1), 0);
  for (uint64_t page = first; page <= last;) {
    uint64_t n = std::min<uint64_t>(kWindowPages, last - page + 1);
    entries_.resize(n);
    ssize_t got = pread(fd_, entries_.data(), n * sizeof(uint64_t), static_cast<off_t>(page * sizeof(uint64_t)));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    uint64_t known = static_cast<uint64_t>(got) / sizeof(uint64_t);
    for (uint64_t i = 0; i < known; ++i) {
      const uint64_t e = entries_[i];
      (*out)[page - first + i] = (e & kPmPresent) ? 1 : (e & kPmSwapped) ? 2 : 0;
    }
    page += known;
  }
  return true;
}

bool PageGate::plan(uint64_t start, uint64_t end, std::vector<PageRun>* runs) {
  runs->clear();
  if (start >= end) return true;
  if (!open()) return false;
  auto push = [&](uint64_t s, uint64_t e, PageAction a) {
    if (s >= e) return;
    if (!runs->empty() && runs->back().action == a && runs->back().end == s) {
      runs->back().end = e;
    } else {
      runs->push_back({s, e, a});
    }
  };
  uint64_t firstPage = start / kPageSize;
  uint64_t lastPage = (end - 1) / kPageSize;  // inclusive
  for (uint64_t page = firstPage; page <= lastPage;) {
    uint64_t n = std::min<uint64_t>(kWindowPages, lastPage - page + 1);
    entries_.resize(n);
    ssize_t got = pread(fd_, entries_.data(), n * sizeof(uint64_t), static_cast<off_t>(page * sizeof(uint64_t)));
    if (got < 0 && errno == EINTR) continue;
    uint64_t known = got > 0 ? static_cast<uint64_t>(got) / sizeof(uint64_t) : 0;
    if (known == 0) {
      // The process exited (its mm is gone), or the range lies past what
      // pagemap covers: read the rest, and the read reports what happened.
      push(std::max(start, page * kPageSize), end, PageAction::kRead);
      return true;
    }
    uint64_t anonEnd = 0;  // end of the private anonymous mapping last looked up
    uint64_t notAnonEnd = 0;  // end of the known non-anonymous mapping last looked up
    for (uint64_t i = 0; i < known; ++i) {
      uint64_t pageStart = (page + i) * kPageSize;
      uint64_t s = std::max(start, pageStart);
      uint64_t e = std::min(end, pageStart + kPageSize);
      uint64_t entry = entries_[i];
      PageAction action = PageAction::kRead;
      if (entry & kPmPresent) {
        action = PageAction::kRead;
      } else if (entry & kPmSwapped) {
        action = readSwapped_ ? PageAction::kRead : PageAction::kSwapped;
      } else if (pageStart < anonEnd) {
        action = PageAction::kZero;
      } else if (pageStart < notAnonEnd) {
        action = PageAction::kRead;
      } else {
        uint64_t mapEnd = 0;
        bool isKnown = false;
        if (index_.privateAnon(pageStart, &mapEnd, &isKnown)) {
          anonEnd = mapEnd;
          action = PageAction::kZero;
        } else {
          if (isKnown) notAnonEnd = mapEnd;
          action = PageAction::kRead;
        }
      }
      push(s, e, action);
    }
    page += known;
  }
  return true;
}

}  // namespace arenascope
