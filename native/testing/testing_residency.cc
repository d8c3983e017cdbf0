// Test-only: the residency join on its own (native/ptmalloc/residency.h),
// for hand-laid heaps whose page classes and trim estimate are worked out by
// hand in test/report/residency.test.ts.
//   spanResidency({rangeStart, rangeEnd, absent: [page], swapped: [page],
//                  chunks: [{start, end, cls}], thpPagesize, pad,
//                  consolidateFastbins, mainTopTrims}) -> the arena's residency
// cls: in-use, internal, bin, fast, tcache, unlisted, top.
#include <string>

#include "binding/js_errors.h"
#include "binding/js_values.h"
#include "binding/walk_result_js.h"
#include "ptmalloc/residency.h"
#include "testing.h"

namespace arenascope {

namespace {

using namespace ptmalloc;

ChunkClass classOf(Napi::Env env, const std::string& name) {
  if (name == "in-use") return ChunkClass::kInUse;
  if (name == "internal") return ChunkClass::kInternal;
  if (name == "bin") return ChunkClass::kFreeBin;
  if (name == "fast") return ChunkClass::kFast;
  if (name == "tcache") return ChunkClass::kTcache;
  if (name == "unlisted") return ChunkClass::kFreeUnlisted;
  if (name == "top") return ChunkClass::kTop;
  throw makeError(env, ErrorCode::kInvalidArgument, 0, "unknown chunk class " + name);
}

Napi::Value SpanResidencyJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw makeError(env, ErrorCode::kInvalidArgument, 0, "argument must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  const uint64_t start = toAddress(o.Get("rangeStart"), "rangeStart");
  const uint64_t end = toAddress(o.Get("rangeEnd"), "rangeEnd");
  TrimRules rules;
  rules.thpPagesize = toAddress(o.Get("thpPagesize"), "thpPagesize");
  rules.pad = toAddress(o.Get("pad"), "pad");
  rules.consolidateFastbins = o.Get("consolidateFastbins").ToBoolean().Value();
  const bool mainTopTrims = o.Get("mainTopTrims").ToBoolean().Value();
  std::vector<uint8_t> states((end - start) / rules.pageSize, kPagePresent);
  auto mark = [&](const char* name, uint8_t state) {
    Napi::Array a = o.Get(name).As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      uint64_t p = toAddress(a.Get(i), name);
      if (p < states.size()) states[p] = state;
    }
  };
  mark("absent", kPageAbsent);
  mark("swapped", kPageSwapped);
  ResidencyTotals totals;
  SpanResidency span;
  span.begin(start, end, &states, &totals, &rules, mainTopTrims);
  Napi::Array chunks = o.Get("chunks").As<Napi::Array>();
  for (uint32_t i = 0; i < chunks.Length(); ++i) {
    Napi::Object c = chunks.Get(i).As<Napi::Object>();
    span.chunk(toAddress(c.Get("start"), "chunk.start"), toAddress(c.Get("end"), "chunk.end"),
               classOf(env, c.Get("cls").As<Napi::String>().Utf8Value()));
  }
  span.finish();
  return residencyToJs(env, totals);
}

}  // namespace

void InitTestingResidencyModule(Napi::Env env, Napi::Object exports) {
  exports.Set("spanResidency", Napi::Function::New(env, SpanResidencyJs));
}

}  // namespace arenascope
