#include "lazy_dfa.h"

#include <algorithm>
#include <iterator>

namespace arenascope {

using Kind = RegexNfa::Kind;

LazyDfa::LazyDfa(RegexNfa nfa, size_t maxStates) : nfa_(std::move(nfa)), maxStates_(std::max<size_t>(maxStates, 1)) {
  seen_.assign(nfa_.states.size(), 0);
  restart_ = closure({nfa_.start}, Position{});
}

std::vector<int32_t> LazyDfa::closure(const std::vector<int32_t>& seeds, const Position& at) {
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
    // An assertion passes, fails (dropped), or waits in the set.
    bool pass = false, wait = false;
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
        pass = at.atStart;  // offset 0 is known when the set is made
        break;
      case Kind::kAssertEnd:
        pass = at.atEnd;
        wait = !at.atEnd;
        break;
      case Kind::kWordBoundary:
        pass = at.nextKnown && at.prevWord != at.nextWord;
        wait = !at.nextKnown;
        break;
      case Kind::kNotWordBoundary:
        pass = at.nextKnown && at.prevWord == at.nextWord;
        wait = !at.nextKnown;
        break;
    }
    if (pass) stack_.push_back(st.out);
    if (wait) kept.push_back(s);
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

bool LazyDfa::holdsMatch(const std::vector<int32_t>& set) const {
  for (int32_t s : set) {
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

int32_t LazyDfa::intern(Key key) {
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  const size_t size = key.nfaStates.size();
  if (states_.size() >= maxStates_ || cachedNfaStates_ + size > kMaxCachedNfaStates) resetCache();
  cachedNfaStates_ += size;
  DState d;
  d.match = holdsMatch(key.nfaStates);
  // If the text ends here: '$' holds, and the side after is not a word byte.
  Position end;
  end.atStart = key.atStart;
  end.atEnd = true;
  end.nextKnown = true;
  end.prevWord = key.prevWord;
  d.matchAtEnd = d.match || holdsMatch(closure(key.nfaStates, end));
  d.key = std::move(key);
  const int32_t id = static_cast<int32_t>(states_.size());
  index_.emplace(d.key, id);
  states_.push_back(std::move(d));
  std::array<int32_t, 256> row;
  row.fill(-1);
  next_.push_back(row);
  return id;
}

int32_t LazyDfa::successor(int32_t d, uint8_t byte) {
  const int32_t cached = next_[static_cast<size_t>(d)][byte];
  if (cached >= 0) return cached;
  const Key& from = states_[static_cast<size_t>(d)].key;
  const bool word = isWordByte(byte);
  // Now that the next byte is known, the waiting \b and \B are decided.
  std::vector<int32_t> decided;
  const std::vector<int32_t>* current = &from.nfaStates;
  if (nfa_.hasWordAssertions) {
    Position here;
    here.atStart = from.atStart;
    here.nextKnown = true;
    here.prevWord = from.prevWord;
    here.nextWord = word;
    decided = closure(from.nfaStates, here);
    current = &decided;
  }
  std::vector<int32_t> seeds;
  bool matched = false;
  for (int32_t s : *current) {
    const RegexNfa::State& st = nfa_.states[static_cast<size_t>(s)];
    if (st.kind == Kind::kBytes && nfa_.sets[st.set].test(byte)) seeds.push_back(st.out);
    if (st.kind == Kind::kMatch) matched = true;  // a match ended before this byte
  }
  if (matched) seeds.push_back(nfa_.match);  // and stays matched
  std::vector<int32_t> moved = closure(seeds, Position{});
  // A match may also begin at the next offset: the unanchored search.
  Key key;
  key.prevWord = nfa_.hasWordAssertions && word;
  key.nfaStates.reserve(moved.size() + restart_.size());
  std::set_union(moved.begin(), moved.end(), restart_.begin(), restart_.end(), std::back_inserter(key.nfaStates));
  const uint64_t flushesBefore = flushes_;
  const int32_t id = intern(std::move(key));
  // After a flush, d no longer names a state: nothing to record.
  if (flushes_ == flushesBefore) next_[static_cast<size_t>(d)][byte] = id;
  return id;
}

bool LazyDfa::matchesSomewhere(const char* text, size_t len) {
  if (len == 0) {
    Position empty;
    empty.atStart = empty.atEnd = empty.nextKnown = true;
    return holdsMatch(closure({nfa_.start}, empty));
  }
  if (startAtZero_ < 0) {
    Position zero;
    zero.atStart = true;
    Key key;
    key.atStart = true;
    key.nfaStates = closure({nfa_.start}, zero);
    startAtZero_ = intern(std::move(key));
  }
  int32_t d = startAtZero_;
  if (states_[static_cast<size_t>(d)].match) return true;
  for (size_t i = 0; i < len; ++i) {
    d = successor(d, static_cast<uint8_t>(text[i]));
    if (states_[static_cast<size_t>(d)].match) return true;
  }
  return states_[static_cast<size_t>(d)].matchAtEnd;
}

}  // namespace arenascope
