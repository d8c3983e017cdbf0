// Addon entry: registers every module. The JS side loads this through
// src/native/loader.ts and sees only the typed surface of src/native/native.d.ts.
// The modules live in a static library (binding.gyp: arenascope_core) that the
// test addon (native/testing/) links too.
#include <napi.h>

#include "modules.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  arenascope::InitProductionModules(env, exports);
  return exports;
}

NODE_API_MODULE(arenascope, Init)
