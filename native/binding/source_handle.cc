#include "source_handle.h"

#include <cstring>

#include "js_errors.h"
#include "js_values.h"

namespace arenascope {

namespace {
// A single read call hands the bytes to JS in one Buffer, so its size is
// capped; bigger jobs (dumps, scans) stream through native code instead.
constexpr uint64_t kMaxSyncRead = 16ull << 20;
constexpr uint64_t kMaxAsyncRead = 256ull << 20;

struct ReadOutcome {
  std::vector<uint8_t>* data = nullptr;
  std::vector<Hole> holes;
  size_t bytesRead = 0;
};

Napi::Object outcomeToJs(Napi::Env env, ReadOutcome& out) {
  Napi::Object o = Napi::Object::New(env);
  std::vector<uint8_t>* vec = out.data;
  out.data = nullptr;
  auto buf = Napi::Buffer<uint8_t>::New(env, vec->data(), vec->size(),
                                        [](Napi::Env, uint8_t*, std::vector<uint8_t>* v) { delete v; }, vec);
  o.Set("data", buf);
  o.Set("holes", holesToJs(env, out.holes));
  o.Set("bytesRead", Napi::Number::New(env, static_cast<double>(out.bytesRead)));
  return o;
}

class ReadWorker : public Napi::AsyncWorker {
 public:
  ReadWorker(Napi::Env env, std::shared_ptr<MemorySource> src, std::shared_ptr<std::mutex> lock, uint64_t addr,
             uint64_t len)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), src_(std::move(src)),
        lock_(std::move(lock)), addr_(addr), len_(len) {}
  ~ReadWorker() override { delete out_.data; }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      out_.data = new std::vector<uint8_t>(len_);
      std::lock_guard<std::mutex> g(*lock_);
      out_.bytesRead = src_->read(addr_, out_.data->data(), len_, &out_.holes);
    } catch (const SourceError& e) {
      err_ = std::make_unique<SourceError>(e);
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(outcomeToJs(Env(), out_)); }
  void OnError(const Napi::Error& e) override {
    if (err_) {
      deferred_.Reject(makeError(Env(), *err_).Value());
    } else {
      deferred_.Reject(e.Value());
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<MemorySource> src_;
  std::shared_ptr<std::mutex> lock_;
  uint64_t addr_;
  uint64_t len_;
  ReadOutcome out_;
  std::unique_ptr<SourceError> err_;
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
    throw makeError(v.Env(), "EINVAL", 0, "expected a MemorySource");
  }
  MemorySourceHandle* h = Napi::ObjectWrap<MemorySourceHandle>::Unwrap(v.As<Napi::Object>());
  if (!h->source_) throw makeError(v.Env(), "EINVAL", 0, "MemorySource was not initialised");
  return h;
}

Napi::Value MemorySourceHandle::ForProcess(const Napi::CallbackInfo& info) {
  uint64_t pid = toAddress(info[0], "pid");
  if (pid == 0 || pid > 0x7fffffff) throw makeError(info.Env(), "EINVAL", 0, "pid out of range");
  Napi::Object obj = constructor_->New({});
  MemorySourceHandle* h = Napi::ObjectWrap<MemorySourceHandle>::Unwrap(obj);
  auto src = std::make_shared<ProcessMemorySource>(static_cast<int>(pid));
  // Optional {readSwapped}: read swapped-out pages (which swaps them back in).
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Value rs = info[1].As<Napi::Object>().Get("readSwapped");
    if (!rs.IsUndefined() && !rs.IsBoolean()) throw makeError(info.Env(), "EINVAL", 0, "readSwapped must be a boolean");
    if (rs.IsBoolean()) src->setReadSwapped(rs.As<Napi::Boolean>().Value());
  }
  h->source_ = src;
  return obj;
}

Napi::Value MemorySourceHandle::FromImage(const Napi::CallbackInfo& info) {
  if (!info[0].IsArray()) throw makeError(info.Env(), "EINVAL", 0, "segments must be an array");
  Napi::Array segs = info[0].As<Napi::Array>();
  auto img = std::make_shared<ImageMemorySource>();
  for (uint32_t i = 0; i < segs.Length(); ++i) {
    Napi::Value sv = segs.Get(i);
    if (!sv.IsObject()) throw makeError(info.Env(), "EINVAL", 0, "segment must be an object");
    Napi::Object s = sv.As<Napi::Object>();
    uint64_t addr = toAddress(s.Get("address"), "segment.address");
    Napi::Value dv = s.Get("data");
    if (!dv.IsBuffer()) throw makeError(info.Env(), "EINVAL", 0, "segment.data must be a Buffer");
    auto b = dv.As<Napi::Buffer<uint8_t>>();
    img->addSegment(addr, b.Data(), b.Length());
  }
  Napi::Object obj = constructor_->New({});
  Napi::ObjectWrap<MemorySourceHandle>::Unwrap(obj)->source_ = img;
  return obj;
}

Napi::Value MemorySourceHandle::FromFile(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw makeError(info.Env(), "EINVAL", 0, "path must be a string");
  uint64_t addr = toAddress(info[1], "address");
  std::shared_ptr<MemorySource> img;
  try {
    img = loadImageFile(info[0].As<Napi::String>().Utf8Value(), addr);
  } catch (const SourceError& e) {
    throw makeError(info.Env(), e);
  }
  Napi::Object obj = constructor_->New({});
  Napi::ObjectWrap<MemorySourceHandle>::Unwrap(obj)->source_ = img;
  return obj;
}

Napi::Value MemorySourceHandle::Read(const Napi::CallbackInfo& info) {
  uint64_t addr = toAddress(info[0], "address");
  uint64_t len = toAddress(info[1], "length");
  if (len > kMaxSyncRead) throw makeError(info.Env(), "EINVAL", 0, "read length above 16 MiB; use readAsync");
  ReadOutcome out;
  out.data = new std::vector<uint8_t>(len);
  try {
    std::lock_guard<std::mutex> g(*lock_);
    out.bytesRead = source_->read(addr, out.data->data(), len, &out.holes);
  } catch (const SourceError& e) {
    delete out.data;
    throw makeError(info.Env(), e);
  }
  return outcomeToJs(info.Env(), out);
}

Napi::Value MemorySourceHandle::ReadAsync(const Napi::CallbackInfo& info) {
  uint64_t addr = toAddress(info[0], "address");
  uint64_t len = toAddress(info[1], "length");
  if (len > kMaxAsyncRead) throw makeError(info.Env(), "EINVAL", 0, "read length above 256 MiB");
  auto* w = new ReadWorker(info.Env(), source_, lock_, addr, len);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
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

}  // namespace arenascope
