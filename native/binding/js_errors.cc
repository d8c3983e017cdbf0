#include "js_errors.h"

#include <errno.h>

#include <cmath>
#include <new>

namespace arenascope {

Napi::Error makeError(Napi::Env env, ErrorCode code, int err, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, errorCodeName(code)));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

void WorkerFailure::capture(const char* task) noexcept {
  ErrorCode code = ErrorCode::kInternal;
  int err = 0;
  try {
    try {
      throw;
    } catch (const SourceError& e) {
      code = e.code();
      err = e.err();
      set(code, err, e.what());
    } catch (const std::bad_alloc&) {
      code = ErrorCode::kOutOfMemory;
      err = ENOMEM;
      set(code, err, std::string("out of memory while ") + task);
    } catch (const std::exception& e) {
      set(code, err, std::string("internal error while ") + task + ": " + e.what() + " (a bug in arenascope)");
    } catch (...) {
      set(code, err, std::string("internal error while ") + task + ": an exception that is not a std::exception (a bug in arenascope)");
    }
  } catch (...) {
    set(code, err, std::string());  // building the message failed (no memory): the code still tells
  }
}

void WorkerFailure::set(ErrorCode code, int err, const std::string& message) noexcept {
  std::lock_guard<std::mutex> l(m_);
  if (failed_) return;  // the first cause wins
  failed_ = true;
  code_ = code;
  errno_ = err;
  try {
    message_ = message;
    // One line: the CLI prints it after "arenascope: ".
    for (char& c : message_) {
      if (c == '\n' || c == '\r') c = ' ';
    }
  } catch (...) {
    message_.clear();  // no memory even for the message: toJs says what it can
  }
}

bool WorkerFailure::failed() const {
  std::lock_guard<std::mutex> l(m_);
  return failed_;
}

Napi::Error WorkerFailure::toJs(Napi::Env env) const {
  std::lock_guard<std::mutex> l(m_);
  return makeError(env, code_, errno_, message_.empty() ? std::string(errorCodeName(code_)) + " (no memory left for the message)" : message_);
}

uint64_t toAddress(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) {
    throw makeError(v.Env(), ErrorCode::kInvalidArgument, 0, std::string(what) + " must be a number");
  }
  double d = v.As<Napi::Number>().DoubleValue();
  // 2^53: the largest integer a double represents exactly.
  if (!(d >= 0) || d > 9007199254740992.0 || std::floor(d) != d) {
    throw makeError(v.Env(), ErrorCode::kInvalidArgument, 0, std::string(what) + " must be a non-negative safe integer");
  }
  return static_cast<uint64_t>(d);
}

}  // namespace arenascope
