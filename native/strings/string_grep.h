// Decides which strings a scan counts when the operator gives a pattern.
//
// The verdict is taken on the kept text of a run (its first kMaxKeptChars
// characters, the same text that keys the histogram), so every occurrence of
// a histogram key gets the same verdict and counts, samples and size classes
// only ever include matching strings.
//
// Patterns without regex metacharacters, and alternations of such literals
// ("SELECT|INSERT", the common case), are substring searches: memmem per
// alternative, ~30x faster than std::regex over a 64 MiB heap. Other
// patterns go to std::regex, behind the same memmem test for the literal text
// every match must contain when the pattern has one (regex_literals.h), so
// only strings holding it reach the regex. The regex is a lazy DFA
// (regex_nfa.h, lazy_dfa.h) when the pattern uses only the syntax it models,
// the usual case, at table-lookup speed. Otherwise std::regex runs with the
// ECMAScript grammar in libstdc++'s polynomial mode: its default backtracking
// matcher recurses once per input character and overflowed an 8 MiB thread
// stack on 64 KiB inputs in our trials, and can take exponential time; the
// polynomial (Thompson NFA) matcher needs stack proportional to the pattern
// only and rejects back-references. The pattern is searched as
// "[\s\S]*(?:P)" anchored at the start, which has a match exactly when P
// matches somewhere, in one pass instead of one pass per start position.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "lazy_dfa.h"

namespace arenascope {

class StringGrep {
 public:
  static constexpr size_t kMaxPatternLength = 1024;

  // Throws std::invalid_argument with a readable message for a bad pattern.
  StringGrep(const std::string& pattern, bool ignoreCase);

  // hash identifies the text (hashBytes of it); verdicts are cached by
  // (hash, length) in a bounded direct-mapped table.
  bool matches(const char* text, size_t len, uint64_t hash);

  uint64_t evaluations() const { return evaluations_; }
  // Evaluations that ran the regex (the others were settled by memmem).
  uint64_t regexRuns() const { return regexRuns_; }
  // What judges strings: "literal" (memmem only), "dfa" or "std::regex".
  const char* engine() const { return literal_ ? "literal" : dfa_ ? "dfa" : "std::regex"; }

 private:
  bool evaluate(const char* text, size_t len);

  bool literal_ = false;
  bool ignoreCase_ = false;
  bool containsNeedle(const char* text, size_t len);

  // literal_: the pattern's alternatives; otherwise the literals one of which
  // every match contains (empty: none known). Lower-cased when ignoreCase_.
  std::vector<std::string> needles_;
  std::regex regex_;
  std::unique_ptr<LazyDfa> dfa_;  // the regex, when regex_nfa models the pattern
  std::string folded_;  // scratch for case-folded text

  struct Verdict {
    uint64_t hash = 0;
    uint32_t len = 0;
    uint8_t state = 0;  // 0 empty, 1 no match, 2 match
  };
  static constexpr size_t kVerdictSlots = size_t{1} << 16;
  std::vector<Verdict> verdicts_;
  uint64_t evaluations_ = 0;
  uint64_t regexRuns_ = 0;
};

}  // namespace arenascope
