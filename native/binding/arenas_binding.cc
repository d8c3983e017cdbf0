// The glibc arena reader's JS surface:
//   walkArenas(source, layout, options)                        -> Promise<WalkResult>
//   scanForMainArena(source, start, end, layout, heapMaxSize)  -> Promise<candidates[]>
// The work is in native/ptmalloc/; this file converts arguments and results.
// The test-only entry points (scanForMallocPar, readHeapInfo, knownMallocLayouts)
// are in the test addon (native/testing/).
#include <cstring>
#include <memory>
#include <mutex>

#include "js_errors.h"
#include "malloc_layout_js.h"
#include "modules.h"
#include "promise_worker.h"
#include "ptmalloc/arena_scan.h"
#include "ptmalloc/arena_walker.h"
#include "ptmalloc/chunk_format.h"
#include "scan_range.h"
#include "source_handle.h"
#include "walk_result_js.h"

namespace arenascope {

namespace {

using namespace ptmalloc;

bool optBool(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined() || v.IsNull()) return false;
  if (!v.IsBoolean()) throw makeError(o.Env(), ErrorCode::kInvalidArgument, 0, std::string("options.") + name + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

uint64_t optNumber(const Napi::Object& o, const char* name, uint64_t dflt) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined() || v.IsNull()) return dflt;
  return toAddress(v, (std::string("options.") + name).c_str());
}

WalkOptions optionsFromJs(const Napi::Value& v) {
  Napi::Env env = v.Env();
  if (!v.IsObject()) throw makeError(env, ErrorCode::kInvalidArgument, 0, "options must be an object");
  Napi::Object o = v.As<Napi::Object>();
  WalkOptions w;
  w.mainArena = toAddress(o.Get("mainArena"), "options.mainArena");
  w.mp = toAddress(o.Get("mp"), "options.mp");
  w.heapMaxSize = optNumber(o, "heapMaxSize", 0);
  w.globalMaxFast = optNumber(o, "globalMaxFast", 0);
  w.withBins = optBool(o, "withBins");
  w.withHistogram = optBool(o, "withHistogram");
  w.withChunks = optBool(o, "withChunks");
  w.withTcacheDetail = optBool(o, "withTcacheDetail");
  uint64_t maxArenas = optNumber(o, "maxArenas", 4096);
  if (maxArenas < 1 || maxArenas > (1u << 20)) throw makeError(env, ErrorCode::kInvalidArgument, 0, "options.maxArenas out of range");
  w.maxArenas = static_cast<uint32_t>(maxArenas);
  w.maxChunksPerHeap = optNumber(o, "maxChunksPerHeap", 1ull << 27);
  if (w.maxChunksPerHeap < 1) throw makeError(env, ErrorCode::kInvalidArgument, 0, "options.maxChunksPerHeap must be >= 1");
  Napi::Value hints = o.Get("tcacheStructs");
  if (!hints.IsUndefined() && !hints.IsNull()) {
    if (!hints.IsArray()) throw makeError(env, ErrorCode::kInvalidArgument, 0, "options.tcacheStructs must be an array");
    Napi::Array a = hints.As<Napi::Array>();
    if (a.Length() > 65536) throw makeError(env, ErrorCode::kInvalidArgument, 0, "options.tcacheStructs is too long");
    for (uint32_t i = 0; i < a.Length(); ++i) w.tcacheStructs.push_back(toAddress(a.Get(i), "options.tcacheStructs[]"));
  }
  return w;
}

class WalkWorker : public SourceJobWorker {
 public:
  WalkWorker(Napi::Env env, MemorySourceHandle* h, MallocLayout layout, WalkOptions options)
      : SourceJobWorker(env, h, "walking the arenas"), layout_(layout), options_(std::move(options)) {}
  ~WalkWorker() override { delete packed_; }

 protected:
  void runLocked(MemorySource* src) override {
    result_ = walkArenas(src, layout_, options_);
    if (options_.withChunks) {
      packed_ = packChunks(result_.chunks);
      result_.chunks.clear();
      result_.chunks.shrink_to_fit();
    }
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("mp", result_.mp.readable ? Napi::Value(mpToJs(env, result_.mp)) : env.Null());
    o.Set("heapMaxSize", num(env, result_.heapMaxSize));
    o.Set("ringClosed", Napi::Boolean::New(env, result_.ringClosed));
    o.Set("arenas", arrayToJs(env, result_.arenas, [this](Napi::Env env, const ArenaReport& a) { return arenaToJs(env, a, options_); }));
    if (packed_) {
      std::vector<uint8_t>* vec = packed_;
      auto table = Napi::Buffer<uint8_t>::New(env, vec->data(), vec->size(),
                                              [](Napi::Env, uint8_t*, std::vector<uint8_t>* v) { delete v; }, vec);
      packed_ = nullptr;  // the Buffer's finalizer owns it now
      o.Set("chunkTable", table);
    }
    o.Set("anomalies", anomaliesToJs(env, result_.anomalies));
    o.Set("anomaliesSuppressed", num(env, result_.anomaliesSuppressed));
    o.Set("readBytes", num(env, result_.readBytes));
    o.Set("approximate", Napi::Boolean::New(env, result_.approximate));
    return o;
  }

 private:
  MallocLayout layout_;
  WalkOptions options_;
  WalkResult result_;
  std::vector<uint8_t>* packed_ = nullptr;
};

class MainArenaScanWorker : public SourceJobWorker {
 public:
  MainArenaScanWorker(Napi::Env env, MemorySourceHandle* h, uint64_t start, uint64_t end, MallocLayout layout,
                      uint64_t heapMax)
      : SourceJobWorker(env, h, "scanning for main_arena"), start_(start), end_(end), layout_(layout), heapMax_(heapMax) {}

 protected:
  void runLocked(MemorySource* src) override { found_ = scanForMainArena(src, start_, end_, layout_, heapMax_); }
  Napi::Value result(Napi::Env env) override {
    return arrayToJs(env, found_, [](Napi::Env env, const MainArenaCandidate& c) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("address", num(env, c.address));
      o.Set("score", Napi::Number::New(env, c.score));
      o.Set("ringLength", num(env, c.ringLength));
      o.Set("initialized", Napi::Boolean::New(env, c.initialized));
      o.Set("nonEmptyBins", num(env, c.nonEmptyBins));
      o.Set("verifiedBins", num(env, c.verifiedBins));
      o.Set("top", num(env, c.top));
      o.Set("systemMem", num(env, c.systemMem));
      return o;
    });
  }

 private:
  uint64_t start_, end_;
  MallocLayout layout_;
  uint64_t heapMax_;
  std::vector<MainArenaCandidate> found_;
};

Napi::Value WalkArenas(const Napi::CallbackInfo& info) {
  MemorySourceHandle* h = MemorySourceHandle::Unwrap(info[0]);
  MallocLayout layout = layoutFromJs(info[1]);
  WalkOptions options = optionsFromJs(info[2]);
  return queue<WalkWorker>(info.Env(), h, layout, std::move(options));
}

Napi::Value ScanForMainArena(const Napi::CallbackInfo& info) {
  MemorySourceHandle* h = MemorySourceHandle::Unwrap(info[0]);
  uint64_t start = toAddress(info[1], "start");
  uint64_t end = toAddress(info[2], "end");
  checkScanRange(info.Env(), start, end);
  MallocLayout layout = layoutFromJs(info[3]);
  uint64_t heapMax = info[4].IsUndefined() ? kDefaultHeapMax : toAddress(info[4], "heapMaxSize");
  if (heapMax == 0 || (heapMax & (heapMax - 1)) != 0) {
    throw makeError(info.Env(), ErrorCode::kInvalidArgument, 0, "heapMaxSize must be a power of two");
  }
  return queue<MainArenaScanWorker>(info.Env(), h, start, end, layout, heapMax);
}

}  // namespace

void InitArenasModule(Napi::Env env, Napi::Object exports) {
  exports.Set("walkArenas", Napi::Function::New(env, WalkArenas));
  exports.Set("scanForMainArena", Napi::Function::New(env, ScanForMainArena));
}

}  // namespace arenascope
