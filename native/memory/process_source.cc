// Live-process memory source: process_vm_readv first, /proc/PID/mem where the
// syscall is refused (seccomp profiles in some container runtimes deny it while
// still allowing /proc/PID/mem), never ptrace-attached, never written.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "address_ranges.h"
#include "memory_source.h"

namespace arenascope {

namespace {
// Remote iovecs per syscall. The kernel accepts up to IOV_MAX (1024); each
// element covers one page-aligned slice so a short read tells us exactly which
// slice faulted without re-reading the good ones.
constexpr size_t kMaxIov = 1024;
constexpr size_t kIovSpan = 64 * 1024;

std::string permissionAdvice(int pid) {
  return "no permission to read the memory of pid " + std::to_string(pid) +
         ": run as root or with CAP_SYS_PTRACE, or relax kernel.yama.ptrace_scope "
         "(sysctl kernel.yama.ptrace_scope=0); containers need --cap-add SYS_PTRACE";
}
}  // namespace

ProcessMemorySource::ProcessMemorySource(int pid) : pid_(pid), gate_(pid) {}

ProcessMemorySource::~ProcessMemorySource() {
  if (memFd_ >= 0) close(memFd_);
}

std::string ProcessMemorySource::describe() const { return "pid " + std::to_string(pid_); }

bool ProcessMemorySource::processExists() const {
  // kill(pid, 0) sends nothing; ESRCH means gone. EPERM means it exists.
  if (kill(pid_, 0) == 0 || errno == EPERM) {
    // A zombie still answers kill(0) but has no memory left to read.
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid_);
    FILE* f = fopen(path, "re");
    if (!f) return false;
    char buf[512];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char* rp = strrchr(buf, ')');
    if (rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X')) return false;
    return true;
  }
  return false;
}

void ProcessMemorySource::throwFatal(int err, const char* what) {
  if (err == ESRCH) {
    throw SourceError(ESRCH, ErrorCode::kNoProcess, "process " + std::to_string(pid_) + " has exited (" + what + ")");
  }
  if (err == EPERM || err == EACCES) {
    throw SourceError(err, err == EPERM ? ErrorCode::kPermission : ErrorCode::kAccess, permissionAdvice(pid_));
  }
  throw SourceError(err, ErrorCode::kIo, std::string(what) + " failed for pid " + std::to_string(pid_) + ": " + strerror(err));
}

size_t ProcessMemorySource::readSpanVm(uint64_t addr, uint8_t* buf, size_t len, int* err) {
  size_t done = 0;
  while (done < len) {
    struct iovec local {};
    struct iovec remote[kMaxIov];
    size_t n = 0;
    uint64_t cur = addr + done;
    size_t batch = 0;
    while (n < kMaxIov && done + batch < len) {
      // Slices end on kIovSpan boundaries so faults map to page-aligned slices.
      uint64_t sliceEnd = (cur / kIovSpan + 1) * kIovSpan;
      size_t take = std::min<uint64_t>(sliceEnd - cur, len - done - batch);
      remote[n].iov_base = reinterpret_cast<void*>(cur);
      remote[n].iov_len = take;
      cur += take;
      batch += take;
      ++n;
    }
    local.iov_base = buf + done;
    local.iov_len = batch;
    ssize_t r = process_vm_readv(pid_, &local, 1, remote, n, 0);
    if (r < 0) {
      *err = errno;
      return done;
    }
    done += static_cast<size_t>(r);
    if (static_cast<size_t>(r) < batch) {
      *err = EFAULT;
      return done;
    }
  }
  *err = 0;
  return done;
}

size_t ProcessMemorySource::readSpanProcMem(uint64_t addr, uint8_t* buf, size_t len, int* err) {
  if (memFd_ < 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", pid_);
    memFd_ = open(path, O_RDONLY | O_CLOEXEC);
    if (memFd_ < 0) {
      *err = errno == ENOENT ? ESRCH : errno;
      return 0;
    }
  }
  size_t done = 0;
  while (done < len) {
    // /proc/PID/mem offsets are addresses; pread takes off_t, which is signed,
    // but x86-64 user addresses stay below 2^47 so they fit.
    ssize_t r = pread(memFd_, buf + done, len - done, static_cast<off_t>(addr + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      return done;
    }
    if (r == 0) {
      // The mm is gone (process exited) or the offset is past the address space.
      *err = processExists() ? EIO : ESRCH;
      return done;
    }
    done += static_cast<size_t>(r);
  }
  *err = 0;
  return done;
}

size_t ProcessMemorySource::readSpan(uint64_t addr, uint8_t* buf, size_t len) {
  int err = 0;
  size_t got;
  if (!useProcMem_) {
    got = readSpanVm(addr, buf, len, &err);
    if (err == EPERM || err == ENOSYS) {
      // Refused as a syscall (seccomp) rather than by ptrace access rules:
      // /proc/PID/mem applies the same access check, so try it once.
      int err2 = 0;
      size_t got2 = readSpanProcMem(addr, buf, len, &err2);
      if (err2 == 0 || err2 == EIO || err2 == EFAULT) {
        useProcMem_ = true;
        return got2;
      }
      throwFatal(err2 == ENOENT ? ESRCH : err2, "open /proc/PID/mem");
    }
  } else {
    got = readSpanProcMem(addr, buf, len, &err);
  }
  if (err == 0 || err == EFAULT || err == EIO || err == ENOMEM) {
    if (err != 0 && got == 0 && !processExists()) throwFatal(ESRCH, "read");
    return got;
  }
  if (err == ESRCH || err == EPERM || err == EACCES) throwFatal(err, "read");
  throwFatal(err, "read");
}

namespace {
// Ranges of [addr, end) that the target itself cannot read: no mapping, or a
// mapping without 'r'. /proc/PID/mem reads with FOLL_FORCE and so returns
// PROT_NONE pages; process_vm_readv does not. The fallback masks them so both
// transports give the same view of memory.
std::vector<Hole> unreadableRanges(int pid, uint64_t addr, uint64_t end) {
  std::vector<Hole> out;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/maps", pid);
  FILE* f = fopen(path, "re");
  if (!f) return out;
  uint64_t cursor = addr;
  char line[512];
  while (fgets(line, sizeof line, f) && cursor < end) {
    unsigned long long s = 0, e = 0;
    char perms[8] = {0};
    if (sscanf(line, "%llx-%llx %7s", &s, &e, perms) != 3) continue;
    if (e <= cursor) continue;
    if (s >= end) break;
    if (s > cursor) out.push_back({cursor, std::min<uint64_t>(s, end)});
    if (perms[0] != 'r') out.push_back({std::max<uint64_t>(s, cursor), std::min<uint64_t>(e, end)});
    cursor = std::max<uint64_t>(cursor, e);
  }
  fclose(f);
  if (cursor < end) out.push_back({cursor, end});
  return out;
}
}  // namespace

size_t ProcessMemorySource::read(uint64_t addr, uint8_t* buf, size_t len, std::vector<Hole>* holes) {
  if (len == 0) return 0;
  if (addr + len < addr) return readUngated(addr, buf, len, holes);  // wraps: all hole
  if (!gate_.plan(addr, addr + len, &runs_)) {
    pagemapUsed_.store(false, std::memory_order_relaxed);
    return readUngated(addr, buf, len, holes);
  }
  pagemapUsed_.store(true, std::memory_order_relaxed);
  // Holes of each run join those of the run before (addHole merges them).
  size_t total = 0;
  for (const PageRun& run : runs_) {
    uint8_t* at = buf + (run.start - addr);
    size_t n = static_cast<size_t>(run.end - run.start);
    switch (run.action) {
      case PageAction::kRead:
        total += readUngated(run.start, at, n, holes);
        break;
      case PageAction::kZero:
        memset(at, 0, n);
        zeroBytes_.fetch_add(n, std::memory_order_relaxed);
        total += n;
        break;
      case PageAction::kSwapped:
        memset(at, 0, n);
        swappedBytes_.fetch_add(n, std::memory_order_relaxed);
        addHole(holes, run.start, run.end);
        break;
    }
  }
  return total;
}

bool ProcessMemorySource::pageStates(uint64_t start, uint64_t end, std::vector<uint8_t>* states) {
  if (gate_.states(pageFloor(start), pageCeil(end), states)) return true;
  // Unreadable pagemap: a gone process is an error like any read's; otherwise unknown.
  if (!processExists()) throwFatal(ESRCH, "read pagemap");
  return false;
}

void ProcessMemorySource::readScatter(ScatterRead* items, size_t n) {
  if (useProcMem_) {
    MemorySource::readScatter(items, n);
    return;
  }
  // Each item is decided by the gate alone (it lies in one page); the ones
  // to read go out together, kScatterBatch remote iovecs per process_vm_readv
  // (the kernel takes up to IOV_MAX = 1024; this keeps the arrays on the stack small).
  constexpr size_t kScatterBatch = 256;
  struct iovec local[kScatterBatch];
  struct iovec remote[kScatterBatch];
  size_t batchItems[kScatterBatch];
  size_t i = 0;
  while (i < n) {
    size_t nb = 0;
    for (; i < n && nb < kScatterBatch; ++i) {
      ScatterRead& it = items[i];
      it.ok = false;
      if (it.len == 0) {
        it.ok = true;
        continue;
      }
      if (it.addr + it.len < it.addr || pageFloor(it.addr) != pageFloor(it.addr + it.len - 1)) {
        it.ok = readExact(it.addr, it.dst, it.len);  // crosses a page: the plain path
        continue;
      }
      PageAction action = PageAction::kRead;
      if (!gate_.actionFor(pageFloor(it.addr), &action)) {
        pagemapUsed_.store(false, std::memory_order_relaxed);
      } else {
        pagemapUsed_.store(true, std::memory_order_relaxed);
      }
      if (action == PageAction::kZero) {
        memset(it.dst, 0, it.len);
        zeroBytes_.fetch_add(it.len, std::memory_order_relaxed);
        it.ok = true;
        continue;
      }
      if (action == PageAction::kSwapped) {
        memset(it.dst, 0, it.len);
        swappedBytes_.fetch_add(it.len, std::memory_order_relaxed);
        continue;
      }
      local[nb] = {it.dst, it.len};
      remote[nb] = {reinterpret_cast<void*>(it.addr), it.len};
      batchItems[nb] = i;
      ++nb;
    }
    size_t from = 0;
    while (from < nb) {
      ssize_t r = process_vm_readv(pid_, local + from, nb - from, remote + from, nb - from, 0);
      if (r < 0 && (errno == EPERM || errno == ENOSYS || errno == ESRCH || errno == EACCES)) {
        // The syscall refused (or the target is gone): the per-item path
        // switches transport or throws as any read would.
        for (size_t k = from; k < nb; ++k) {
          ScatterRead& it = items[batchItems[k]];
          it.ok = readExact(it.addr, it.dst, it.len);
        }
        break;
      }
      // Items are transferred in order; a fault stops the transfer at the
      // first failing remote iovec. Mark the whole ones read, retry the one
      // that faulted alone (a hole then), and go on after it.
      uint64_t done = r > 0 ? static_cast<uint64_t>(r) : 0;
      size_t k = from;
      for (; k < nb && done >= remote[k].iov_len; ++k) {
        items[batchItems[k]].ok = true;
        done -= remote[k].iov_len;
      }
      if (k >= nb) break;
      ScatterRead& bad = items[batchItems[k]];
      bad.ok = readExact(bad.addr, bad.dst, bad.len);
      from = k + 1;
    }
  }
}

ReadCounters ProcessMemorySource::counters() const {
  ReadCounters c;
  c.zeroBytes = zeroBytes_.load(std::memory_order_relaxed);
  c.swappedBytes = swappedBytes_.load(std::memory_order_relaxed);
  c.pagemapUsed = pagemapUsed_.load(std::memory_order_relaxed);
  return c;
}

size_t ProcessMemorySource::readUngated(uint64_t addr, uint8_t* buf, size_t len, std::vector<Hole>* holes) {
  std::vector<Hole> mine;
  size_t total = readRaw(addr, buf, len, &mine);
  if (useProcMem_) {
    std::vector<Hole> masked = unreadableRanges(pid_, addr, addr + len);
    if (!masked.empty()) {
      for (const Hole& h : masked) memset(buf + (h.start - addr), 0, h.end - h.start);
      mine.insert(mine.end(), masked.begin(), masked.end());
      sortAndMergeRanges(&mine, Touching::kMerge);
      uint64_t holeBytes = 0;
      for (const Hole& h : mine) holeBytes += h.end - h.start;
      total = len - static_cast<size_t>(holeBytes);
    }
  }
  for (const Hole& h : mine) addHole(holes, h.start, h.end);
  return total;
}

size_t ProcessMemorySource::readRaw(uint64_t addr, uint8_t* buf, size_t len, std::vector<Hole>* holes) {
  if (addr + len < addr) {  // wraps the address space
    memset(buf, 0, len);
    if (holes) addHole(holes, addr, UINT64_MAX);
    return 0;
  }
  size_t total = 0;
  size_t off = 0;
  while (off < len) {
    size_t got = readSpan(addr + off, buf + off, len - off);
    total += got;
    off += got;
    if (off >= len) break;
    // The page holding addr+off faulted: zero it, record it, move on.
    uint64_t bad = addr + off;
    uint64_t badEnd = std::min<uint64_t>(pageFloor(bad) + kPageSize, addr + len);
    memset(buf + off, 0, badEnd - bad);
    if (holes) addHole(holes, bad, badEnd);
    off = badEnd - addr;
  }
  return total;
}

}  // namespace arenascope
