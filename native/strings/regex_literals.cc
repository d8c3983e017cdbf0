#include "regex_literals.h"

#include <cstring>

namespace arenascope {

namespace {

constexpr size_t kNone = std::string::npos;

// Index after the ']' closing the class that opens at p[i] == '[', or kNone.
// Gives up on what ECMAScript and libstdc++ may read differently: an empty
// class ("[]", "[^]") and '[' inside a class ("[[:alpha:]]").
size_t skipClass(const std::string& p, size_t i) {
  ++i;
  if (i < p.size() && p[i] == '^') ++i;
  if (i < p.size() && p[i] == ']') return kNone;
  for (; i < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
    } else if (p[i] == '[') {
      return kNone;
    } else if (p[i] == ']') {
      return i + 1;
    }
  }
  return kNone;
}

size_t skipGroup(const std::string& p, size_t i);

// Index after the token at p[i]: an escape, a class, a group or one byte;
// kNone when it does not close.
size_t skipToken(const std::string& p, size_t i) {
  switch (p[i]) {
    case '\\': return i + 2 <= p.size() ? i + 2 : kNone;
    case '[': return skipClass(p, i);
    case '(': return skipGroup(p, i);
    default: return i + 1;
  }
}

// Index after the ')' closing the group that opens at p[i] == '(', or kNone.
size_t skipGroup(const std::string& p, size_t i) {
  ++i;
  while (i != kNone && i < p.size()) {
    if (p[i] == ')') return i + 1;
    i = skipToken(p, i);
  }
  return kNone;
}

// The pattern's top-level alternatives, or {} when its groups or classes do
// not close where this reader expects.
std::vector<std::string> splitAlternatives(const std::string& p) {
  std::vector<std::string> parts;
  size_t from = 0, i = 0;
  while (i < p.size()) {
    if (p[i] == '|') {
      parts.push_back(p.substr(from, i - from));
      from = ++i;
    } else {
      i = skipToken(p, i);
      if (i == kNone) return {};
    }
  }
  parts.push_back(p.substr(from));
  return parts;
}

enum class Repeat { kOnce, kOptional, kAtLeastOnce, kMalformed };

// The quantifier at p[i] (if any); *after is the index past it and a lazy '?'.
Repeat readQuantifier(const std::string& p, size_t i, size_t* after) {
  Repeat r = Repeat::kOnce;
  if (i < p.size() && (p[i] == '*' || p[i] == '?')) {
    r = Repeat::kOptional;
    ++i;
  } else if (i < p.size() && p[i] == '+') {
    r = Repeat::kAtLeastOnce;
    ++i;
  } else if (i < p.size() && p[i] == '{') {
    // {n}, {n,}, {n,m}: only the minimum matters.
    size_t j = i + 1;
    unsigned long min = 0;
    size_t digits = 0;
    while (j < p.size() && p[j] >= '0' && p[j] <= '9' && digits < 9) {
      min = min * 10 + static_cast<unsigned long>(p[j] - '0');
      ++j;
      ++digits;
    }
    if (digits == 0) return Repeat::kMalformed;
    if (j < p.size() && p[j] == ',') {
      ++j;
      while (j < p.size() && p[j] >= '0' && p[j] <= '9') ++j;
    }
    if (j >= p.size() || p[j] != '}') return Repeat::kMalformed;
    r = min == 0 ? Repeat::kOptional : Repeat::kAtLeastOnce;
    i = j + 1;
  }
  if (r != Repeat::kOnce && i < p.size() && p[i] == '?') ++i;  // lazy
  *after = i;
  return r;
}

// The longest literal run every match of one alternative contains; "" when
// there is none or the alternative uses syntax this reader does not model.
std::string requiredRun(const std::string& a) {
  std::string run, best;
  auto closeRun = [&] {
    if (run.size() > best.size()) best = run;
    run.clear();
  };
  size_t i = 0;
  while (i < a.size()) {
    const char c = a[i];
    bool literal = false;
    char ch = 0;
    size_t next = kNone;
    if (c == '\\') {
      if (i + 1 >= a.size()) return "";
      const char e = a[i + 1];
      const bool alnum = (e >= '0' && e <= '9') || (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z');
      if (!alnum) {
        literal = true;  // identity escape: "\." is '.'
        ch = e;
      } else if (std::strchr("dDwWsSbB", e) == nullptr) {
        return "";  // \n, \x41, \cJ, \0, \1 ...: not modelled
      }
      next = i + 2;
    } else if (c == '[') {
      next = skipClass(a, i);
    } else if (c == '(') {
      next = skipGroup(a, i);
    } else if (c == '.' || c == '^' || c == '$') {
      next = i + 1;
    } else if (std::strchr("*+?{})]|", c) != nullptr) {
      return "";  // a quantifier with nothing to repeat, or a stray closer
    } else {
      literal = true;
      ch = c;
      next = i + 1;
    }
    if (next == kNone) return "";
    size_t after = next;
    const Repeat r = readQuantifier(a, next, &after);
    if (r == Repeat::kMalformed) return "";
    if (literal && r == Repeat::kOnce) {
      run += ch;
    } else if (literal && r == Repeat::kAtLeastOnce) {
      run += ch;  // present at least once, but what follows need not be adjacent
      closeRun();
    } else {
      closeRun();
    }
    i = after;
  }
  closeRun();
  return best;
}

}  // namespace

std::vector<std::string> requiredLiterals(const std::string& pattern) {
  std::vector<std::string> out;
  for (const std::string& alternative : splitAlternatives(pattern)) {
    std::string lit = requiredRun(alternative);
    if (lit.empty()) return {};
    out.push_back(std::move(lit));
  }
  return out;
}

}  // namespace arenascope
