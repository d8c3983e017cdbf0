// scanStrings(source, ranges, options, onProgress?) -> Promise<result>
// Argument checking here mirrors what the TypeScript layer validates, because
// the addon is also loaded directly (tests, bench) and must not trust input.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>

#include "cancel_token_js.h"
#include "js_errors.h"
#include "js_values.h"
#include "modules.h"
#include "promise_worker.h"
#include "source_handle.h"
#include "strings/chunk_index.h"
#include "strings/scan_segments.h"
#include "strings/string_grep.h"
#include "strings/string_scan.h"

namespace arenascope {

namespace {
constexpr size_t kMaxRanges = 1u << 20;

struct ScanProgress {
  uint64_t bytesDone;
  uint64_t bytesTotal;
};

class StringsWorker : public PromiseProgressWorker<ScanProgress> {
 public:
  StringsWorker(Napi::Env env, Napi::Function onProgress, std::shared_ptr<MemorySource> src,
                std::shared_ptr<std::mutex> lock, std::vector<ScanRange> ranges, std::unique_ptr<ChunkMap> map,
                std::unique_ptr<StringGrep> grep, StringScanOptions options, Napi::Buffer<uint8_t> mapBits)
      : PromiseProgressWorker<ScanProgress>(env, onProgress, "scanning strings"),
        src_(std::move(src)),
        lock_(std::move(lock)),
        ranges_(std::move(ranges)),
        map_(std::move(map)),
        grep_(std::move(grep)),
        options_(options) {
    // The map reads the Buffer's memory: keep it alive until the worker goes.
    if (!mapBits.IsEmpty()) mapBits_ = Napi::Persistent(mapBits);
  }

 protected:
  void run(const ExecutionProgress& progress) override {
    result_ = scanStrings(*src_, *lock_, ranges_, map_.get(), grep_.get(), options_,
                          [&progress](uint64_t done, uint64_t total) {
                            ScanProgress p{done, total};  // Send copies it
                            progress.Send(&p, 1);
                          });
  }

  void OnProgress(const ScanProgress* data, size_t count) override {
    if (Callback().IsEmpty() || count == 0) return;
    const ScanProgress& p = data[count - 1];
    Callback().Call({Napi::Number::New(Env(), static_cast<double>(p.bytesDone)),
                     Napi::Number::New(Env(), static_cast<double>(p.bytesTotal))});
  }

 private:
  Napi::Value result(Napi::Env env) override {
    const StringScanResult& r = result_;
    Napi::Object o = Napi::Object::New(env);
    o.Set("bytesTotal", num(env, r.bytesTotal));
    o.Set("bytesScanned", num(env, r.bytesScanned));
    o.Set("holeBytes", num(env, r.holeBytes));
    o.Set("stringsFound", num(env, r.stringsFound));
    o.Set("stringBytes", num(env, r.stringBytes));
    o.Set("distinct", num(env, r.distinct));
    o.Set("approximate", Napi::Boolean::New(env, r.approximate));
    o.Set("evictedCountBound", num(env, r.evictedCountBound));
    o.Set("grepRejected", num(env, r.grepRejected));
    o.Set("grepEvaluations", num(env, r.grepEvaluations));
    o.Set("grepRegexRuns", num(env, r.grepRegexRuns));
    o.Set("grepEngine", r.grepEngine);
    if (map_) o.Set("unattributedBytes", num(env, r.unattributedBytes));
    Napi::Object hist = Napi::Object::New(env);
    hist.Set("entries", num(env, r.histogramEntries));
    hist.Set("capacity", num(env, r.histogramCapacity));
    hist.Set("keyBytes", num(env, r.histogramKeyBytes));
    hist.Set("keyByteBudget", num(env, r.histogramKeyByteBudget));
    hist.Set("memoryBytes", num(env, r.histogramMemoryBytes));
    o.Set("histogram", hist);

    o.Set("strings", arrayToJs(env, r.strings, [](Napi::Env env, const StringHistogram::TopEntry& s) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("text", Napi::String::New(env, s.text));
      e.Set("count", num(env, s.count));
      e.Set("countError", num(env, s.error));
      e.Set("bytes", num(env, s.bytes));
      e.Set("encoding", encodingName(s.encoding));
      e.Set("truncated", Napi::Boolean::New(env, s.truncated));
      return e;
    }));

    o.Set("samples", arrayToJs(env, r.samples, [](Napi::Env env, const StringSample& s) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("address", num(env, s.address));
      e.Set("text", Napi::String::New(env, s.text));
      e.Set("length", num(env, s.length));
      e.Set("encoding", encodingName(s.encoding));
      if (s.hasChunk) {
        Napi::Object c = Napi::Object::New(env);
        c.Set("start", num(env, s.chunk.start));
        c.Set("size", num(env, s.chunk.size()));
        c.Set("state", s.chunk.mark == kMarkLive ? "live" : s.chunk.mark == kMarkFree ? "free" : "internal");
        e.Set("chunk", c);
      } else {
        e.Set("chunk", env.Null());
      }
      e.Set("arenaIndex", Napi::Number::New(env, s.hasChunk ? static_cast<double>(s.chunk.arena) : -1.0));
      return e;
    }));

    o.Set("bySizeClass", arrayToJs(env, r.bySizeClass, [](Napi::Env env, const SizeClassTotal& c) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("chunkSize", num(env, c.chunkSize));
      e.Set("stringBytes", num(env, c.stringBytes));
      e.Set("strings", num(env, c.strings));
      return e;
    }));

    o.Set("byArena", arrayToJs(env, r.byArena, [](Napi::Env env, const ArenaTotal& a) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("arenaIndex", num(env, a.arenaIndex));
      e.Set("stringBytes", num(env, a.stringBytes));
      e.Set("strings", num(env, a.strings));
      return e;
    }));
    return o;
  }


  std::shared_ptr<MemorySource> src_;
  std::shared_ptr<std::mutex> lock_;
  std::vector<ScanRange> ranges_;
  std::unique_ptr<ChunkMap> map_;
  Napi::Reference<Napi::Buffer<uint8_t>> mapBits_;
  std::unique_ptr<StringGrep> grep_;
  StringScanOptions options_;
  StringScanResult result_;
};

[[noreturn]] void invalid(Napi::Env env, const std::string& msg) { throw makeError(env, ErrorCode::kInvalidArgument, 0, msg); }

size_t optionalCount(Napi::Object opts, const char* name, size_t def, size_t min, size_t max) {
  Napi::Value v = opts.Get(name);
  if (v.IsUndefined() || v.IsNull()) return def;
  uint64_t n = toAddress(v, name);
  if (n < min || n > max) {
    invalid(opts.Env(), std::string(name) + " must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return static_cast<size_t>(n);
}

std::string optionalString(Napi::Object opts, const char* name, const std::string& def) {
  Napi::Value v = opts.Get(name);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsString()) invalid(opts.Env(), std::string(name) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

std::vector<ScanRange> parseRanges(Napi::Env env, Napi::Value v) {
  if (!v.IsArray()) invalid(env, "ranges must be an array of {start, end}");
  Napi::Array arr = v.As<Napi::Array>();
  if (arr.Length() > kMaxRanges) invalid(env, "too many ranges");
  std::vector<ScanRange> ranges;
  ranges.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value rv = arr.Get(i);
    if (!rv.IsObject()) invalid(env, "each range must be an object {start, end}");
    Napi::Object r = rv.As<Napi::Object>();
    uint64_t start = toAddress(r.Get("start"), "range.start");
    uint64_t end = toAddress(r.Get("end"), "range.end");
    if (end < start) invalid(env, "range end is below its start");
    ranges.push_back({start, end});
  }
  return normalizeRanges(std::move(ranges));
}

Napi::Value ScanStrings(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MemorySourceHandle* h = MemorySourceHandle::Unwrap(info[0]);
  std::vector<ScanRange> ranges = parseRanges(env, info[1]);
  Napi::Object opts = info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
  if (!info[2].IsUndefined() && !info[2].IsNull() && !info[2].IsObject()) invalid(env, "options must be an object");

  StringScanOptions o;
  o.minChars = optionalCount(opts, "minLength", 6, 1, 1u << 20);
  std::string enc = optionalString(opts, "encoding", "ascii");
  if (enc == "ascii") {
    o.ascii = true;
    o.utf16 = false;
  } else if (enc == "utf16le") {
    o.ascii = false;
    o.utf16 = true;
  } else if (enc == "both") {
    o.ascii = o.utf16 = true;
  } else {
    invalid(env, "encoding must be 'ascii', 'utf16le' or 'both'");
  }
  o.top = optionalCount(opts, "top", 50, 0, 100000);
  o.samples = optionalCount(opts, "samples", 20, 0, 10000);
  o.maxDistinct = optionalCount(opts, "maxDistinct", 200000, 1, 4000000);
  o.maxDistinctBytes = optionalCount(opts, "maxDistinctBytes", 32u << 20, 1u << 20, 1u << 30);
  o.blockSize = optionalCount(opts, "blockSize", 1u << 20, 4096, 16u << 20);
  o.cancel = CancelTokenHandle::fromOption(opts, "cancel");
  if ((o.blockSize & (o.blockSize - 1)) != 0) invalid(env, "blockSize must be a power of two");

  std::unique_ptr<StringGrep> grep;
  Napi::Value g = opts.Get("grep");
  if (!g.IsUndefined() && !g.IsNull()) {
    if (!g.IsString()) invalid(env, "grep must be a string");
    Napi::Value ic = opts.Get("grepIgnoreCase");
    bool ignoreCase = ic.IsBoolean() && ic.As<Napi::Boolean>().Value();
    std::string pattern = g.As<Napi::String>().Utf8Value();
    std::string refused;
    // A pattern StringGrep refuses is the caller's error; anything else
    // (std::bad_alloc) takes the one failure path.
    runGuarded(env, "compiling the grep pattern", [&] {
      try {
        grep = std::make_unique<StringGrep>(pattern, ignoreCase);
      } catch (const std::invalid_argument& e) {
        refused = e.what();
      }
    });
    if (!refused.empty()) invalid(env, refused);
  }

  // The walker's chunk map ({spans: [{start, end, arena}], bits}), read in
  // place: the worker holds a reference to the Buffer until the scan ends
  // (a misaligned Buffer, a slice of a pool, is copied instead).
  std::unique_ptr<ChunkMap> map;
  Napi::Buffer<uint8_t> bits;
  Napi::Value m = opts.Get("chunkMap");
  if (!m.IsUndefined() && !m.IsNull()) {
    if (!m.IsObject()) invalid(env, "chunkMap must be {spans, bits}");
    Napi::Object mo = m.As<Napi::Object>();
    Napi::Value sv = mo.Get("spans");
    Napi::Value bv = mo.Get("bits");
    if (!sv.IsArray() || !bv.IsBuffer()) invalid(env, "chunkMap must be {spans: array, bits: Buffer}");
    Napi::Array sa = sv.As<Napi::Array>();
    if (sa.Length() > kMaxRanges) invalid(env, "chunkMap has too many spans");
    std::vector<ptmalloc::ChunkMapSpan> spans;
    for (uint32_t i = 0; i < sa.Length(); ++i) {
      Napi::Value e = sa.Get(i);
      if (!e.IsObject()) invalid(env, "chunkMap.spans[] must be objects");
      Napi::Object so = e.As<Napi::Object>();
      ptmalloc::ChunkMapSpan span;
      span.start = toAddress(so.Get("start"), "chunkMap.spans[].start");
      span.end = toAddress(so.Get("end"), "chunkMap.spans[].end");
      span.arena = static_cast<uint32_t>(toAddress(so.Get("arena"), "chunkMap.spans[].arena"));
      span.words = toAddress(so.Get("words"), "chunkMap.spans[].words");
      // firstWord: where the span's words start in bits (the walker's map);
      // absent, the spans' words lie end to end.
      Napi::Value fw = so.Get("firstWord");
      span.firstWord = fw.IsUndefined() ? (spans.empty() ? 0 : spans.back().firstWord + spans.back().words)
                                        : toAddress(fw, "chunkMap.spans[].firstWord");
      spans.push_back(span);
    }
    auto b = bv.As<Napi::Buffer<uint8_t>>();
    if (b.Length() % 8 != 0) invalid(env, "chunkMap.bits must be whole 64-bit words");
    std::string err;
    bool parsed = false;
    runGuarded(env, "reading the chunk map", [&] {
      map = std::make_unique<ChunkMap>();
      if (reinterpret_cast<uintptr_t>(b.Data()) % alignof(uint64_t) == 0) {
        parsed = ChunkMap::fromView(std::move(spans), reinterpret_cast<const uint64_t*>(b.Data()), b.Length() / 8,
                                    map.get(), &err);
        bits = b;
      } else {
        std::vector<uint64_t> w(b.Length() / 8);
        memcpy(w.data(), b.Data(), b.Length());
        parsed = ChunkMap::fromParts(std::move(spans), std::move(w), map.get(), &err);
      }
    });
    if (!parsed) invalid(env, err);
  }
  std::string filter = optionalString(opts, "chunkFilter", "all");
  if (filter == "all") {
    o.filter = ChunkFilter::kAll;
  } else if (filter == "live" || filter == "free") {
    if (!map) invalid(env, "chunkFilter '" + filter + "' needs a chunkMap");
    o.filter = filter == "live" ? ChunkFilter::kLive : ChunkFilter::kFree;
  } else {
    invalid(env, "chunkFilter must be 'all', 'live' or 'free'");
  }

  Napi::Function cb = info[3].IsFunction() ? info[3].As<Napi::Function>()
                                           : Napi::Function::New(env, [](const Napi::CallbackInfo&) {});
  return queue<StringsWorker>(env, cb, h->source(), h->lock(), std::move(ranges), std::move(map), std::move(grep), o,
                             bits);
}
}  // namespace

void InitStringsModule(Napi::Env env, Napi::Object exports) {
  exports.Set("scanStrings", Napi::Function::New(env, ScanStrings));
}

}  // namespace arenascope
