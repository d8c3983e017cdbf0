// Does a RegexNfa match anywhere in a text? Answered by a DFA built lazily
// from the NFA (subset construction, one DFA state per set of NFA states met,
// each byte's successor cached in a 256-entry row), so after warm-up a text
// costs one table lookup per byte. The unanchored search is the NFA's start
// re-entered at every offset; '^' holds only at offset 0 and '$' is checked
// once, at the end.
//
// Memory is bounded: past maxStates DFA states, or kMaxCachedNfaStates NFA
// state numbers held in their sets, the cache is dropped and rebuilt from the
// current position, as RE2 does, so a pattern whose DFA is exponential costs
// time, never more than a few MiB.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "regex_nfa.h"

namespace arenascope {

class LazyDfa {
 public:
  static constexpr size_t kDefaultMaxStates = 2048;  // x 1 KiB rows
  // Each set is stored twice (state and index key): 2 x 4 bytes per entry.
  static constexpr size_t kMaxCachedNfaStates = 256 * 1024;

  // maxStates below the default only in tests, to exercise the flush.
  explicit LazyDfa(RegexNfa nfa, size_t maxStates = kDefaultMaxStates);

  bool matchesSomewhere(const char* text, size_t len);

  // How often the cache was dropped (for tests of the bound).
  uint64_t flushes() const { return flushes_; }

 private:
  struct DState {
    std::vector<int32_t> nfaStates;  // sorted: kBytes, kAssertEnd and kMatch states
    bool match = false;              // holds kMatch: the text matches, whatever follows
    bool matchAtEnd = false;         // reaches kMatch through '$' if the text ends here
  };

  // The kept states reachable from seeds without consuming a byte.
  std::vector<int32_t> closure(const std::vector<int32_t>& seeds, bool atStart, bool atEnd);
  bool reachesMatchAtEnd(const std::vector<int32_t>& kept);
  int32_t intern(std::vector<int32_t> set);
  int32_t successor(int32_t d, uint8_t byte);
  void resetCache();

  RegexNfa nfa_;
  size_t maxStates_;
  std::vector<int32_t> restart_;  // closure of the start away from offset 0
  std::vector<DState> states_;
  std::vector<std::array<int32_t, 256>> next_;  // -1: not computed yet
  std::map<std::vector<int32_t>, int32_t> index_;
  int32_t startAtZero_ = -1;
  size_t cachedNfaStates_ = 0;  // sum of nfaStates sizes in states_
  uint64_t flushes_ = 0;
  // closure scratch: visited marks by generation
  std::vector<uint32_t> seen_;
  uint32_t generation_ = 0;
  std::vector<int32_t> stack_;
};

}  // namespace arenascope
