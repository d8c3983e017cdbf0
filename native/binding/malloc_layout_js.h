// JS <-> C++ conversion of MallocLayout (a plain object of numbers, one per
// field of native/ptmalloc/malloc_layout.h, -1 for absent fields).
#pragma once

#include <napi.h>

#include "ptmalloc/malloc_layout.h"

namespace arenascope {

// Throws an EINVAL Error when a field is missing, not an integer, or the
// layout fails validateLayout().
ptmalloc::MallocLayout layoutFromJs(const Napi::Value& v);

Napi::Object layoutToJs(Napi::Env env, const ptmalloc::MallocLayout& layout);

}  // namespace arenascope
