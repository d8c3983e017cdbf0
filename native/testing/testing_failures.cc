// Test-only hooks into the failure path (js_errors.h, promise_worker.h):
//   failingSource(kind) -> MemorySource whose every read throws: kind is
//                          'bad_alloc', 'exception' (std::runtime_error),
//                          'non-exception' (an int), or an error code name
//                          (a SourceError with that code). Passed to the real
//                          entry points (walkArenas, dumpRange, ...), it shows
//                          what each does when its job fails.
//   errorCodes()        -> every code name the addon can send (error_code.h)
//   leakCheck()         -> LeakSanitizer's check now, in sanitizer builds only:
//                          nonzero when it found (and reported) leaks.
#include <new>
#include <stdexcept>
#include <string>

#include "binding/js_errors.h"
#include "binding/source_handle.h"
#include "memory/error_code.h"
#include "testing.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace arenascope {

namespace {

class FailingMemorySource : public MemorySource {
 public:
  explicit FailingMemorySource(std::string kind) : kind_(std::move(kind)) {}
  size_t read(uint64_t, uint8_t*, size_t, std::vector<Hole>*) override {
    if (kind_ == "bad_alloc") throw std::bad_alloc();
    if (kind_ == "exception") throw std::runtime_error("injected failure");
    if (kind_ == "non-exception") throw 42;
    for (int i = 0; i < kErrorCodeCount; ++i) {
      ErrorCode code = static_cast<ErrorCode>(i);
      if (kind_ == errorCodeName(code)) throw SourceError(0, code, "injected " + kind_ + " failure");
    }
    throw std::logic_error("failingSource: unknown kind " + kind_);
  }
  std::string describe() const override { return "failing source (" + kind_ + ")"; }

 private:
  std::string kind_;
};

Napi::Value FailingSource(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw makeError(info.Env(), ErrorCode::kInvalidArgument, 0, "kind must be a string");
  return MemorySourceHandle::Wrap(info.Env(), std::make_shared<FailingMemorySource>(info[0].As<Napi::String>().Utf8Value()));
}

Napi::Value ErrorCodes(const Napi::CallbackInfo& info) {
  Napi::Array names = Napi::Array::New(info.Env(), kErrorCodeCount);
  for (int i = 0; i < kErrorCodeCount; ++i) names.Set(static_cast<uint32_t>(i), errorCodeName(static_cast<ErrorCode>(i)));
  return names;
}

#if defined(__SANITIZE_ADDRESS__)
Napi::Value LeakCheck(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), __lsan_do_recoverable_leak_check());
}
#endif

}  // namespace

void InitTestingFailuresModule(Napi::Env env, Napi::Object exports) {
  exports.Set("failingSource", Napi::Function::New(env, FailingSource));
  exports.Set("errorCodes", Napi::Function::New(env, ErrorCodes));
#if defined(__SANITIZE_ADDRESS__)
  exports.Set("leakCheck", Napi::Function::New(env, LeakCheck));
#endif
}

}  // namespace arenascope
