// Small helpers for building plain JS values from native results.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace arenascope {

// Addresses and sizes travel as JS numbers: exact up to 2^53, which covers
// x86-64's 47-bit user addresses and any size within them.
inline Napi::Number num(Napi::Env env, uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); }

// null for -1 (a field the glibc version does not have).
inline Napi::Value numOrNull(Napi::Env env, int64_t v) {
  return v < 0 ? env.Null() : Napi::Value(Napi::Number::New(env, static_cast<double>(v)));
}

// A JS array holding toJs(env, item) for each item, in order.
template <typename Item, typename ToJs>
Napi::Array arrayToJs(Napi::Env env, const std::vector<Item>& items, ToJs toJs) {
  Napi::Array arr = Napi::Array::New(env, items.size());
  for (size_t i = 0; i < items.size(); ++i) arr.Set(static_cast<uint32_t>(i), toJs(env, items[i]));
  return arr;
}

}  // namespace arenascope
