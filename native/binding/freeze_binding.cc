// Opt-in freeze: PTRACE_SEIZE + PTRACE_INTERRUPT every thread, repeating the
// thread listing until no new thread appears, then PTRACE_DETACH. ptrace ties
// a tracee to the tracer *thread*, so freeze and thaw both run synchronously on
// the JS thread. If the inspector dies, the kernel detaches its tracees
// (exit_ptrace), so a SIGKILL of arenascope cannot leave the target stopped.
#include <dirent.h>
#include <errno.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "js_errors.h"
#include "js_values.h"
#include "modules.h"

namespace arenascope {

namespace {
struct FrozenProcess {
  std::vector<int> tids;
  uint64_t frozenAtNs;
};
std::map<int, FrozenProcess> gFrozen;

uint64_t nowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::vector<int> listTids(int pid) {
  std::vector<int> tids;
  std::string path = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(path.c_str());
  if (!d) return tids;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    tids.push_back(atoi(e->d_name));
  }
  closedir(d);
  return tids;
}

// Waits for the tracee to report the interrupt stop, bounded by deadlineNs.
bool waitStopped(int tid, uint64_t deadlineNs) {
  while (true) {
    int status = 0;
    pid_t r = waitpid(tid, &status, __WALL | WNOHANG);
    if (r == tid) {
      if (WIFSTOPPED(status)) return true;
      return false;  // exited
    }
    if (r < 0 && errno != EINTR) return false;
    if (nowNs() > deadlineNs) return false;
    usleep(200);
  }
}

// Whether pid's parent is this process (the demo target is the TUI's child).
bool isOurChild(int pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  FILE* f = fopen(path.c_str(), "r");
  if (!f) return false;
  char buf[512];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char* close = strrchr(buf, ')');  // comm may hold spaces and parentheses
  int ppid = 0;
  char state = 0;
  if (!close || sscanf(close + 1, " %c %d", &state, &ppid) != 2) return false;
  return ppid == getpid();
}

// Detaches each traced thread. A thread killed while it was stopped here
// (SIGKILL to a frozen process) cannot be detached (ESRCH): it waits for its
// tracer to collect it with waitpid(__WALL), and until every thread is
// collected the process's exit is not reported to its parent (ptrace(2),
// "Death under ptrace"). So collect those, except the thread-group leader of
// a child of ours, whose exit status is libuv's to reap (node's 'exit' event).
void detachAll(int pid, const std::vector<int>& tids) {
  const bool child = isOurChild(pid);
  for (int tid : tids) {
    if (ptrace(PTRACE_DETACH, tid, nullptr, nullptr) == 0 || errno != ESRCH) continue;
    if (tid == pid && child) continue;
    // A dying thread becomes collectable within moments: a few tries, bounded.
    for (int tries = 0; tries < 20; ++tries) {
      int status = 0;
      pid_t r = waitpid(tid, &status, __WALL | WNOHANG);
      if (r == tid || (r < 0 && errno == ECHILD)) break;
      usleep(500);
    }
  }
}

Napi::Value Freeze(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = static_cast<int>(toAddress(info[0], "pid"));
  uint64_t timeoutMs = info[1].IsNumber() ? toAddress(info[1], "timeoutMs") : 2000;
  if (gFrozen.count(pid)) throw makeError(env, ErrorCode::kBusy, EBUSY, "pid " + std::to_string(pid) + " is already frozen");
  uint64_t start = nowNs();
  uint64_t deadline = start + timeoutMs * 1000000ull;
  std::set<int> seized;
  std::vector<int> order;
  // New threads may be created while we seize: list again until stable.
  for (int round = 0; round < 64; ++round) {
    bool added = false;
    for (int tid : listTids(pid)) {
      if (seized.count(tid)) continue;
      if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
        int e = errno;
        if (e == ESRCH) continue;  // thread exited meanwhile
        detachAll(pid, order);
        if (e == EPERM) {
          throw makeError(env, ErrorCode::kPermission, e,
                          "cannot freeze pid " + std::to_string(pid) +
                              ": ptrace refused (run as root or with CAP_SYS_PTRACE, check "
                              "kernel.yama.ptrace_scope, or another tracer is attached)");
        }
        throw makeError(env, ErrorCode::kIo, e, std::string("PTRACE_SEIZE failed: ") + strerror(e));
      }
      ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
      seized.insert(tid);
      order.push_back(tid);
      added = true;
    }
    if (!added) break;
  }
  if (order.empty()) throw makeError(env, ErrorCode::kNoProcess, ESRCH, "process " + std::to_string(pid) + " has exited");
  std::vector<int> stopped;
  for (int tid : order) {
    if (waitStopped(tid, deadline)) stopped.push_back(tid);
  }
  gFrozen[pid] = FrozenProcess{order, start};
  Napi::Object o = Napi::Object::New(env);
  o.Set("threads", num(env, order.size()));
  o.Set("stopped", num(env, stopped.size()));
  o.Set("freezeNs", num(env, nowNs() - start));
  return o;
}

Napi::Value Thaw(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = static_cast<int>(toAddress(info[0], "pid"));
  auto it = gFrozen.find(pid);
  if (it == gFrozen.end()) return env.Null();
  detachAll(pid, it->second.tids);
  uint64_t stoppedNs = nowNs() - it->second.frozenAtNs;
  gFrozen.erase(it);
  Napi::Object o = Napi::Object::New(env);
  o.Set("stoppedNs", num(env, stoppedNs));
  return o;
}

// Detaches every frozen process; called from signal and exit paths in JS.
Napi::Value ThawAll(const Napi::CallbackInfo& info) {
  for (auto& [pid, fp] : gFrozen) detachAll(pid, fp.tids);
  size_t n = gFrozen.size();
  gFrozen.clear();
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}
}  // namespace

void InitFreezeModule(Napi::Env env, Napi::Object exports) {
  exports.Set("freeze", Napi::Function::New(env, Freeze));
  exports.Set("thaw", Napi::Function::New(env, Thaw));
  exports.Set("thawAll", Napi::Function::New(env, ThawAll));
}

}  // namespace arenascope
