// Conversion of the arena walker's results (native/ptmalloc/walk_types.h)
// into plain JS objects.
#pragma once

#include <napi.h>

#include <vector>

#include "js_values.h"
#include "ptmalloc/walk_types.h"

namespace arenascope {

Napi::Array anomaliesToJs(Napi::Env env, const std::vector<ptmalloc::Anomaly>& list);
Napi::Object mpToJs(Napi::Env env, const ptmalloc::MpValues& mp);
Napi::Object arenaToJs(Napi::Env env, const ptmalloc::ArenaReport& r, const ptmalloc::WalkOptions& opt);
// anomalies (examples), anomalyCounts, anomalyTotal, and (an arena's) torn on o.
void setAnomalies(Napi::Env env, Napi::Object o, const ptmalloc::AnomalyReport& a, bool withTorn);
// An arena's residency (NativeResidency).
Napi::Object residencyToJs(Napi::Env env, const ptmalloc::ResidencyTotals& t);
// {spans: [{start, end, arena}], bits: Buffer}.
// Moves the map's words into the returned Buffer (the map keeps its spans only).
Napi::Object chunkMapToJs(Napi::Env env, ptmalloc::ChunkMap& map);

}  // namespace arenascope
