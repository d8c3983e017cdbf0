// The glibc arena reader's JS surface:
//   walkArenas(source, layout, options)                        -> Promise<WalkResult>
//   scanForMainArena(source, start, end, layout, heapMaxSize)  -> Promise<candidates[]>
// The work is in native/ptmalloc/; this file converts arguments and results.
// The test-only entry points (scanForMallocPar, readHeapInfo, knownMallocLayouts)
// are in the test addon (native/testing/).
#include <cstring>
#include <memory>
#include <mutex>

#include "cancel_token_js.h"
#include "js_errors.h"
#include "malloc_layout_js.h"
#include "modules.h"
#include "promise_worker.h"
#include "ptmalloc/arena_scan.h"
#include "ptmalloc/arena_walker.h"
#include "ptmalloc/chunk_format.h"
#include "ptmalloc/heap_cells.h"
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
  w.withTcacheDetail = optBool(o, "withTcacheDetail");
  w.chunkMap = optBool(o, "chunkMap");
  Napi::Value confirm = o.Get("confirm");
  w.confirm = confirm.IsUndefined() || confirm.IsNull() ? true : optBool(o, "confirm");
  w.cancel = CancelTokenHandle::fromOption(o, "cancel");
  Napi::Value res = o.Get("residency");
  if (!res.IsUndefined() && !res.IsNull()) {
    if (!res.IsObject()) throw makeError(env, ErrorCode::kInvalidArgument, 0, "options.residency must be an object");
    Napi::Object r = res.As<Napi::Object>();
    w.residency = true;
    w.brkStart = optNumber(r, "brkStart", 0);
    w.brkEnd = optNumber(r, "brkEnd", 0);
    w.trim.thpPagesize = optNumber(r, "thpPagesize", 0);
    w.trim.pad = optNumber(r, "pad", 0);
    w.trim.consolidateFastbins = optBool(r, "consolidateFastbins");
    if (w.trim.thpPagesize != 0 && (w.trim.thpPagesize & (w.trim.thpPagesize - 1)) != 0) {
      throw makeError(env, ErrorCode::kInvalidArgument, 0, "options.residency.thpPagesize must be a power of two");
    }
  }
  Napi::Value hm = o.Get("heapMap");
  if (!hm.IsUndefined() && !hm.IsNull()) {
    if (!hm.IsObject()) throw makeError(env, ErrorCode::kInvalidArgument, 0, "options.heapMap must be an object");
    Napi::Object h = hm.As<Napi::Object>();
    w.heapMapArena = toAddress(h.Get("arena"), "options.heapMap.arena");
    uint64_t cells = toAddress(h.Get("cells"), "options.heapMap.cells");
    if (cells < 1 || cells > HeapCells::kMaxCells) throw makeError(env, ErrorCode::kInvalidArgument, 0, "options.heapMap.cells out of range");
    w.heapMapCells = static_cast<uint32_t>(cells);
  }
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
  // listFd >= 0: every chunk streamed there as NDJSON (listArena: 0 or one arena).
  WalkWorker(Napi::Env env, MemorySourceHandle* h, MallocLayout layout, WalkOptions options, int listFd, uint64_t listArena)
      : SourceJobWorker(env, h, "walking the arenas"), layout_(layout), options_(std::move(options)), listFd_(listFd),
        listArena_(listArena) {}

 protected:
  void runLocked(MemorySource* src) override {
    std::unique_ptr<NdjsonChunkWriter> writer;
    if (listFd_ >= 0) {
      writer = std::make_unique<NdjsonChunkWriter>(listFd_, listArena_);
      options_.chunkSink = writer.get();
    }
    result_ = walkArenas(src, layout_, options_);
    if (writer) {
      writer->flush();
      listed_ = writer->written();
      listError_ = writer->error();
      options_.chunkSink = nullptr;
    }
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("mp", result_.mp.readable ? Napi::Value(mpToJs(env, result_.mp)) : env.Null());
    o.Set("heapMaxSize", num(env, result_.heapMaxSize));
    o.Set("ringClosed", Napi::Boolean::New(env, result_.ringClosed));
    o.Set("arenas", arrayToJs(env, result_.arenas, [this](Napi::Env env, const ArenaReport& a) { return arenaToJs(env, a, options_); }));
    if (result_.chunkMap) o.Set("chunkMap", chunkMapToJs(env, *result_.chunkMap));
    if (listFd_ >= 0) {
      Napi::Object l = Napi::Object::New(env);
      l.Set("chunks", num(env, listed_));
      // errno of the first failed write: EPIPE when the reader went away (| head).
      l.Set("writeError", num(env, static_cast<uint64_t>(listError_)));
      o.Set("listed", l);
    }
    setAnomalies(env, o, result_.anomalies, true);
    o.Set("readBytes", num(env, result_.readBytes));
    o.Set("memoryBytes", num(env, result_.memoryBytes));
    o.Set("approximate", Napi::Boolean::New(env, result_.approximate));
    return o;
  }

 private:
  MallocLayout layout_;
  WalkOptions options_;
  WalkResult result_;
  int listFd_;
  uint64_t listArena_;
  uint64_t listed_ = 0;
  int listError_ = 0;
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
  int listFd = -1;
  uint64_t listArena = 0;
  Napi::Object o = info[2].As<Napi::Object>();
  Napi::Value list = o.Get("listChunks");
  if (!list.IsUndefined() && !list.IsNull()) {
    if (!list.IsObject()) throw makeError(info.Env(), ErrorCode::kInvalidArgument, 0, "options.listChunks must be an object");
    Napi::Object l = list.As<Napi::Object>();
    uint64_t fd = toAddress(l.Get("fd"), "options.listChunks.fd");
    if (fd > 0x7fffffff) throw makeError(info.Env(), ErrorCode::kInvalidArgument, 0, "options.listChunks.fd out of range");
    listFd = static_cast<int>(fd);
    listArena = optNumber(l, "arena", 0);
    options.requireArena = listArena;
  }
  return queue<WalkWorker>(info.Env(), h, layout, std::move(options), listFd, listArena);
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
