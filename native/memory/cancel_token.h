// Cancellation of long native jobs (a walk, a scan, a dump): the JS side
// holds a CancelToken and sets it; the job polls it between windows and list
// steps and stops with ECANCELED. A job nobody cancels never pays more than
// a relaxed atomic load now and then.
#pragma once

#include <atomic>
#include <cerrno>
#include <memory>

#include "memory_source.h"

namespace arenascope {

using CancelFlag = std::shared_ptr<std::atomic<bool>>;

inline bool canceled(const CancelFlag& flag) { return flag && flag->load(std::memory_order_relaxed); }

inline void throwIfCanceled(const CancelFlag& flag) {
  if (canceled(flag)) throw SourceError(ECANCELED, ErrorCode::kCanceled, "canceled");
}

}  // namespace arenascope
