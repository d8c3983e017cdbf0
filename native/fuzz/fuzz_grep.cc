// libFuzzer harness: StringGrep (literal fast path, required-literal
// prefilter, lazy DFA, verdict cache) must give the verdict a plain
// std::regex_search of the same pattern gives, for every pattern and text;
// so must the lazy DFA alone, with a cache of a few states so that it is
// dropped and rebuilt mid-text.
//
// The input is a pattern and texts drawn from small alphabets, so that
// patterns compile often and texts hold the pattern's literals often. Digits
// never follow digits in the pattern: "a{99}{99}" would make libstdc++ build
// a million-state NFA, which is a slow compile, not a grep bug.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>

#include "fuzz_check.h"
#include "strings/lazy_dfa.h"
#include "strings/regex_literals.h"
#include "strings/regex_nfa.h"
#include "strings/string_grep.h"
#include "strings/string_hash.h"

using namespace arenascope;

namespace {

constexpr char kPatternAlphabet[] = "abAB: =.|*+?()[]{},^$\\-0123dwsbBx";
constexpr char kTextAlphabet[] = "abAB: =.()[]{},-0123_dx\t";
constexpr size_t kMaxPatternChars = 24;
constexpr size_t kMaxTextChars = 48;

char pick(const char* alphabet, size_t size, uint8_t b) { return alphabet[b % (size - 1)]; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const bool ignoreCase = data[0] & 1;
  const size_t patternChars = std::min<size_t>(data[1] % (kMaxPatternChars + 1), size - 2);
  std::string pattern;
  for (size_t i = 0; i < patternChars; ++i) {
    char c = pick(kPatternAlphabet, sizeof kPatternAlphabet, data[2 + i]);
    if (c >= '0' && c <= '9' && !pattern.empty() && pattern.back() >= '0' && pattern.back() <= '9') c = 'a';
    pattern += c;
  }

  auto flags = std::regex::ECMAScript | std::regex_constants::__polynomial;
  if (ignoreCase) flags |= std::regex::icase;
  std::regex oracle;
  try {
    oracle = std::regex(pattern, flags);
  } catch (const std::regex_error&) {
    return 0;  // StringGrep must refuse it too; checked below
  }
  std::unique_ptr<StringGrep> grep;
  try {
    grep = std::make_unique<StringGrep>(pattern, ignoreCase);
  } catch (const std::invalid_argument& e) {
    FUZZ_CHECK(false, "pattern /%s/ compiles in std::regex but StringGrep refused it: %s", pattern.c_str(), e.what());
  }

  RegexNfa nfa;
  std::unique_ptr<LazyDfa> tinyDfa;
  if (compileRegexNfa(pattern, ignoreCase, &nfa)) tinyDfa = std::make_unique<LazyDfa>(std::move(nfa), 1 + data[0] % 4);

  // The rest of the input: texts separated by byte 0xff.
  std::string text;
  auto judge = [&] {
    const bool want = std::regex_search(text, oracle);
    const bool got = grep->matches(text.data(), text.size(), hashBytes(text.data(), text.size(), 0));
    FUZZ_CHECK(got == want, "pattern /%s/%s on \"%s\": StringGrep (%s) says %d, std::regex %d (required literals: %zu)",
               pattern.c_str(), ignoreCase ? "i" : "", text.c_str(), grep->engine(), got, want,
               requiredLiterals(pattern).size());
    if (tinyDfa) {
      FUZZ_CHECK(tinyDfa->matchesSomewhere(text.data(), text.size()) == want,
                 "pattern /%s/%s on \"%s\": the lazy DFA with a tiny cache disagrees with std::regex (%d)",
                 pattern.c_str(), ignoreCase ? "i" : "", text.c_str(), want);
    }
    text.clear();
  };
  for (size_t i = 2 + patternChars; i < size; ++i) {
    if (data[i] == 0xff || text.size() == kMaxTextChars) {
      judge();
    } else {
      text += pick(kTextAlphabet, sizeof kTextAlphabet, data[i]);
    }
  }
  judge();
  return 0;
}
