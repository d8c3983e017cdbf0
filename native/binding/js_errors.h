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

// Reads a JS number that must be a non-negative safe integer (addresses and
// lengths; x86-64 user space stays below 2^47, well inside 2^53).
uint64_t toAddress(const Napi::Value& v, const char* what);

}  // namespace arenascope
