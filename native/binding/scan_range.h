// The range check of the symbol-free scans (scanForMainArena here, and
// scanForMallocPar in the test addon).
#pragma once

#include <napi.h>

#include "js_errors.h"

namespace arenascope {

// Scans cover libc's .data and .bss: a few hundred KiB.
constexpr uint64_t kMaxScanRange = 64ull << 20;

inline void checkScanRange(Napi::Env env, uint64_t start, uint64_t end) {
  if (end <= start) throw makeError(env, ErrorCode::kInvalidArgument, 0, "end must be above start");
  if (end - start > kMaxScanRange) throw makeError(env, ErrorCode::kInvalidArgument, 0, "scan range above 64 MiB");
}

}  // namespace arenascope
