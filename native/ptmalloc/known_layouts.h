// A C++ restatement of the layouts of every glibc release range, for the
// synthetic-image tests and the fuzzers ONLY. Production code takes its layout
// from the TypeScript table; tests cross-check the two.
#pragma once

#include <vector>

#include "malloc_layout.h"

namespace arenascope {
namespace ptmalloc {

struct NamedLayout {
  const char* name;  // "2.17-2.22", "2.23", ..., "2.44"
  MallocLayout layout;
};

const std::vector<NamedLayout>& knownLayouts();

}  // namespace ptmalloc
}  // namespace arenascope
