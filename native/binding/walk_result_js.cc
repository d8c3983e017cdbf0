#include "walk_result_js.h"

#include <cstring>

namespace arenascope {

using namespace ptmalloc;

Napi::Number num(Napi::Env env, uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); }
Napi::Value numOrNull(Napi::Env env, int64_t v) {
  return v < 0 ? env.Null() : Napi::Value(Napi::Number::New(env, static_cast<double>(v)));
}

namespace {
Napi::Object countToJs(Napi::Env env, const CountBytes& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("chunks", num(env, c.chunks));
  o.Set("bytes", num(env, c.bytes));
  return o;
}

const char* binKindName(BinKind k) {
  switch (k) {
    case BinKind::kFast: return "fast";
    case BinKind::kUnsorted: return "unsorted";
    case BinKind::kSmall: return "small";
    case BinKind::kLarge: return "large";
  }
  return "?";
}

}  // namespace

Napi::Array anomaliesToJs(Napi::Env env, const std::vector<Anomaly>& list) {
  Napi::Array arr = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    Napi::Object a = Napi::Object::New(env);
    a.Set("kind", list[i].kind);
    a.Set("address", num(env, list[i].address));
    a.Set("detail", list[i].detail);
    arr.Set(static_cast<uint32_t>(i), a);
  }
  return arr;
}

Napi::Object mpToJs(Napi::Env env, const MpValues& mp) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("trimThreshold", num(env, mp.trimThreshold));
  o.Set("topPad", num(env, mp.topPad));
  o.Set("mmapThreshold", num(env, mp.mmapThreshold));
  o.Set("arenaTest", num(env, mp.arenaTest));
  o.Set("arenaMax", num(env, mp.arenaMax));
  o.Set("noDynThreshold", Napi::Number::New(env, static_cast<double>(mp.noDynThreshold)));
  o.Set("nMmaps", Napi::Number::New(env, static_cast<double>(mp.nMmaps)));
  o.Set("nMmapsMax", Napi::Number::New(env, static_cast<double>(mp.nMmapsMax)));
  o.Set("maxNMmaps", Napi::Number::New(env, static_cast<double>(mp.maxNMmaps)));
  o.Set("mmappedMem", num(env, mp.mmappedMem));
  o.Set("maxMmappedMem", num(env, mp.maxMmappedMem));
  o.Set("sbrkBase", num(env, mp.sbrkBase));
  o.Set("hpPagesize", numOrNull(env, mp.hpPagesize));
  o.Set("thpPagesize", numOrNull(env, mp.thpPagesize));
  o.Set("hpFlags", numOrNull(env, mp.hpFlags));
  o.Set("maxTotalMem", numOrNull(env, mp.maxTotalMem));
  o.Set("tcacheBins", numOrNull(env, mp.tcacheBins));
  o.Set("tcacheMaxBytes", numOrNull(env, mp.tcacheMaxBytes));
  o.Set("tcacheCount", numOrNull(env, mp.tcacheCount));
  o.Set("tcacheUnsortedLimit", numOrNull(env, mp.tcacheUnsortedLimit));
  return o;
}

Napi::Object arenaToJs(Napi::Env env, const ArenaReport& r, const WalkOptions& opt) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("address", num(env, r.address));
  o.Set("main", Napi::Boolean::New(env, r.main));
  o.Set("mutex", num(env, r.mutex));
  o.Set("flags", num(env, r.flags));
  o.Set("next", num(env, r.next));
  o.Set("nextFree", num(env, r.nextFree));
  o.Set("attachedThreads", numOrNull(env, r.attachedThreads));
  Napi::Array heaps = Napi::Array::New(env, r.heaps.size());
  for (size_t i = 0; i < r.heaps.size(); ++i) {
    const HeapReport& h = r.heaps[i];
    Napi::Object ho = Napi::Object::New(env);
    ho.Set("start", num(env, h.start));
    ho.Set("size", num(env, h.size));
    ho.Set("mprotectSize", num(env, h.mprotectSize));
    ho.Set("reserved", num(env, h.reserved));
    ho.Set("firstChunk", num(env, h.firstChunk));
    ho.Set("chunksWalked", num(env, h.chunksWalked));
    heaps.Set(static_cast<uint32_t>(i), ho);
  }
  o.Set("heaps", heaps);
  o.Set("systemMem", num(env, r.systemMem));
  o.Set("maxSystemMem", num(env, r.maxSystemMem));
  Napi::Object top = Napi::Object::New(env);
  top.Set("address", num(env, r.topAddress));
  top.Set("size", num(env, r.topSize));
  o.Set("top", top);
  o.Set("lastRemainder", num(env, r.lastRemainder));
  o.Set("inUse", countToJs(env, r.inUse));
  o.Set("internal", countToJs(env, r.internal));
  Napi::Object fr = Napi::Object::New(env);
  fr.Set("fastbins", countToJs(env, r.fastbins));
  fr.Set("unsorted", countToJs(env, r.unsorted));
  fr.Set("smallbins", countToJs(env, r.smallbins));
  fr.Set("largebins", countToJs(env, r.largebins));
  fr.Set("tcache", countToJs(env, r.tcache));
  fr.Set("unlisted", countToJs(env, r.freeUnlisted));
  o.Set("free", fr);
  o.Set("overhead", num(env, r.overhead));
  o.Set("accountedBytes", num(env, r.accountedBytes));
  o.Set("identityHolds", Napi::Boolean::New(env, r.identityHolds));
  if (opt.withBins) {
    Napi::Array bins = Napi::Array::New(env, r.bins.size());
    for (size_t i = 0; i < r.bins.size(); ++i) {
      const BinReport& b = r.bins[i];
      Napi::Object bo = Napi::Object::New(env);
      bo.Set("kind", binKindName(b.kind));
      bo.Set("index", num(env, b.index));
      bo.Set("chunks", num(env, b.chunks));
      bo.Set("bytes", num(env, b.bytes));
      bo.Set("minSize", num(env, b.minSize));
      bo.Set("maxSize", num(env, b.maxSize));
      bo.Set("rawSizeSum", num(env, b.rawSizeSum));
      bo.Set("minRawSize", num(env, b.minRawSize));
      bo.Set("maxRawSize", num(env, b.maxRawSize));
      bins.Set(static_cast<uint32_t>(i), bo);
    }
    o.Set("bins", bins);
  }
  Napi::Array tcaches = Napi::Array::New(env, r.tcaches.size());
  for (size_t i = 0; i < r.tcaches.size(); ++i) {
    const TcacheReport& t = r.tcaches[i];
    Napi::Object to = Napi::Object::New(env);
    to.Set("address", num(env, t.address));
    to.Set("foundBy", t.foundBy);
    to.Set("chunks", num(env, t.chunks));
    to.Set("bytes", num(env, t.bytes));
    if (opt.withTcacheDetail) {
      Napi::Array counts = Napi::Array::New(env, t.counts.size());
      for (size_t k = 0; k < t.counts.size(); ++k) counts.Set(static_cast<uint32_t>(k), num(env, t.counts[k]));
      to.Set("counts", counts);
    }
    tcaches.Set(static_cast<uint32_t>(i), to);
  }
  o.Set("tcaches", tcaches);
  if (opt.withHistogram) {
    Napi::Array hist = Napi::Array::New(env, r.histogram.size());
    for (size_t i = 0; i < r.histogram.size(); ++i) {
      const HistogramRow& h = r.histogram[i];
      Napi::Object ho = Napi::Object::New(env);
      ho.Set("size", num(env, h.size));
      ho.Set("inUseChunks", num(env, h.inUseChunks));
      ho.Set("inUseBytes", num(env, h.inUseBytes));
      ho.Set("freeChunks", num(env, h.freeChunks));
      ho.Set("freeBytes", num(env, h.freeBytes));
      hist.Set(static_cast<uint32_t>(i), ho);
    }
    o.Set("histogram", hist);
  }
  o.Set("anomalies", anomaliesToJs(env, r.anomalies));
  o.Set("anomaliesSuppressed", num(env, r.anomaliesSuppressed));
  o.Set("approximate", Napi::Boolean::New(env, r.approximate));
  return o;
}

// Packs the chunk table little-endian: u64 start, u64 size, u32 arena, u8
// state, 3 bytes of zero padding (x86-64 is little-endian, so plain memcpy).
std::vector<uint8_t>* packChunks(const std::vector<ChunkRecord>& chunks) {
  auto* out = new std::vector<uint8_t>(chunks.size() * kChunkRecordBytes, 0);
  uint8_t* p = out->data();
  for (const ChunkRecord& c : chunks) {
    memcpy(p, &c.start, 8);
    memcpy(p + 8, &c.size, 8);
    memcpy(p + 16, &c.arenaIndex, 4);
    p[20] = c.state;
    p += kChunkRecordBytes;
  }
  return out;
}


}  // namespace arenascope
