// The layout table as C++ MallocLayouts, for the synthetic-image tests and the
// fuzzers ONLY: production takes its layout from TypeScript (src/glibc/layouts.ts),
// which reads the same rows (src/glibc/layouts.json; layouts_table.h here).
#pragma once

#include <string>
#include <vector>

#include "malloc_layout.h"

namespace arenascope {
namespace ptmalloc {

// Neighbouring rows with identical layouts are one entry, named like the
// TypeScript table's ranges: "2.17-2.22", "2.23", ..., "2.44".
struct NamedLayout {
  std::string name;
  int fromMinor;  // glibc 2.<fromMinor> .. 2.<toMinor>, inclusive
  int toMinor;
  std::vector<std::string> sources;  // each joined row's source, oldest first
  MallocLayout layout;
};

const std::vector<NamedLayout>& knownLayouts();

}  // namespace ptmalloc
}  // namespace arenascope
