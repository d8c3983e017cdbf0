// The test addon (binding.gyp target arenascope_test, built only for the test
// suites: test/setup/global.ts and scripts/test-sanitized.mjs): every module of
// the production addon plus the entry points below, which production never
// calls. Its typed face is test/native/testAddon.d.ts.
#pragma once

#include <napi.h>

namespace arenascope {

// scanForMallocPar, readHeapInfo, knownMallocLayouts (testing_arenas.cc).
void InitTestingArenasModule(Napi::Env env, Napi::Object exports);
// failingSource, errorCodes, leakCheck (testing_failures.cc).
void InitTestingFailuresModule(Napi::Env env, Napi::Object exports);
// changingImage (testing_sources.cc).
void InitTestingSourcesModule(Napi::Env env, Napi::Object exports);
// spanResidency (testing_residency.cc).
void InitTestingResidencyModule(Napi::Env env, Napi::Object exports);

}  // namespace arenascope
