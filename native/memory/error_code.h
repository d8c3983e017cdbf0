// The codes a native failure carries into JS: the `code` of every Error the
// addon throws or rejects a promise with. Each is an ErrorCode of
// src/errors.ts with an exit code of its own (test/native/error-codes.test.ts
// reads this list from the addon and checks that), so no native failure falls
// through to a generic code on the TypeScript side.
#pragma once

namespace arenascope {

enum class ErrorCode {
  kInvalidArgument,  // EINVAL: a caller's argument is wrong
  kNoProcess,        // ESRCH: the target is gone (or a zombie)
  kPermission,       // EPERM: ptrace access mode refused
  kAccess,           // EACCES: the same, reported as EACCES by /proc/PID/mem
  kIo,               // EIO: a read or write failed for another reason
  kNoSpace,          // ENOSPC: the output file system is full
  kQuota,            // EDQUOT: the output quota is exhausted
  kBusy,             // EBUSY: the target is already frozen by this process
  kOutOfMemory,      // ENOMEM: the inspector could not allocate (std::bad_alloc)
  kCanceled,         // ECANCELED: the caller cancelled the job (CancelToken)
  kInternal,         // EINTERNAL: any other exception: a bug in arenascope
};

// One past the last code, for code that lists them all.
constexpr int kErrorCodeCount = static_cast<int>(ErrorCode::kInternal) + 1;

// The JS-side name ("EINVAL", ...). -Werror=switch (binding.gyp) makes a code
// added above without a name here a compile error.
inline const char* errorCodeName(ErrorCode c) {
  switch (c) {
    case ErrorCode::kInvalidArgument: return "EINVAL";
    case ErrorCode::kNoProcess: return "ESRCH";
    case ErrorCode::kPermission: return "EPERM";
    case ErrorCode::kAccess: return "EACCES";
    case ErrorCode::kIo: return "EIO";
    case ErrorCode::kNoSpace: return "ENOSPC";
    case ErrorCode::kQuota: return "EDQUOT";
    case ErrorCode::kBusy: return "EBUSY";
    case ErrorCode::kOutOfMemory: return "ENOMEM";
    case ErrorCode::kCanceled: return "ECANCELED";
    case ErrorCode::kInternal: return "EINTERNAL";
  }
  return "EINTERNAL";
}

}  // namespace arenascope
