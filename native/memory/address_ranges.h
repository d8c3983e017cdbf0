// Sorting and merging address ranges: any struct with uint64_t start and end
// (half-open). One rule for the holes of a read, the walker's read spans and
// the string scanner's ranges.
#pragma once

#include <algorithm>
#include <vector>

namespace arenascope {

// Whether ranges that only touch ([a, b) and [b, c)) become one.
enum class Touching { kKeep, kMerge };

// Drops empty ranges, sorts by start, and merges the ones that overlap (and,
// with Touching::kMerge, the ones that touch), in place.
template <typename Range>
void sortAndMergeRanges(std::vector<Range>* ranges, Touching touching) {
  std::vector<Range>& v = *ranges;
  v.erase(std::remove_if(v.begin(), v.end(), [](const Range& r) { return r.end <= r.start; }), v.end());
  std::sort(v.begin(), v.end(), [](const Range& a, const Range& b) { return a.start < b.start; });
  size_t kept = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const bool joins = kept > 0 && (v[i].start < v[kept - 1].end || (touching == Touching::kMerge && v[i].start == v[kept - 1].end));
    if (joins) {
      v[kept - 1].end = std::max(v[kept - 1].end, v[i].end);
    } else {
      v[kept++] = v[i];
    }
  }
  v.resize(kept);
}

}  // namespace arenascope
