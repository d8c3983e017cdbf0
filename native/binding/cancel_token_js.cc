#include "cancel_token_js.h"

#include "js_errors.h"
#include "modules.h"

namespace arenascope {

Napi::FunctionReference* CancelTokenHandle::constructor_ = nullptr;

Napi::Object CancelTokenHandle::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function fn = DefineClass(env, "CancelToken",
                                  {
                                      InstanceMethod("cancel", &CancelTokenHandle::Cancel),
                                      InstanceAccessor("canceled", &CancelTokenHandle::Canceled, nullptr),
                                  });
  constructor_ = new Napi::FunctionReference(Napi::Persistent(fn));
  exports.Set("CancelToken", fn);
  return exports;
}

CancelTokenHandle::CancelTokenHandle(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<CancelTokenHandle>(info), flag_(std::make_shared<std::atomic<bool>>(false)) {}

Napi::Value CancelTokenHandle::Cancel(const Napi::CallbackInfo& info) {
  flag_->store(true, std::memory_order_relaxed);
  return info.Env().Undefined();
}

Napi::Value CancelTokenHandle::Canceled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), flag_->load(std::memory_order_relaxed));
}

CancelFlag CancelTokenHandle::fromOption(const Napi::Object& options, const char* name) {
  Napi::Value v = options.Get(name);
  if (v.IsUndefined() || v.IsNull()) return nullptr;
  if (!v.IsObject() || !constructor_ || !v.As<Napi::Object>().InstanceOf(constructor_->Value())) {
    throw makeError(options.Env(), ErrorCode::kInvalidArgument, 0, std::string("options.") + name + " must be a CancelToken");
  }
  return Napi::ObjectWrap<CancelTokenHandle>::Unwrap(v.As<Napi::Object>())->flag_;
}

void InitCancelModule(Napi::Env env, Napi::Object exports) { CancelTokenHandle::Init(env, exports); }

}  // namespace arenascope
