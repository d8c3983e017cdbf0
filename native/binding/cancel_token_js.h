// CancelToken: the JS handle on a native job's cancel flag. The TUI makes
// one per sample or scan, passes it in the job's options, and calls cancel()
// when the view that asked for the job goes away or the user quits.
#pragma once

#include <napi.h>

#include "memory/cancel_token.h"

namespace arenascope {

class CancelTokenHandle : public Napi::ObjectWrap<CancelTokenHandle> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports);
  explicit CancelTokenHandle(const Napi::CallbackInfo& info);
  // The flag of options[name] when it is a CancelToken; null when absent.
  static CancelFlag fromOption(const Napi::Object& options, const char* name);

 private:
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value Canceled(const Napi::CallbackInfo& info);
  static Napi::FunctionReference* constructor_;
  CancelFlag flag_;
};

}  // namespace arenascope
