// Entry of the test addon (testing.h): the production modules, then the
// test-only ones.
#include <napi.h>

#include "binding/modules.h"
#include "testing.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  arenascope::InitProductionModules(env, exports);
  arenascope::InitTestingArenasModule(env, exports);
  arenascope::InitTestingFailuresModule(env, exports);
  arenascope::InitTestingSourcesModule(env, exports);
  arenascope::InitTestingResidencyModule(env, exports);
  return exports;
}

NODE_API_MODULE(arenascope_test, Init)
