#include "source_handle.h"

#include <cstring>

#include "js_errors.h"
#include "js_values.h"
#include "modules.h"
#include "promise_worker.h"

namespace arenascope {

namespace {
// A single read call hands the bytes to JS in one Buffer, so its size is
// capped; bigger jobs (dumps, scans) stream through native code instead.
constexpr uint64_t kMaxSyncRead = 16ull << 20;
constexpr uint64_t kMaxAsyncRead = 256ull << 20;

struct ReadOutcome {
  std::unique_ptr<std::vector<uint8_t>> data;
  std::vector<Hole> holes;
  size_t bytesRead = 0;
};

// Reads [addr, addr + len) with the source locked; throws what the source throws.
void readInto(MemorySource* src, uint64_t addr, uint64_t len, ReadOutcome* out) {
  out->data = std::make_unique<std::vector<uint8_t>>(len);
  out->bytesRead = src->read(addr, out->data->data(), len, &out->holes);
}

Napi::Object outcomeToJs(Napi::Env env, ReadOutcome& out) {
  Napi::Object o = Napi::Object::New(env);
  std::vector<uint8_t>* vec = out.data.get();
  auto buf = Napi::Buffer<uint8_t>::New(env, vec->data(), vec->size(),
                                        [](Napi::Env, uint8_t*, std::vector<uint8_t>* v) { delete v; }, vec);
  out.data.release();  // the Buffer's finalizer owns it now
  o.Set("data", buf);
  o.Set("holes", holesToJs(env, out.holes));
  o.Set("bytesRead", Napi::Number::New(env, static_cast<double>(out.bytesRead)));
  return o;
}

class ReadWorker : public SourceJobWorker {
 public:
  ReadWorker(Napi::Env env, MemorySourceHandle* h, uint64_t addr, uint64_t len)
      : SourceJobWorker(env, h, "reading memory"), addr_(addr), len_(len) {}

 protected:
  void runLocked(MemorySource* src) override { readInto(src, addr_, len_, &out_); }
  Napi::Value result(Napi::Env env) override { return outcomeToJs(env, out_); }

 private:
  uint64_t addr_;
  uint64_t len_;
  ReadOutcome out_;
};
}  // namespace

Napi::FunctionReference* MemorySourceHandle::constructor_ = nullptr;

Napi::Array holesToJs(Napi::Env env, const std::vector<Hole>& holes) {
  return arrayToJs(env, holes, [](Napi::Env env, const Hole& hole) {
    Napi::Object h = Napi::Object::New(env);
    h.Set("start", num(env, hole.start));
    h.Set("end", num(env, hole.end));
    return h;
  });
}

Napi::Object MemorySourceHandle::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function fn = DefineClass(env, "MemorySource",
                                  {
                                      StaticMethod("forProcess", &MemorySourceHandle::ForProcess),
                                      StaticMethod("fromImage", &MemorySourceHandle::FromImage),
                                      StaticMethod("fromFile", &MemorySourceHandle::FromFile),
                                      InstanceMethod("read", &MemorySourceHandle::Read),
                                      InstanceMethod("readAsync", &MemorySourceHandle::ReadAsync),
                                      InstanceMethod("describe", &MemorySourceHandle::Describe),
                                      InstanceMethod("counters", &MemorySourceHandle::Counters),
                                  });
  constructor_ = new Napi::FunctionReference(Napi::Persistent(fn));
  exports.Set("MemorySource", fn);
  return exports;
}

MemorySourceHandle::MemorySourceHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MemorySourceHandle>(info) {
  // Constructed only through the static factories, which fill source_ in.
}

MemorySourceHandle* MemorySourceHandle::Unwrap(const Napi::Value& v) {
  if (!v.IsObject() || !constructor_ || !v.As<Napi::Object>().InstanceOf(constructor_->Value())) {
    throw makeError(v.Env(), ErrorCode::kInvalidArgument, 0, "expected a MemorySource");
  }
  MemorySourceHandle* h = Napi::ObjectWrap<MemorySourceHandle>::Unwrap(v.As<Napi::Object>());
  if (!h->source_) throw makeError(v.Env(), ErrorCode::kInvalidArgument, 0, "MemorySource was not initialised");
  return h;
}

Napi::Object MemorySourceHandle::Wrap(Napi::Env env, std::shared_ptr<MemorySource> source) {
  Napi::Object obj = constructor_->New({});
  Napi::ObjectWrap<MemorySourceHandle>::Unwrap(obj)->source_ = std::move(source);
  return obj;
}

Napi::Value MemorySourceHandle::ForProcess(const Napi::CallbackInfo& info) {
  uint64_t pid = toAddress(info[0], "pid");
  if (pid == 0 || pid > 0x7fffffff) throw makeError(info.Env(), ErrorCode::kInvalidArgument, 0, "pid out of range");
  std::shared_ptr<MemorySource> src;
  bool readSwapped = false;
  // Optional {readSwapped}: read swapped-out pages (which swaps them back in).
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Value rs = info[1].As<Napi::Object>().Get("readSwapped");
    if (!rs.IsUndefined() && !rs.IsBoolean()) throw makeError(info.Env(), ErrorCode::kInvalidArgument, 0, "readSwapped must be a boolean");
    readSwapped = rs.IsBoolean() && rs.As<Napi::Boolean>().Value();
  }
  runGuarded(info.Env(), "opening a process", [&] {
    auto proc = std::make_shared<ProcessMemorySource>(static_cast<int>(pid));
    proc->setReadSwapped(readSwapped);
    src = std::move(proc);
  });
  return Wrap(info.Env(), std::move(src));
}

Napi::Value MemorySourceHandle::FromImage(const Napi::CallbackInfo& info) {
  if (!info[0].IsArray()) throw makeError(info.Env(), ErrorCode::kInvalidArgument, 0, "segments must be an array");
  Napi::Array segs = info[0].As<Napi::Array>();
  std::shared_ptr<ImageMemorySource> img;
  runGuarded(info.Env(), "building a memory image", [&] { img = std::make_shared<ImageMemorySource>(); });
  for (uint32_t i = 0; i < segs.Length(); ++i) {
    Napi::Value sv = segs.Get(i);
    if (!sv.IsObject()) throw makeError(info.Env(), ErrorCode::kInvalidArgument, 0, "segment must be an object");
    Napi::Object s = sv.As<Napi::Object>();
    uint64_t addr = toAddress(s.Get("address"), "segment.address");
    Napi::Value dv = s.Get("data");
    if (!dv.IsBuffer()) throw makeError(info.Env(), ErrorCode::kInvalidArgument, 0, "segment.data must be a Buffer");
    auto b = dv.As<Napi::Buffer<uint8_t>>();
    runGuarded(info.Env(), "building a memory image", [&] { img->addSegment(addr, b.Data(), b.Length()); });
  }
  return Wrap(info.Env(), std::move(img));
}

Napi::Value MemorySourceHandle::FromFile(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw makeError(info.Env(), ErrorCode::kInvalidArgument, 0, "path must be a string");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  uint64_t addr = toAddress(info[1], "address");
  std::shared_ptr<MemorySource> img;
  runGuarded(info.Env(), "loading a memory image", [&] { img = loadImageFile(path, addr); });
  return Wrap(info.Env(), std::move(img));
}

Napi::Value MemorySourceHandle::Read(const Napi::CallbackInfo& info) {
  uint64_t addr = toAddress(info[0], "address");
  uint64_t len = toAddress(info[1], "length");
  if (len > kMaxSyncRead) throw makeError(info.Env(), ErrorCode::kInvalidArgument, 0, "read length above 16 MiB; use readAsync");
  ReadOutcome out;
  runGuarded(info.Env(), "reading memory", [&] {
    std::lock_guard<std::mutex> g(*lock_);
    readInto(source_.get(), addr, len, &out);
  });
  return outcomeToJs(info.Env(), out);
}

Napi::Value MemorySourceHandle::ReadAsync(const Napi::CallbackInfo& info) {
  uint64_t addr = toAddress(info[0], "address");
  uint64_t len = toAddress(info[1], "length");
  if (len > kMaxAsyncRead) throw makeError(info.Env(), ErrorCode::kInvalidArgument, 0, "read length above 256 MiB");
  return queue<ReadWorker>(info.Env(), this, addr, len);
}

Napi::Value MemorySourceHandle::Describe(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("description", source_->describe());
  auto* proc = dynamic_cast<ProcessMemorySource*>(source_.get());
  o.Set("kind", proc ? "process" : "image");
  if (proc) o.Set("transport", proc->transport());
  return o;
}

Napi::Value MemorySourceHandle::Counters(const Napi::CallbackInfo& info) {
  // No lock: a worker may hold it for a whole walk, and the counters are atomics.
  ReadCounters c = source_->counters();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("zeroBytes", num(info.Env(), c.zeroBytes));
  o.Set("swappedBytes", num(info.Env(), c.swappedBytes));
  o.Set("pagemapUsed", Napi::Boolean::New(info.Env(), c.pagemapUsed));
  return o;
}

void InitMemoryModule(Napi::Env env, Napi::Object exports) { MemorySourceHandle::Init(env, exports); }

}  // namespace arenascope
