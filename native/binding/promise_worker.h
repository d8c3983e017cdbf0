// The base of every addon job that runs off the JS thread. Execute runs the
// job under WorkerFailure::guard (js_errors.h), and the promise settles on the
// JS thread: rejected with the recorded failure, or resolved with result().
// A worker has no other way to fail, so every failure reaches JS with a code
// src/errors.ts knows (test/native/worker-failure.test.ts drives each one).
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>

#include "js_errors.h"
#include "own_malloc.h"
#include "source_handle.h"

namespace arenascope {

namespace detail {
// Resolves with result(env), or rejects with the failure recorded by the job
// or by building the result (a Napi::Error there is already a JS error).
template <class Result>
void settle(Napi::Env env, Napi::Promise::Deferred& deferred, WorkerFailure& failure, const char* task, Result&& result) {
  if (!failure.failed()) {
    try {
      deferred.Resolve(result(env));
      return;
    } catch (const Napi::Error& e) {
      deferred.Reject(e.Value());
      return;
    } catch (...) {
      failure.capture(task);
    }
  }
  deferred.Reject(failure.toJs(env).Value());
}
}  // namespace detail

class PromiseWorker : public Napi::AsyncWorker {
 public:
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  // task: what the job does, for messages ("out of memory while <task>").
  PromiseWorker(Napi::Env env, const char* task)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), task_(task) {}
  virtual void run() = 0;                         // worker thread; may throw
  virtual Napi::Value result(Napi::Env env) = 0;  // JS thread, after run() succeeded
  WorkerFailure& failure() { return failure_; }

 private:
  void Execute() final {
    failure_.guard(task_, [this] { run(); });
    returnFreedMemory();
  }
  void OnOK() final {
    detail::settle(Env(), deferred_, failure_, task_, [this](Napi::Env env) { return result(env); });
  }
  // Only node-addon-api's own failures (the job could not be queued) land here.
  void OnError(const Napi::Error& e) final { deferred_.Reject(e.Value()); }

  Napi::Promise::Deferred deferred_;
  const char* task_;
  WorkerFailure failure_;
};

// The same for jobs that report progress (Napi::AsyncProgressQueueWorker<P>).
template <class Progress>
class PromiseProgressWorker : public Napi::AsyncProgressQueueWorker<Progress> {
  using Base = Napi::AsyncProgressQueueWorker<Progress>;

 public:
  using ExecutionProgress = typename Base::ExecutionProgress;
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  PromiseProgressWorker(Napi::Env env, const Napi::Function& onProgress, const char* task)
      : Base(onProgress), deferred_(Napi::Promise::Deferred::New(env)), task_(task) {}
  virtual void run(const ExecutionProgress& progress) = 0;
  virtual Napi::Value result(Napi::Env env) = 0;
  WorkerFailure& failure() { return failure_; }

 private:
  void Execute(const ExecutionProgress& progress) final {
    failure_.guard(task_, [&] { run(progress); });
    returnFreedMemory();
  }
  void OnOK() final {
    detail::settle(this->Env(), deferred_, failure_, task_, [this](Napi::Env env) { return result(env); });
  }
  void OnError(const Napi::Error& e) final { deferred_.Reject(e.Value()); }

  Napi::Promise::Deferred deferred_;
  const char* task_;
  WorkerFailure failure_;
};

// A PromiseWorker that holds a source and runs with it locked (sources are
// not thread-safe: source_handle.h).
class SourceJobWorker : public PromiseWorker {
 protected:
  SourceJobWorker(Napi::Env env, MemorySourceHandle* h, const char* task)
      : PromiseWorker(env, task), src_(h->source()), lock_(h->lock()) {}
  virtual void runLocked(MemorySource* src) = 0;

 private:
  void run() final {
    std::lock_guard<std::mutex> g(*lock_);
    runLocked(src_.get());
  }
  std::shared_ptr<MemorySource> src_;
  std::shared_ptr<std::mutex> lock_;
};

// Queues a new worker and returns its promise (node-addon-api deletes the
// worker after OnOK/OnError).
template <class Worker, class... Args>
Napi::Promise queue(Args&&... args) {
  auto* w = new Worker(std::forward<Args>(args)...);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

}  // namespace arenascope
