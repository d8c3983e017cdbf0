// Conversion of the arena walker's results (native/ptmalloc/walk_types.h)
// into plain JS objects, and the packed chunk table.
#pragma once

#include <napi.h>

#include <vector>

#include "js_values.h"
#include "ptmalloc/walk_types.h"

namespace arenascope {

Napi::Array anomaliesToJs(Napi::Env env, const std::vector<ptmalloc::Anomaly>& list);
Napi::Object mpToJs(Napi::Env env, const ptmalloc::MpValues& mp);
Napi::Object arenaToJs(Napi::Env env, const ptmalloc::ArenaReport& r, const ptmalloc::WalkOptions& opt);

// 24-byte little-endian records: u64 start, u64 size, u32 arena index,
// u8 state, 3 zero bytes. Caller owns the vector.
constexpr size_t kChunkRecordBytes = 24;
std::vector<uint8_t>* packChunks(const std::vector<ptmalloc::ChunkRecord>& chunks);

}  // namespace arenascope
