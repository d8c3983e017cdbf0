// Test-only memory sources:
//   changingImage(before, after, address, reads) -> a MemorySource that
//       answers from the `before` image until `reads` reads have started
//       exactly at `address` (an arena's malloc_state: the walk reads it when
//       it finds the ring and again right after walking the arena), and from
//       `after` from then on: a heap that changes between two reads of one
//       arena, deterministically (what a live target does at random), so the
//       walk's second read can be shown to tell torn reads from corruption.
#include <memory>

#include "binding/js_errors.h"
#include "binding/js_values.h"
#include "binding/source_handle.h"
#include "testing.h"

namespace arenascope {

namespace {

class ChangingImageSource : public MemorySource {
 public:
  ChangingImageSource(std::unique_ptr<ImageMemorySource> before, std::unique_ptr<ImageMemorySource> after, uint64_t address,
                      uint64_t reads)
      : before_(std::move(before)), after_(std::move(after)), address_(address), reads_(reads) {}
  size_t read(uint64_t addr, uint8_t* buf, size_t len, std::vector<Hole>* holes) override {
    MemorySource* from = seen_ < reads_ ? before_.get() : after_.get();
    if (addr == address_) ++seen_;
    return from->read(addr, buf, len, holes);
  }
  std::string describe() const override { return "changing image"; }

 private:
  std::unique_ptr<ImageMemorySource> before_, after_;
  uint64_t address_;
  uint64_t reads_;
  uint64_t seen_ = 0;
};

std::unique_ptr<ImageMemorySource> imageFrom(Napi::Env env, const Napi::Value& v) {
  if (!v.IsArray()) throw makeError(env, ErrorCode::kInvalidArgument, 0, "segments must be an array");
  Napi::Array segs = v.As<Napi::Array>();
  auto img = std::make_unique<ImageMemorySource>();
  for (uint32_t i = 0; i < segs.Length(); ++i) {
    Napi::Value sv = segs.Get(i);
    if (!sv.IsObject()) throw makeError(env, ErrorCode::kInvalidArgument, 0, "segment must be an object");
    Napi::Object s = sv.As<Napi::Object>();
    Napi::Value dv = s.Get("data");
    if (!dv.IsBuffer()) throw makeError(env, ErrorCode::kInvalidArgument, 0, "segment.data must be a Buffer");
    auto b = dv.As<Napi::Buffer<uint8_t>>();
    img->addSegment(toAddress(s.Get("address"), "segment.address"), b.Data(), b.Length());
  }
  return img;
}

Napi::Value ChangingImage(const Napi::CallbackInfo& info) {
  auto before = imageFrom(info.Env(), info[0]);
  auto after = imageFrom(info.Env(), info[1]);
  uint64_t address = toAddress(info[2], "address");
  uint64_t reads = toAddress(info[3], "reads");
  return MemorySourceHandle::Wrap(info.Env(), std::make_shared<ChangingImageSource>(std::move(before), std::move(after), address, reads));
}

}  // namespace

void InitTestingSourcesModule(Napi::Env env, Napi::Object exports) {
  exports.Set("changingImage", Napi::Function::New(env, ChangingImage));
}

}  // namespace arenascope
