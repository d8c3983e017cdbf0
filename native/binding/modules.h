// Each native module adds its functions to the addon's exports here. One
// module a file under native/binding/, the work itself under native/<topic>/.
#pragma once

#include <napi.h>

#include "own_malloc.h"

namespace arenascope {

void InitMemoryModule(Napi::Env env, Napi::Object exports);   // source_handle.cc
void InitDumpModule(Napi::Env env, Napi::Object exports);     // dump_binding.cc
void InitFreezeModule(Napi::Env env, Napi::Object exports);   // freeze_binding.cc
void InitArenasModule(Napi::Env env, Napi::Object exports);   // arenas_binding.cc
void InitStringsModule(Napi::Env env, Napi::Object exports);  // strings_binding.cc
void InitCancelModule(Napi::Env env, Napi::Object exports);   // cancel_token_js.cc

// Every module above: the production addon's exports (addon.cc); the test
// addon adds its own after them.
inline void InitProductionModules(Napi::Env env, Napi::Object exports) {
  holdOwnMallocSteady();
  InitMemoryModule(env, exports);
  InitDumpModule(env, exports);
  InitFreezeModule(env, exports);
  InitArenasModule(env, exports);
  InitStringsModule(env, exports);
  InitCancelModule(env, exports);
}

}  // namespace arenascope
