// One way for native failures to cross into JS: an Error with `code` (one of
// ErrorCode, native/memory/error_code.h, each an ErrorCode of src/errors.ts)
// and `errno` (number, 0 when not an errno). The TypeScript side turns these
// into ArenascopeError (src/errors.ts).
#pragma once

#include <napi.h>

#include <exception>
#include <mutex>
#include <string>

#include "memory/error_code.h"
#include "memory/memory_source.h"

namespace arenascope {

Napi::Error makeError(Napi::Env env, ErrorCode code, int err, const std::string& message);

// The first failure of a job that runs off the JS thread (an AsyncWorker's
// Execute and every thread it starts), kept until the promise settles on the
// JS thread (N-API values cannot be made off it). Every such job runs under
// guard(): it is the only place where native exceptions become codes, so no
// exception ends the process and none reaches JS without a code errors.ts
// knows. Thread-safe: the dump's reader thread and its worker share one.
class WorkerFailure {
 public:
  // Runs job; an exception it throws is recorded (see capture) and goes no further.
  template <class Job>
  void guard(const char* task, Job&& job) noexcept {
    try {
      job();
    } catch (...) {
      capture(task);
    }
  }

  // Records the exception being handled; call only inside a catch block.
  //   SourceError         -> its own code and errno (process gone, permission, ...)
  //   std::bad_alloc      -> ENOMEM "out of memory while <task>"
  //   anything else       -> EINTERNAL "internal error while <task>: <what>"
  void capture(const char* task) noexcept;

  // Records a failure found without an exception (a failed write). The first
  // failure wins; a message is kept to one line.
  void set(ErrorCode code, int err, const std::string& message) noexcept;

  bool failed() const;
  Napi::Error toJs(Napi::Env env) const;

 private:
  mutable std::mutex m_;
  bool failed_ = false;
  ErrorCode code_ = ErrorCode::kInternal;
  int errno_ = 0;
  std::string message_;
};

// Runs native work on the JS thread (a synchronous entry point) under the same
// rules as WorkerFailure::guard, throwing the recorded failure as a JS error.
// Only for work that makes no JS values: a Napi::Error thrown inside would be
// taken for an internal error.
template <class Work>
void runGuarded(Napi::Env env, const char* task, Work&& work) {
  WorkerFailure failure;
  failure.guard(task, std::forward<Work>(work));
  if (failure.failed()) throw failure.toJs(env);
}

// Reads a JS number that must be a non-negative safe integer (addresses and
// lengths; x86-64 user space stays below 2^47, well inside 2^53).
uint64_t toAddress(const Napi::Value& v, const char* what);

}  // namespace arenascope
