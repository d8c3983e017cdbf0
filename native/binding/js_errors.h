// One way for native failures to cross into JS: an Error with `code` (a POSIX
// errno name or an arenascope code) and `errno` (number, 0 when not an errno).
// The TypeScript side turns these into ArenascopeError (src/errors.ts).
#pragma once

#include <napi.h>

#include <string>

#include "memory/memory_source.h"

namespace arenascope {

Napi::Error makeError(Napi::Env env, const std::string& code, int err, const std::string& message);
Napi::Error makeError(Napi::Env env, const SourceError& e);

// The first failure of a worker thread, kept until the promise settles on the
// JS thread (N-API values cannot be made off it).
class WorkerFailure {
 public:
  void set(const std::string& code, int err, const std::string& message) {
    if (!code_.empty()) return;  // the first cause wins
    code_ = code;
    errno_ = err;
    message_ = message;
  }
  bool failed() const { return !code_.empty(); }
  Napi::Error toJs(Napi::Env env) const { return makeError(env, code_, errno_, message_); }

 private:
  std::string code_, message_;
  int errno_ = 0;
};

// Reads a JS number that must be a non-negative safe integer (addresses and
// lengths; x86-64 user space stays below 2^47, well inside 2^53).
uint64_t toAddress(const Napi::Value& v, const char* what);

}  // namespace arenascope
