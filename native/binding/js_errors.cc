#include "js_errors.h"

#include <cmath>

namespace arenascope {

Napi::Error makeError(Napi::Env env, const std::string& code, int err, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

Napi::Error makeError(Napi::Env env, const SourceError& e) {
  return makeError(env, e.code(), e.err(), e.what());
}

uint64_t toAddress(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) {
    throw makeError(v.Env(), "EINVAL", 0, std::string(what) + " must be a number");
  }
  double d = v.As<Napi::Number>().DoubleValue();
  // 2^53: the largest integer a double represents exactly.
  if (!(d >= 0) || d > 9007199254740992.0 || std::floor(d) != d) {
    throw makeError(v.Env(), "EINVAL", 0, std::string(what) + " must be a non-negative safe integer");
  }
  return static_cast<uint64_t>(d);
}

}  // namespace arenascope
