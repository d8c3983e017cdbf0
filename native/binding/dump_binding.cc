// dumpRange: stream [start, end) of a source into an open fd, hashing as it
// goes, off the JS thread. A reader thread fills a bounded pool of chunks
// (memory stays at the read-ahead budget whatever the size) while this worker
// hashes and writes them; JS hears when reading is complete, so a --freeze can
// end before the hash and the write do.
#include <errno.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <time.h>

#include <atomic>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <thread>
#include <memory>
#include <mutex>

#include "js_errors.h"
#include "js_values.h"
#include "modules.h"
#include "promise_worker.h"
#include "source_handle.h"

namespace arenascope {

namespace {
constexpr size_t kDumpChunk = 4u << 20;
// Read-ahead budget: the reader may run this far ahead of hashing and writing.
// Dumps no larger than this are read completely before the first write
// finishes, so under --freeze the target is stopped only for the read; a
// larger one holds it until all but the last 32 MiB are written. 32 MiB keeps
// dump's peak under its 96 MiB bound (README, "The observer stays lighter").
constexpr size_t kReadAheadChunks = 8;  // 32 MiB

struct DumpProgress {
  uint64_t bytesDone;
  uint64_t holeBytes;
  bool readComplete;
};

struct Chunk {
  std::vector<uint8_t> buf;
  std::vector<Hole> holes;
  size_t len = 0;
  size_t got = 0;
};

// A bounded single-producer single-consumer queue of filled chunks plus a
// pool of empty ones; the pool size is the memory bound.
class ChunkPipe {
 public:
  explicit ChunkPipe(size_t slots) {
    for (size_t i = 0; i < slots; ++i) free_.push_back(std::make_unique<Chunk>());
  }
  std::unique_ptr<Chunk> takeFree() {
    std::unique_lock<std::mutex> l(m_);
    cv_.wait(l, [&] { return !free_.empty() || cancelled_; });
    if (cancelled_) return nullptr;
    auto c = std::move(free_.back());
    free_.pop_back();
    return c;
  }
  void putFull(std::unique_ptr<Chunk> c) {
    std::lock_guard<std::mutex> l(m_);
    full_.push_back(std::move(c));
    cv_.notify_all();
  }
  // Null when the producer finished (or failed) and nothing is left.
  std::unique_ptr<Chunk> takeFull() {
    std::unique_lock<std::mutex> l(m_);
    cv_.wait(l, [&] { return !full_.empty() || done_ || cancelled_; });
    if (full_.empty()) return nullptr;
    auto c = std::move(full_.front());
    full_.pop_front();
    return c;
  }
  void giveBack(std::unique_ptr<Chunk> c) {
    std::lock_guard<std::mutex> l(m_);
    free_.push_back(std::move(c));
    cv_.notify_all();
  }
  void finish() {
    std::lock_guard<std::mutex> l(m_);
    done_ = true;
    cv_.notify_all();
  }
  void cancel() {
    std::lock_guard<std::mutex> l(m_);
    cancelled_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Chunk>> free_;
  std::deque<std::unique_ptr<Chunk>> full_;
  bool done_ = false;
  bool cancelled_ = false;
};

// Hashes chunks in address order on its own thread, so the write of a chunk
// overlaps its hash (sha256 at ~1.7 GB/s is the slowest stage of a dump).
class HashStage {
 public:
  explicit HashStage(EVP_MD_CTX* md) : md_(md), thread_([this] { run(); }) {}
  ~HashStage() {
    {
      std::lock_guard<std::mutex> l(m_);
      stop_ = true;
      cv_.notify_all();
    }
    thread_.join();
  }
  void submit(const Chunk* c) {
    std::lock_guard<std::mutex> l(m_);
    queue_.push_back(c);
    ++submitted_;
    cv_.notify_all();
  }
  // Blocks until every submitted chunk is hashed (then their buffers may be reused).
  void drain() {
    std::unique_lock<std::mutex> l(m_);
    cv_.wait(l, [&] { return hashed_ == submitted_; });
  }

 private:
  void run() {
    std::unique_lock<std::mutex> l(m_);
    for (;;) {
      cv_.wait(l, [&] { return !queue_.empty() || stop_; });
      if (queue_.empty()) return;
      const Chunk* c = queue_.front();
      queue_.pop_front();
      l.unlock();
      EVP_DigestUpdate(md_, c->buf.data(), c->len);
      l.lock();
      ++hashed_;
      cv_.notify_all();
    }
  }

  EVP_MD_CTX* md_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<const Chunk*> queue_;
  uint64_t submitted_ = 0, hashed_ = 0;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the fields above exist
};

uint64_t monotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

class DumpWorker : public PromiseProgressWorker<DumpProgress> {
 public:
  DumpWorker(Napi::Env env, Napi::Function onProgress, std::shared_ptr<MemorySource> src,
             std::shared_ptr<std::mutex> lock, uint64_t start, uint64_t end, int fd)
      : PromiseProgressWorker<DumpProgress>(env, onProgress, "dumping memory"),
        src_(std::move(src)), lock_(std::move(lock)), start_(start), end_(end), fd_(fd) {}

 protected:
  void run(const ExecutionProgress& progress) override {
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1) {
      failure().set(ErrorCode::kInternal, 0, "sha256 is unavailable from OpenSSL");
      return;
    }
    std::lock_guard<std::mutex> g(*lock_);
    ChunkPipe pipe(kReadAheadChunks);
    // Producer: reads chunks as fast as the source allows, bounded by the pool.
    // Its failures go where the worker's do (the first one wins); the pipe
    // ends either way, so the consumer below stops.
    std::thread reader([&] {
      failure().guard("reading memory to dump", [&] {
        // Timed so a --freeze can be compared with the read it exists for.
        const uint64_t t0 = monotonicNs();
        for (uint64_t at = start_; at < end_;) {
          auto c = pipe.takeFree();
          if (!c) return;
          c->len = static_cast<size_t>(std::min<uint64_t>(kDumpChunk, end_ - at));
          c->buf.resize(kDumpChunk);
          c->holes.clear();
          c->got = src_->read(at, c->buf.data(), c->len, &c->holes);
          at += c->len;
          pipe.putFull(std::move(c));
        }
        readNs_ = monotonicNs() - t0;
        // Send copies the value (node-addon-api's progress queue): a stack object is enough.
        const DumpProgress complete{0, 0, true};
        progress.Send(&complete, 1);
      });
      pipe.finish();
    });
    // Whatever ends this function (an exception included) stops and joins the
    // reader first: a joinable std::thread destroyed would end the process.
    struct JoinReader {
      std::thread& t;
      ChunkPipe& p;
      ~JoinReader() {
        if (!t.joinable()) return;
        p.cancel();
        t.join();
      }
    } joinReader{reader, pipe};
    // Consumer: hash (on the hash stage) and write in address order.
    uint64_t done = 0;
    bool ok = true;
    HashStage hasher(md.get());  // idle once drained; joined when run returns
    while (auto c = pipe.takeFull()) {
      if (ok) {
        hasher.submit(c.get());
        ok = writeAll(c->buf.data(), c->len);
        if (!ok) pipe.cancel();
        bytesRead_ += c->got;
        for (const Hole& h : c->holes) {
          addHole(&holes_, h.start, h.end);
          holeBytes_ += h.end - h.start;
        }
        done += c->len;
        const DumpProgress step{done, holeBytes_, false};
        progress.Send(&step, 1);
        hasher.drain();
      }
      pipe.giveBack(std::move(c));
    }
    reader.join();
    if (failure().failed()) return;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    EVP_DigestFinal_ex(md.get(), digest, &dlen);
    static const char* hex = "0123456789abcdef";
    for (unsigned int i = 0; i < dlen; ++i) {
      sha256_ += hex[digest[i] >> 4];
      sha256_ += hex[digest[i] & 15];
    }
  }

  void OnProgress(const DumpProgress* data, size_t count) override {
    if (Callback().IsEmpty() || count == 0) return;
    Napi::Env env = Env();
    for (size_t i = 0; i < count; ++i) {
      // The read-complete event is always delivered; byte progress only as the latest value.
      if (!data[i].readComplete && i + 1 < count) continue;
      Callback().Call({num(env, data[i].bytesDone),
                       num(env, data[i].holeBytes),
                       Napi::Boolean::New(env, data[i].readComplete)});
    }
  }

  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("bytesRead", num(env, bytesRead_));
    o.Set("bytesWritten", num(env, end_ - start_));
    o.Set("holes", holesToJs(env, holes_));
    o.Set("sha256", sha256_);
    o.Set("readNs", num(env, readNs_));
    return o;
  }

 private:
  bool writeAll(const uint8_t* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        failure().set(e == ENOSPC ? ErrorCode::kNoSpace : e == EDQUOT ? ErrorCode::kQuota : ErrorCode::kIo, e,
                      std::string("write failed: ") + strerror(e));
        return false;
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }

  std::shared_ptr<MemorySource> src_;
  std::shared_ptr<std::mutex> lock_;
  uint64_t start_, end_;
  int fd_;
  uint64_t bytesRead_ = 0, holeBytes_ = 0, readNs_ = 0;
  std::vector<Hole> holes_;
  std::string sha256_;
};

Napi::Value DumpRange(const Napi::CallbackInfo& info) {
  MemorySourceHandle* h = MemorySourceHandle::Unwrap(info[0]);
  uint64_t start = toAddress(info[1], "start");
  uint64_t end = toAddress(info[2], "end");
  uint64_t fd = toAddress(info[3], "fd");
  if (end < start) throw makeError(info.Env(), ErrorCode::kInvalidArgument, 0, "end is below start");
  Napi::Function cb = info[4].IsFunction() ? info[4].As<Napi::Function>() : Napi::Function::New(info.Env(), [](const Napi::CallbackInfo&) {});
  return queue<DumpWorker>(info.Env(), cb, h->source(), h->lock(), start, end, static_cast<int>(fd));
}
}  // namespace

void InitDumpModule(Napi::Env env, Napi::Object exports) { exports.Set("dumpRange", Napi::Function::New(env, DumpRange)); }

}  // namespace arenascope
