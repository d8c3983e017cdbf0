#include "lazy_dfa.h"

#include <algorithm>
#include <iterator>

namespace arenascope {

using Kind = RegexNfa::Kind;

LazyDfa::LazyDfa(RegexNfa nfa, size_t maxStates) : nfa_(std::move(nfa)), maxStates_(std::max<size_t>(maxStates, 1)) {
  seen_.assign(nfa_.states.size(), 0);
  restart_ = closure({nfa_.start}, false, false);
}

std::vector<int32_t> LazyDfa::closure(const std::vector<int32_t>& seeds, bool atStart, bool atEnd) {
  if (++generation_ == 0) {
    std::fill(seen_.begin(), seen_.end(), 0);
    generation_ = 1;
  }
  std::vector<int32_t> kept;
  stack_.assign(seeds.begin(), seeds.end());
  while (!stack_.empty()) {
    const int32_t s = stack_.back();
    stack_.pop_back();
    if (seen_[static_cast<size_t>(s)] == generation_) continue;
    seen_[static_cast<size_t>(s)] = generation_;
    const RegexNfa::State& st = nfa_.states[static_cast<size_t>(s)];
    switch (st.kind) {
      case Kind::kBytes:
      case Kind::kMatch:
        kept.push_back(s);
        break;
      case Kind::kSplit:
        stack_.push_back(st.out1);
        stack_.push_back(st.out);
        break;
      case Kind::kAssertStart:
        if (atStart) stack_.push_back(st.out);
        break;
      case Kind::kAssertEnd:
        if (atEnd) {
          stack_.push_back(st.out);
        } else {
          kept.push_back(s);  // decided when the text ends
        }
        break;
    }
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

bool LazyDfa::reachesMatchAtEnd(const std::vector<int32_t>& kept) {
  for (int32_t s : closure(kept, false, true)) {
    if (nfa_.states[static_cast<size_t>(s)].kind == Kind::kMatch) return true;
  }
  return false;
}

void LazyDfa::resetCache() {
  ++flushes_;
  states_.clear();
  next_.clear();
  index_.clear();
  startAtZero_ = -1;
  cachedNfaStates_ = 0;
}

int32_t LazyDfa::intern(std::vector<int32_t> set) {
  auto it = index_.find(set);
  if (it != index_.end()) return it->second;
  if (states_.size() >= maxStates_ || cachedNfaStates_ + set.size() > kMaxCachedNfaStates) resetCache();
  cachedNfaStates_ += set.size();
  DState d;
  for (int32_t s : set) {
    if (nfa_.states[static_cast<size_t>(s)].kind == Kind::kMatch) d.match = true;
  }
  d.matchAtEnd = d.match || reachesMatchAtEnd(set);
  d.nfaStates = std::move(set);
  const int32_t id = static_cast<int32_t>(states_.size());
  index_.emplace(d.nfaStates, id);
  states_.push_back(std::move(d));
  std::array<int32_t, 256> row;
  row.fill(-1);
  next_.push_back(row);
  return id;
}

int32_t LazyDfa::successor(int32_t d, uint8_t byte) {
  const int32_t cached = next_[static_cast<size_t>(d)][byte];
  if (cached >= 0) return cached;
  std::vector<int32_t> seeds;
  for (int32_t s : states_[static_cast<size_t>(d)].nfaStates) {
    const RegexNfa::State& st = nfa_.states[static_cast<size_t>(s)];
    if (st.kind == Kind::kBytes && nfa_.sets[st.set].test(byte)) seeds.push_back(st.out);
  }
  std::vector<int32_t> moved = closure(seeds, false, false);
  // A match may also begin at the next offset: the unanchored search.
  std::vector<int32_t> set;
  set.reserve(moved.size() + restart_.size());
  std::set_union(moved.begin(), moved.end(), restart_.begin(), restart_.end(), std::back_inserter(set));
  const uint64_t flushesBefore = flushes_;
  const int32_t id = intern(std::move(set));
  // After a flush, d no longer names a state: nothing to record.
  if (flushes_ == flushesBefore) next_[static_cast<size_t>(d)][byte] = id;
  return id;
}

bool LazyDfa::matchesSomewhere(const char* text, size_t len) {
  if (len == 0) {
    for (int32_t s : closure({nfa_.start}, true, true)) {
      if (nfa_.states[static_cast<size_t>(s)].kind == Kind::kMatch) return true;
    }
    return false;
  }
  if (startAtZero_ < 0) startAtZero_ = intern(closure({nfa_.start}, true, false));
  int32_t d = startAtZero_;
  if (states_[static_cast<size_t>(d)].match) return true;
  for (size_t i = 0; i < len; ++i) {
    d = successor(d, static_cast<uint8_t>(text[i]));
    if (states_[static_cast<size_t>(d)].match) return true;
  }
  return states_[static_cast<size_t>(d)].matchAtEnd;
}

}  // namespace arenascope
