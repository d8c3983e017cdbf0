// Test-only arena entry points (the synthetic-image tests check the walker's
// building blocks with them; production locates mp_ and reads heap_info in
// TypeScript, src/glibc/locate.ts and src/regions/heapInfo.ts):
//   scanForMallocPar(source, start, end, layout) -> Promise<[{address, score}]>
//   readHeapInfo(source, address, layout)        -> {arPtr, prev, size, mprotectSize, pagesize} | null
//   knownMallocLayouts()                         -> [{name, from, to, sources, layout}]
#include <mutex>

#include "binding/js_errors.h"
#include "binding/js_values.h"
#include "binding/malloc_layout_js.h"
#include "binding/promise_worker.h"
#include "binding/scan_range.h"
#include "binding/source_handle.h"
#include "ptmalloc/arena_scan.h"
#include "ptmalloc/known_layouts.h"
#include "testing.h"

namespace arenascope {

namespace {

using namespace ptmalloc;

class MallocParScanWorker : public SourceJobWorker {
 public:
  MallocParScanWorker(Napi::Env env, MemorySourceHandle* h, uint64_t start, uint64_t end, MallocLayout layout)
      : SourceJobWorker(env, h, "scanning for mp_"), start_(start), end_(end), layout_(layout) {}

 protected:
  void runLocked(MemorySource* src) override { found_ = scanForMallocPar(src, start_, end_, layout_); }
  Napi::Value result(Napi::Env env) override {
    return arrayToJs(env, found_, [](Napi::Env env, const MallocParCandidate& c) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("address", num(env, c.address));
      o.Set("score", Napi::Number::New(env, c.score));
      return o;
    });
  }

 private:
  uint64_t start_, end_;
  MallocLayout layout_;
  std::vector<MallocParCandidate> found_;
};

Napi::Value ScanForMallocPar(const Napi::CallbackInfo& info) {
  MemorySourceHandle* h = MemorySourceHandle::Unwrap(info[0]);
  uint64_t start = toAddress(info[1], "start");
  uint64_t end = toAddress(info[2], "end");
  checkScanRange(info.Env(), start, end);
  MallocLayout layout = layoutFromJs(info[3]);
  return queue<MallocParScanWorker>(info.Env(), h, start, end, layout);
}

Napi::Value ReadHeapInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MemorySourceHandle* h = MemorySourceHandle::Unwrap(info[0]);
  uint64_t address = toAddress(info[1], "address");
  MallocLayout layout = layoutFromJs(info[2]);
  HeapInfoValues v;
  bool ok = false;
  runGuarded(env, "reading heap_info", [&] {
    std::lock_guard<std::mutex> g(*h->lock());
    ok = readHeapInfo(h->source().get(), address, layout, &v);
  });
  if (!ok) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("arPtr", num(env, v.arPtr));
  o.Set("prev", num(env, v.prev));
  o.Set("size", num(env, v.size));
  o.Set("mprotectSize", num(env, v.mprotectSize));
  o.Set("pagesize", numOrNull(env, v.pagesize));
  return o;
}

Napi::Value KnownMallocLayouts(const Napi::CallbackInfo& info) {
  return arrayToJs(info.Env(), knownLayouts(), [](Napi::Env env, const NamedLayout& known) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", known.name);
    o.Set("from", Napi::Number::New(env, known.fromMinor));
    o.Set("to", Napi::Number::New(env, known.toMinor));
    o.Set("sources", arrayToJs(env, known.sources, [](Napi::Env env, const std::string& s) { return Napi::String::New(env, s); }));
    o.Set("layout", layoutToJs(env, known.layout));
    return o;
  });
}

}  // namespace

void InitTestingArenasModule(Napi::Env env, Napi::Object exports) {
  exports.Set("scanForMallocPar", Napi::Function::New(env, ScanForMallocPar));
  exports.Set("readHeapInfo", Napi::Function::New(env, ReadHeapInfo));
  exports.Set("knownMallocLayouts", Napi::Function::New(env, KnownMallocLayouts));
}

}  // namespace arenascope
