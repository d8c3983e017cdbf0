#include "walk_result_js.h"

#include <cstring>

namespace arenascope {

using namespace ptmalloc;

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
  return arrayToJs(env, list, [](Napi::Env env, const Anomaly& anomaly) {
    Napi::Object a = Napi::Object::New(env);
    a.Set("kind", anomaly.kind);
    a.Set("address", num(env, anomaly.address));
    a.Set("detail", anomaly.detail);
    return a;
  });
}

namespace {
Napi::Array countsToJs(Napi::Env env, const std::vector<AnomalyCount>& counts) {
  return arrayToJs(env, counts, [](Napi::Env env, const AnomalyCount& c) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", c.kind);
    o.Set("count", num(env, c.count));
    o.Set("consequence", Napi::Boolean::New(env, c.consequence));
    return o;
  });
}

Napi::Object reclaimableToJs(Napi::Env env, const Reclaimable& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("bins", num(env, r.bins));
  o.Set("top", num(env, r.top));
  o.Set("total", num(env, r.total()));
  o.Set("chunks", num(env, r.chunks));
  return o;
}

}  // namespace

Napi::Object residencyToJs(Napi::Env env, const ResidencyTotals& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("resident", num(env, t.resident));
  o.Set("inUse", num(env, t.inUse));
  o.Set("free", num(env, t.free));
  o.Set("overhead", num(env, t.overhead));
  o.Set("top", num(env, t.top));
  o.Set("swapped", num(env, t.swapped));
  Napi::Object fc = Napi::Object::New(env);
  fc.Set("count", num(env, t.freeChunks));
  fc.Set("bytes", num(env, t.freeChunkBytes));
  fc.Set("residentBytes", num(env, t.freeChunkResidentBytes));
  o.Set("freeChunks", fc);
  Napi::Object sf = Napi::Object::New(env);
  sf.Set("count", num(env, t.smallFreeChunks));
  sf.Set("bytes", num(env, t.smallFreeBytes));
  o.Set("smallFreeChunks", sf);
  o.Set("reclaimable", reclaimableToJs(env, t.reclaimable));
  o.Set("reclaimableWithoutConsolidation", reclaimableToJs(env, t.reclaimableWithoutConsolidation));
  return o;
}

void setAnomalies(Napi::Env env, Napi::Object o, const AnomalyReport& a, bool withTorn) {
  o.Set("anomalies", anomaliesToJs(env, a.examples));
  o.Set("anomalyCounts", countsToJs(env, a.counts));
  o.Set("anomalyTotal", num(env, a.total));
  if (!withTorn) return;
  Napi::Object torn = Napi::Object::New(env);
  torn.Set("total", num(env, a.torn));
  torn.Set("counts", countsToJs(env, a.tornCounts));
  o.Set("torn", torn);
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
  Napi::Object lists = Napi::Object::New(env);
  lists.Set("fastbins", Napi::String::New(env, r.fastbinsBy));
  lists.Set("unsorted", Napi::String::New(env, r.unsortedBy));
  o.Set("listsReadBy", lists);
  o.Set("heaps", arrayToJs(env, r.heaps, [](Napi::Env env, const HeapReport& h) {
    Napi::Object ho = Napi::Object::New(env);
    ho.Set("start", num(env, h.start));
    ho.Set("size", num(env, h.size));
    ho.Set("mprotectSize", num(env, h.mprotectSize));
    ho.Set("reserved", num(env, h.reserved));
    ho.Set("firstChunk", num(env, h.firstChunk));
    ho.Set("chunksWalked", num(env, h.chunksWalked));
    return ho;
  }));
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
    o.Set("bins", arrayToJs(env, r.bins, [](Napi::Env env, const BinReport& b) {
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
      return bo;
    }));
  }
  o.Set("tcaches", arrayToJs(env, r.tcaches, [&opt](Napi::Env env, const TcacheReport& t) {
    Napi::Object to = Napi::Object::New(env);
    to.Set("address", num(env, t.address));
    to.Set("foundBy", t.foundBy);
    to.Set("chunks", num(env, t.chunks));
    to.Set("bytes", num(env, t.bytes));
    to.Set("mmapped", countToJs(env, CountBytes{t.mmappedChunks, t.mmappedBytes}));
    if (opt.withTcacheDetail) to.Set("counts", arrayToJs(env, t.counts, num));
    return to;
  }));
  if (opt.withHistogram) {
    o.Set("histogram", arrayToJs(env, r.histogram, [](Napi::Env env, const HistogramRow& h) {
      Napi::Object ho = Napi::Object::New(env);
      ho.Set("size", num(env, h.size));
      ho.Set("inUseChunks", num(env, h.inUseChunks));
      ho.Set("inUseBytes", num(env, h.inUseBytes));
      ho.Set("freeChunks", num(env, h.freeChunks));
      ho.Set("freeBytes", num(env, h.freeBytes));
      return ho;
    }));
  }
  setAnomalies(env, o, r.anomalies, true);
  o.Set("approximate", Napi::Boolean::New(env, r.approximate));
  o.Set("residency", r.hasResidency ? Napi::Value(residencyToJs(env, r.residency)) : env.Null());
  if (r.hasHeapMap) {
    Napi::Object hm = Napi::Object::New(env);
    hm.Set("cellBytes", num(env, r.heapMap.cellBytes));
    // used, free, top bytes per cell as little-endian doubles (exact below 2^53).
    hm.Set("bytes", Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(r.heapMap.bytes.data()),
                                                 r.heapMap.bytes.size() * sizeof(double)));
    o.Set("heapMap", hm);
  }
  return o;
}

Napi::Object chunkMapToJs(Napi::Env env, ChunkMap& map) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("spans", arrayToJs(env, map.spans(), [](Napi::Env env, const ChunkMapSpan& s) {
    Napi::Object so = Napi::Object::New(env);
    so.Set("start", num(env, s.start));
    so.Set("end", num(env, s.end));
    so.Set("arena", num(env, s.arena));
    so.Set("firstWord", num(env, s.firstWord));
    so.Set("words", num(env, s.words));
    return so;
  }));
  // Two bits per 16-byte granule of each span, from the span's firstWord up
  // to its last mark (little-endian u64; words between spans unused). The
  // walker's region becomes the Buffer's memory, not a copy of it: on a
  // 3 GiB heap it is 48 MiB, resident only where marks are.
  ChunkMapWords* held = map.releaseWords().release();
  if (held->count == 0) {
    delete held;
    o.Set("bits", Napi::Buffer<uint8_t>::New(env, 0));
  } else {
    o.Set("bits", Napi::Buffer<uint8_t>::New(
                      env, const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(held->data)), held->count * 8,
                      [](Napi::Env, uint8_t*, ChunkMapWords* words) { delete words; }, held));
  }
  return o;
}

}  // namespace arenascope
