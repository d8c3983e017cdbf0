// dumpRange: stream [start, end) of a source into an open fd, hashing as it
// goes, off the JS thread. Memory stays at two chunk buffers whatever the size;
// the read of chunk i+1 overlaps the hash and write of chunk i.
#include <errno.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>

#include "js_errors.h"
#include "modules.h"
#include "source_handle.h"

namespace arenascope {

namespace {
constexpr size_t kDumpChunk = 4u << 20;

struct DumpProgress {
  uint64_t bytesDone;
  uint64_t holeBytes;
};

struct ChunkRead {
  std::vector<uint8_t> buf;
  std::vector<Hole> holes;
  size_t len = 0;
  size_t got = 0;
};

class DumpWorker : public Napi::AsyncProgressQueueWorker<DumpProgress> {
 public:
  DumpWorker(Napi::Env env, Napi::Function onProgress, std::shared_ptr<MemorySource> src,
             std::shared_ptr<std::mutex> lock, uint64_t start, uint64_t end, int fd)
      : Napi::AsyncProgressQueueWorker<DumpProgress>(onProgress), deferred_(Napi::Promise::Deferred::New(env)),
        src_(std::move(src)), lock_(std::move(lock)), start_(start), end_(end), fd_(fd) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1) {
      fail("EIO", 0, "sha256 unavailable");
      return;
    }
    std::lock_guard<std::mutex> g(*lock_);
    auto readChunk = [this](uint64_t at, ChunkRead* c) {
      c->len = static_cast<size_t>(std::min<uint64_t>(kDumpChunk, end_ - at));
      c->buf.resize(kDumpChunk);
      c->holes.clear();
      c->got = src_->read(at, c->buf.data(), c->len, &c->holes);
    };
    ChunkRead cur, next;
    uint64_t at = start_;
    try {
      if (at < end_) readChunk(at, &cur);
      while (at < end_) {
        uint64_t nextAt = at + cur.len;
        std::future<void> pending;
        if (nextAt < end_) pending = std::async(std::launch::async, readChunk, nextAt, &next);
        EVP_DigestUpdate(md.get(), cur.buf.data(), cur.len);
        if (!writeAll(cur.buf.data(), cur.len)) {
          if (pending.valid()) pending.wait();
          return;
        }
        bytesRead_ += cur.got;
        for (const Hole& h : cur.holes) {
          addHole(&holes_, h.start, h.end);
          holeBytes_ += h.end - h.start;
        }
        at = nextAt;
        progress.Send(new DumpProgress{at - start_, holeBytes_}, 1);
        if (pending.valid()) pending.get();  // rethrows SourceError from the reader
        std::swap(cur, next);
      }
    } catch (const SourceError& e) {
      fail(e.code(), e.err(), e.what());
      return;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    EVP_DigestFinal_ex(md.get(), digest, &dlen);
    static const char* hex = "0123456789abcdef";
    for (unsigned int i = 0; i < dlen; ++i) {
      sha256_ += hex[digest[i] >> 4];
      sha256_ += hex[digest[i] & 15];
    }
    if (fsync(fd_) != 0 && errno != EINVAL) fail(errno == ENOSPC ? "ENOSPC" : "EIO", errno, std::string("fsync: ") + strerror(errno));
  }

  void OnProgress(const DumpProgress* data, size_t count) override {
    if (Callback().IsEmpty() || count == 0) return;
    const DumpProgress& p = data[count - 1];
    Callback().Call({Napi::Number::New(Env(), static_cast<double>(p.bytesDone)),
                     Napi::Number::New(Env(), static_cast<double>(p.holeBytes))});
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!errCode_.empty()) {
      deferred_.Reject(makeError(env, errCode_, errno_, errMsg_).Value());
      return;
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("bytesRead", Napi::Number::New(env, static_cast<double>(bytesRead_)));
    o.Set("bytesWritten", Napi::Number::New(env, static_cast<double>(end_ - start_)));
    o.Set("holes", holesToJs(env, holes_));
    o.Set("sha256", sha256_);
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  bool writeAll(const uint8_t* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        fail(e == ENOSPC ? "ENOSPC" : e == EDQUOT ? "EDQUOT" : "EIO", e, std::string("write failed: ") + strerror(e));
        return false;
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }
  void fail(const std::string& code, int err, const std::string& msg) {
    if (!errCode_.empty()) return;
    errCode_ = code;
    errno_ = err;
    errMsg_ = msg;
  }

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<MemorySource> src_;
  std::shared_ptr<std::mutex> lock_;
  uint64_t start_, end_;
  int fd_;
  uint64_t bytesRead_ = 0, holeBytes_ = 0;
  std::vector<Hole> holes_;
  std::string sha256_;
  std::string errCode_, errMsg_;
  int errno_ = 0;
};

Napi::Value DumpRange(const Napi::CallbackInfo& info) {
  MemorySourceHandle* h = MemorySourceHandle::Unwrap(info[0]);
  uint64_t start = toAddress(info[1], "start");
  uint64_t end = toAddress(info[2], "end");
  uint64_t fd = toAddress(info[3], "fd");
  if (end < start) throw makeError(info.Env(), "EINVAL", 0, "end is below start");
  Napi::Function cb = info[4].IsFunction() ? info[4].As<Napi::Function>() : Napi::Function::New(info.Env(), [](const Napi::CallbackInfo&) {});
  auto* w = new DumpWorker(info.Env(), cb, h->source(), h->lock(), start, end, static_cast<int>(fd));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}
}  // namespace

void InitDumpModule(Napi::Env env, Napi::Object exports) { exports.Set("dumpRange", Napi::Function::New(env, DumpRange)); }

}  // namespace arenascope
