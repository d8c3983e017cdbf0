// Public entry of the glibc ptmalloc reader: walk every arena reachable from
// main_arena and account for every byte it holds.
#pragma once

#include "malloc_layout.h"
#include "memory/memory_source.h"
#include "walk_types.h"

namespace arenascope {
namespace ptmalloc {

// The layout must have passed validateLayout(). Never throws except
// SourceError for fatal source failures (process gone, no permission); every
// inconsistency in the target's memory becomes an anomaly.
WalkResult walkArenas(MemorySource* source, const MallocLayout& layout, const WalkOptions& options);

}  // namespace ptmalloc
}  // namespace arenascope
