// Addon entry: registers every module. The JS side loads this through
// src/native/loader.ts and sees only the typed surface of src/native/native.d.ts.
#include <napi.h>

#include "modules.h"
#include "source_handle.h"

namespace arenascope {

void InitMemoryModule(Napi::Env env, Napi::Object exports) { MemorySourceHandle::Init(env, exports); }

}  // namespace arenascope

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  arenascope::InitMemoryModule(env, exports);
  arenascope::InitDumpModule(env, exports);
  arenascope::InitFreezeModule(env, exports);
  arenascope::InitArenasModule(env, exports);
  arenascope::InitStringsModule(env, exports);
  return exports;
}

NODE_API_MODULE(arenascope, Init)
