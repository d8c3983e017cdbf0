#include "string_grep.h"

#include <cstring>
#include <stdexcept>

#include "regex_literals.h"
#include "regex_nfa.h"

namespace arenascope {

namespace {
bool hasRegexSyntax(const std::string& p) {
  return p.find_first_of("\\^$.|?*+()[]{}") != std::string::npos;
}
// "a|b|c" with no other metacharacter: its alternatives, or empty when the
// pattern is anything else. An empty alternative matches every string, as in
// the regex.
std::vector<std::string> literalAlternatives(const std::string& p) {
  std::vector<std::string> parts;
  size_t from = 0;
  for (;;) {
    size_t bar = p.find('|', from);
    std::string part = p.substr(from, bar == std::string::npos ? std::string::npos : bar - from);
    if (hasRegexSyntax(part)) return {};
    parts.push_back(part);
    if (bar == std::string::npos) return parts;
    from = bar + 1;
  }
}
char lowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

StringGrep::StringGrep(const std::string& pattern, bool ignoreCase) : ignoreCase_(ignoreCase) {
  if (pattern.size() > kMaxPatternLength) {
    throw std::invalid_argument("grep pattern is longer than " + std::to_string(kMaxPatternLength) + " characters");
  }
  if (pattern.find('\0') != std::string::npos) throw std::invalid_argument("grep pattern contains a NUL character");
  needles_ = literalAlternatives(pattern);
  literal_ = !needles_.empty();
  if (!literal_) {
    auto flags = std::regex::ECMAScript | std::regex_constants::__polynomial;
    if (ignoreCase_) flags |= std::regex::icase;
    try {
      // Compiled alone first: a pattern that is not balanced on its own must
      // not be "repaired" by the wrapping group below.
      std::regex alone(pattern, flags);
      regex_ = std::regex("[\\s\\S]*(?:" + pattern + ")", flags);
    } catch (const std::regex_error& e) {
      throw std::invalid_argument(std::string("invalid grep pattern (ECMAScript syntax, no back-references): ") +
                                  e.what());
    }
    needles_ = requiredLiterals(pattern);
    RegexNfa nfa;
    if (compileRegexNfa(pattern, ignoreCase_, &nfa)) dfa_ = std::make_unique<LazyDfa>(std::move(nfa));
  }
  if (ignoreCase_) {
    for (std::string& n : needles_) {
      for (char& c : n) c = lowerAscii(c);
    }
  }
  verdicts_.resize(kVerdictSlots);
}

bool StringGrep::containsNeedle(const char* text, size_t len) {
  const char* hay = text;
  if (ignoreCase_) {
    folded_.assign(text, len);
    for (char& c : folded_) c = lowerAscii(c);
    hay = folded_.data();
  }
  for (const std::string& n : needles_) {
    if (n.empty() || memmem(hay, len, n.data(), n.size()) != nullptr) return true;
  }
  return false;
}

bool StringGrep::evaluate(const char* text, size_t len) {
  ++evaluations_;
  if (literal_) return containsNeedle(text, len);
  if (!needles_.empty() && !containsNeedle(text, len)) return false;
  ++regexRuns_;
  if (dfa_) return dfa_->matchesSomewhere(text, len);
  return std::regex_search(text, text + len, regex_, std::regex_constants::match_continuous);
}

bool StringGrep::matches(const char* text, size_t len, uint64_t hash) {
  Verdict& v = verdicts_[static_cast<size_t>(hash >> 48) & (kVerdictSlots - 1)];
  if (v.state != 0 && v.hash == hash && v.len == len) return v.state == 2;
  bool ok = evaluate(text, len);
  v.hash = hash;
  v.len = static_cast<uint32_t>(len);
  v.state = ok ? 2 : 1;
  return ok;
}

}  // namespace arenascope
