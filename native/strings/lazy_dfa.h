// Does a RegexNfa match anywhere in a text? Answered by a DFA built lazily
// from the NFA (subset construction, one DFA state per set of NFA states met,
// each byte's successor cached in a 256-entry row), so after warm-up a text
// costs one table lookup per byte. The unanchored search is the NFA's start
// re-entered at every offset; '^' holds only at offset 0 and '$' is checked
// once, at the end. \b and \B wait in the set until the next byte (or the
// end) shows the other side; the DFA state remembers whether the byte before
// was a word byte, as RE2's does.
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
  // Where in the text a set of NFA states stands, for its assertions.
  struct Position {
    bool atStart = false;   // offset 0: '^' holds
    bool atEnd = false;     // the text ends here: '$' holds
    bool nextKnown = false;  // \b and \B can be decided (the next byte, or the end, is known)
    bool prevWord = false;   // the byte before is a word byte (false at offset 0)
    bool nextWord = false;   // the byte after is (false at the end)
  };
  // A DFA state: a set of NFA states and what its assertions still need.
  struct Key {
    std::vector<int32_t> nfaStates;  // sorted: kBytes, kMatch and undecided assertion states
    bool atStart = false;
    bool prevWord = false;
    bool operator<(const Key& o) const {
      if (atStart != o.atStart) return atStart < o.atStart;
      if (prevWord != o.prevWord) return prevWord < o.prevWord;
      return nfaStates < o.nfaStates;
    }
  };
  struct DState {
    Key key;
    bool match = false;       // holds kMatch: the text matches, whatever follows
    bool matchAtEnd = false;  // reaches kMatch if the text ends here
  };

  // The states reachable from seeds without consuming a byte: kBytes and
  // kMatch, and the assertions the position cannot decide yet.
  std::vector<int32_t> closure(const std::vector<int32_t>& seeds, const Position& at);
  bool holdsMatch(const std::vector<int32_t>& set) const;
  int32_t intern(Key key);
  int32_t successor(int32_t d, uint8_t byte);
  void resetCache();

  RegexNfa nfa_;
  size_t maxStates_;
  std::vector<int32_t> restart_;  // closure of the start away from offset 0
  std::vector<DState> states_;
  std::vector<std::array<int32_t, 256>> next_;  // -1: not computed yet
  std::map<Key, int32_t> index_;
  int32_t startAtZero_ = -1;
  size_t cachedNfaStates_ = 0;  // sum of key.nfaStates sizes in states_
  uint64_t flushes_ = 0;
  // closure scratch: visited marks by generation
  std::vector<uint32_t> seen_;
  uint32_t generation_ = 0;
  std::vector<int32_t> stack_;
};

}  // namespace arenascope
