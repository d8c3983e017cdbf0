#include "malloc_layout_js.h"

#include <cmath>
#include <string>

#include "js_errors.h"

namespace arenascope {

using ptmalloc::kMallocLayoutFieldCount;
using ptmalloc::kMallocLayoutFieldMembers;
using ptmalloc::kMallocLayoutFieldNames;
using ptmalloc::MallocLayout;

MallocLayout layoutFromJs(const Napi::Value& v) {
  Napi::Env env = v.Env();
  if (!v.IsObject()) throw makeError(env, ErrorCode::kInvalidArgument, 0, "layout must be an object");
  Napi::Object o = v.As<Napi::Object>();
  MallocLayout l;
  for (size_t i = 0; i < kMallocLayoutFieldCount; ++i) {
    const char* name = kMallocLayoutFieldNames[i];
    Napi::Value f = o.Get(name);
    if (!f.IsNumber()) throw makeError(env, ErrorCode::kInvalidArgument, 0, std::string("layout.") + name + " must be a number");
    double d = f.As<Napi::Number>().DoubleValue();
    // Offsets and sizes are small; -1 marks an absent field.
    if (!(d >= -1 && d <= 0x100000) || std::floor(d) != d) {
      throw makeError(env, ErrorCode::kInvalidArgument, 0, std::string("layout.") + name + " must be an integer >= -1");
    }
    l.*kMallocLayoutFieldMembers[i] = static_cast<int64_t>(d);
  }
  std::string why;
  if (!ptmalloc::validateLayout(l, &why)) throw makeError(env, ErrorCode::kInvalidArgument, 0, "invalid malloc layout: " + why);
  return l;
}

Napi::Object layoutToJs(Napi::Env env, const MallocLayout& l) {
  Napi::Object o = Napi::Object::New(env);
  for (size_t i = 0; i < kMallocLayoutFieldCount; ++i) {
    o.Set(kMallocLayoutFieldNames[i], Napi::Number::New(env, static_cast<double>(l.*kMallocLayoutFieldMembers[i])));
  }
  return o;
}

}  // namespace arenascope
