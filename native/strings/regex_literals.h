// Literal text that every match of an ECMAScript regex must contain, so a
// grep can reject most strings with memmem (~30x faster than std::regex here)
// and run the regex only on the few that hold the literal.
//
// requiredLiterals("^user=\\w+;pw=.*") is {"user="}: any string the regex
// matches contains "user=" ("pw=" too; the longer run of each alternative is
// kept). For "ERR(OR)?|warn+" it is {"ERR", "war"}: a match contains one of
// them. It is empty, meaning "no prefilter, run the regex on everything",
// whenever some alternative has no required literal ("\\d+|x") or the pattern
// uses syntax this reader does not model (\c, \x, \u, a stray '}' ...). Empty
// is always safe; a non-empty answer must never reject a string the regex
// matches (native/fuzz/fuzz_grep.cc checks exactly that against std::regex).
#pragma once

#include <string>
#include <vector>

namespace arenascope {

// pattern must already compile as an ECMAScript std::regex.
std::vector<std::string> requiredLiterals(const std::string& pattern);

}  // namespace arenascope
