// MemorySourceHandle: the JS object that owns a native MemorySource. Every
// native entry point that reads takes one of these as its first argument.
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>

#include "memory/memory_source.h"

namespace arenascope {

class MemorySourceHandle : public Napi::ObjectWrap<MemorySourceHandle> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports);
  explicit MemorySourceHandle(const Napi::CallbackInfo& info);

  // Sources are not thread-safe (the /proc/PID/mem fallback keeps an fd and
  // the image is shared); workers take this lock for the duration of a job.
  std::shared_ptr<MemorySource> source() const { return source_; }
  std::shared_ptr<std::mutex> lock() const { return lock_; }

  static MemorySourceHandle* Unwrap(const Napi::Value& v);
  // A new JS MemorySource owning source (the factories below; the test addon's sources).
  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<MemorySource> source);

 private:
  static Napi::FunctionReference* constructor_;
  static Napi::Value ForProcess(const Napi::CallbackInfo& info);
  static Napi::Value FromImage(const Napi::CallbackInfo& info);
  static Napi::Value FromFile(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value ReadAsync(const Napi::CallbackInfo& info);
  Napi::Value Describe(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);

  std::shared_ptr<MemorySource> source_;
  std::shared_ptr<std::mutex> lock_ = std::make_shared<std::mutex>();
};

// Converts holes to a JS array of {start, end}.
Napi::Array holesToJs(Napi::Env env, const std::vector<Hole>& holes);

}  // namespace arenascope
