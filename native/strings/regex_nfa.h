// A Thompson NFA over bytes for the part of ECMAScript regex syntax operators
// write in greps: literals, escapes, classes, '.', groups, alternation,
// greedy or lazy quantifiers, '^'/'$' and \b/\B. grep only asks whether a pattern
// matches somewhere, so captures and match priority do not matter and a DFA
// (lazy_dfa.h) can answer at table-lookup speed instead of std::regex's
// ~60 MB/s.
//
// compileRegexNfa returns false, and the caller keeps std::regex, for
// anything else: lookahead, back-references, \x/\u/\c escapes, POSIX
// "[[:alpha:]]" classes, empty classes, or a repetition that would need more
// than kMaxStates states. Semantics follow libstdc++'s ECMAScript mode in the
// "C" locale: '.' is any byte but '\n' and '\r'; \s is " \t\n\v\f\r"; \w is
// [A-Za-z0-9_]; case-insensitive matching folds ASCII letters only.
// native/fuzz/fuzz_grep.cc holds it to std::regex_search.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <vector>

namespace arenascope {

struct RegexNfa {
  static constexpr size_t kMaxStates = 4096;

  enum class Kind : uint8_t {
    kBytes,        // consume one byte in sets[set], go to out
    kSplit,        // go to out and out1 without consuming
    kAssertStart,  // '^': go to out only at offset 0
    kAssertEnd,    // '$': go to out only at the end of the text
    kWordBoundary,     // \b: go to out where one side is a word byte and the other not
    kNotWordBoundary,  // \B: go to out where both sides are, or neither
    kMatch,
  };
  struct State {
    Kind kind;
    int32_t out = -1;
    int32_t out1 = -1;
    uint32_t set = 0;
  };

  std::vector<State> states;
  std::vector<std::bitset<256>> sets;
  int32_t start = -1;
  int32_t match = -1;  // the one kMatch state
  bool hasWordAssertions = false;
};

// \w, which also decides \b: [A-Za-z0-9_].
inline bool isWordByte(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

// pattern must already compile as an ECMAScript std::regex (the caller's
// check), so this reader may refuse what it does not model without saying why.
bool compileRegexNfa(const std::string& pattern, bool ignoreCase, RegexNfa* out);

}  // namespace arenascope
