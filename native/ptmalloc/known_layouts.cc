// Turns the generated rows (layouts_table.h) into MallocLayouts: every field
// set by name, exactly once, or the table is refused as out of date with
// malloc_layout.h (run scripts/gen-layouts.mjs).
#include "known_layouts.h"

#include <cstring>
#include <stdexcept>

#include "layouts_table.h"

namespace arenascope {
namespace ptmalloc {

namespace {

MallocLayout layoutOf(const LayoutTableRow& row) {
  if (static_cast<size_t>(kLayoutTableFieldCount) != kMallocLayoutFieldCount) {
    throw std::logic_error("layouts_table.h and MallocLayout have different field counts");
  }
  MallocLayout l;
  std::vector<bool> set(kMallocLayoutFieldCount, false);
  for (const LayoutTableField& f : row.fields) {
    size_t i = 0;
    while (i < kMallocLayoutFieldCount && std::strcmp(kMallocLayoutFieldNames[i], f.name) != 0) ++i;
    if (i == kMallocLayoutFieldCount || set[i]) {
      throw std::logic_error(std::string("layouts_table.h: unknown or repeated field ") + f.name);
    }
    l.*kMallocLayoutFieldMembers[i] = f.value;
    set[i] = true;
  }
  return l;
}

bool sameLayout(const MallocLayout& a, const MallocLayout& b) {
  for (size_t i = 0; i < kMallocLayoutFieldCount; ++i) {
    if (a.*kMallocLayoutFieldMembers[i] != b.*kMallocLayoutFieldMembers[i]) return false;
  }
  return true;
}

std::string rangeName(int from, int to) {
  return from == to ? "2." + std::to_string(from) : "2." + std::to_string(from) + "-2." + std::to_string(to);
}

// Joins neighbouring rows of equal layout, as src/glibc/layouts.ts does.
std::vector<NamedLayout> buildTable() {
  std::vector<NamedLayout> t;
  for (const LayoutTableRow& row : kLayoutTable) {
    MallocLayout l = layoutOf(row);
    if (!t.empty() && t.back().toMinor + 1 == row.fromMinor && sameLayout(t.back().layout, l)) {
      t.back().toMinor = row.toMinor;
      t.back().sources.push_back(row.source);
    } else {
      t.push_back({"", row.fromMinor, row.toMinor, {row.source}, l});
    }
  }
  for (NamedLayout& n : t) n.name = rangeName(n.fromMinor, n.toMinor);
  return t;
}

}  // namespace

const std::vector<NamedLayout>& knownLayouts() {
  static const std::vector<NamedLayout> table = buildTable();
  return table;
}

}  // namespace ptmalloc
}  // namespace arenascope
