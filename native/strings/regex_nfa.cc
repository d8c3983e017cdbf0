#include "regex_nfa.h"

namespace arenascope {

namespace {

using ByteSet = std::bitset<256>;

// Repetition bounds beyond this are refused: {1000} copies already cost a
// thousand states per atom.
constexpr int kMaxRepeat = 1000;
constexpr int kUnbounded = -1;

struct Node {
  enum class Kind { kBytes, kConcat, kAlternate, kRepeat, kStart, kEnd, kWordBoundary, kNotWordBoundary } kind;
  ByteSet bytes;             // kBytes
  std::vector<int> kids;     // kConcat, kAlternate; kRepeat: one
  int min = 0, max = 0;      // kRepeat; max kUnbounded for * and +
};

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlnum(char c) { return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

ByteSet range(unsigned char lo, unsigned char hi) {
  ByteSet s;
  for (unsigned c = lo; c <= hi; ++c) s.set(c);
  return s;
}

// \d \D \w \W \s \S as libstdc++'s ctype classes in the "C" locale.
bool classEscape(char e, ByteSet* out) {
  ByteSet s;
  switch (e) {
    case 'd': case 'D': s = range('0', '9'); break;
    case 'w': case 'W': for (unsigned c = 0; c < 256; ++c) s[c] = isWordByte(static_cast<uint8_t>(c)); break;
    case 's': case 'S': for (char c : std::string(" \t\n\v\f\r")) s.set(static_cast<unsigned char>(c)); break;
    default: return false;
  }
  *out = (e >= 'A' && e <= 'Z') ? ~s : s;
  return true;
}

ByteSet foldCase(ByteSet s) {
  for (unsigned c = 'a'; c <= 'z'; ++c) {
    const unsigned u = c - 'a' + 'A';
    if (s.test(c) || s.test(u)) {
      s.set(c);
      s.set(u);
    }
  }
  return s;
}

class Parser {
 public:
  Parser(const std::string& p, bool icase) : p_(p), icase_(icase) {}

  // Root node index, or -1 when the pattern uses what this reader does not model.
  int parse() {
    int root = alternation();
    if (failed_ || i_ != p_.size()) return -1;
    return root;
  }
  std::vector<Node> nodes;

 private:
  int add(Node n) {
    nodes.push_back(std::move(n));
    return static_cast<int>(nodes.size()) - 1;
  }
  int fail() {
    failed_ = true;
    return -1;
  }
  bool more() const { return i_ < p_.size(); }
  char peek() const { return p_[i_]; }

  int alternation() {
    Node alt{Node::Kind::kAlternate, {}, {}, 0, 0};
    alt.kids.push_back(sequence());
    while (!failed_ && more() && peek() == '|') {
      ++i_;
      alt.kids.push_back(sequence());
    }
    if (failed_) return -1;
    return alt.kids.size() == 1 ? alt.kids[0] : add(std::move(alt));
  }

  int sequence() {
    Node cat{Node::Kind::kConcat, {}, {}, 0, 0};
    while (!failed_ && more() && peek() != '|' && peek() != ')') {
      int atomIndex = atom();
      if (failed_) return -1;
      cat.kids.push_back(quantified(atomIndex));
    }
    return failed_ ? -1 : add(std::move(cat));
  }

  int bytes(ByteSet s) { return add(Node{Node::Kind::kBytes, icase_ ? foldCase(s) : s, {}, 0, 0}); }

  int atom() {
    const char c = p_[i_++];
    switch (c) {
      case '(': {
        if (more() && peek() == '?') {
          if (i_ + 1 < p_.size() && p_[i_ + 1] == ':') {
            i_ += 2;
          } else {
            return fail();  // lookahead
          }
        }
        int inner = alternation();
        if (failed_ || !more() || peek() != ')') return fail();
        ++i_;
        return inner;
      }
      case '[': return bracket();
      case '.': {
        ByteSet s;
        s.set();
        s.reset('\n');
        s.reset('\r');
        return bytes(s);
      }
      case '^': return add(Node{Node::Kind::kStart, {}, {}, 0, 0});
      case '$': return add(Node{Node::Kind::kEnd, {}, {}, 0, 0});
      case '\\': {
        if (!more()) return fail();
        const char e = p_[i_++];
        ByteSet s;
        if (classEscape(e, &s)) return add(Node{Node::Kind::kBytes, s, {}, 0, 0});
        if (e == 'b') return add(Node{Node::Kind::kWordBoundary, {}, {}, 0, 0});
        if (e == 'B') return add(Node{Node::Kind::kNotWordBoundary, {}, {}, 0, 0});
        if (isAlnum(e)) return fail();  // \x \u \c \0 \1 \n ...
        return literal(e);
      }
      case '*': case '+': case '?': case '{': case '}': case ']': case ')': case '|':
        return fail();  // nothing to repeat, or a closer whose reading differs between grammars
      default:
        return literal(c);
    }
  }

  int literal(char c) {
    ByteSet s;
    s.set(static_cast<unsigned char>(c));
    return bytes(s);
  }

  // One class member at i_: a byte (*single) or a class escape (*set).
  bool classMember(ByteSet* set, int* single) {
    if (!more()) return false;
    char c = p_[i_++];
    *single = -1;
    if (c == '[') return false;  // "[[:alpha:]]" and friends
    if (c == '\\') {
      if (!more()) return false;
      const char e = p_[i_++];
      if (classEscape(e, set)) return true;
      if (isAlnum(e)) return false;  // \b is backspace inside a class; \x, \u ...
      c = e;
    }
    *single = static_cast<unsigned char>(c);
    return true;
  }

  int bracket() {
    bool negate = false;
    if (more() && peek() == '^') {
      negate = true;
      ++i_;
    }
    if (!more() || peek() == ']') return fail();  // "[]" and "[^]"
    ByteSet s;
    bool first = true;
    while (more() && peek() != ']') {
      // '-' is a literal only first or last; elsewhere it must join two bytes.
      if (peek() == '-' && !first && !(i_ + 1 < p_.size() && p_[i_ + 1] == ']')) return fail();
      ByteSet member;
      int lo = -1;
      if (!classMember(&member, &lo)) return fail();
      first = false;
      if (lo >= 0 && more() && peek() == '-' && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        ++i_;
        ByteSet ignored;
        int hi = -1;
        if (!classMember(&ignored, &hi) || hi < 0 || hi < lo) return fail();
        s |= range(static_cast<unsigned char>(lo), static_cast<unsigned char>(hi));
        if (more() && peek() == '-' && !(i_ + 1 < p_.size() && p_[i_ + 1] == ']')) return fail();  // "a-b-c"
      } else if (lo >= 0) {
        s.set(static_cast<size_t>(lo));
      } else {
        s |= member;
      }
    }
    if (!more()) return fail();
    ++i_;  // ']'
    // libstdc++ folds case before it negates: [^a] with icase rejects 'A' too.
    if (icase_) s = foldCase(s);
    return add(Node{Node::Kind::kBytes, negate ? ~s : s, {}, 0, 0});
  }

  // The quantifier after an atom, if any; a second one ("a**") is refused.
  int quantified(int atomIndex) {
    if (!more()) return atomIndex;
    int min = 0, max = 0;
    const char c = peek();
    if (c == '*') {
      min = 0, max = kUnbounded, ++i_;
    } else if (c == '+') {
      min = 1, max = kUnbounded, ++i_;
    } else if (c == '?') {
      min = 0, max = 1, ++i_;
    } else if (c == '{') {
      ++i_;
      if (!number(&min)) return fail();
      max = min;
      if (more() && peek() == ',') {
        ++i_;
        max = kUnbounded;
        if (more() && isDigit(peek()) && !number(&max)) return fail();
      }
      if (!more() || peek() != '}' || (max != kUnbounded && max < min)) return fail();
      ++i_;
    } else {
      return atomIndex;
    }
    const Node::Kind k = nodes[static_cast<size_t>(atomIndex)].kind;
    if (k == Node::Kind::kStart || k == Node::Kind::kEnd || k == Node::Kind::kWordBoundary ||
        k == Node::Kind::kNotWordBoundary) {
      return fail();  // a repeated assertion
    }
    if (more() && peek() == '?') ++i_;  // lazy: the same language
    if (more() && (peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{')) return fail();
    Node rep{Node::Kind::kRepeat, {}, {atomIndex}, min, max};
    return add(std::move(rep));
  }

  bool number(int* v) {
    size_t digits = 0;
    int n = 0;
    while (more() && isDigit(peek())) {
      n = n * 10 + (peek() - '0');
      ++i_;
      if (++digits > 4) return false;
    }
    *v = n;
    return digits > 0 && n <= kMaxRepeat;
  }

  const std::string& p_;
  const bool icase_;
  size_t i_ = 0;
  bool failed_ = false;
};

// Builds states so that the node, once matched, continues at `next`
// (continuation style: no patch lists). Returns the node's entry state, or -1
// when the state budget runs out.
class Builder {
 public:
  Builder(const std::vector<Node>& nodes, RegexNfa* nfa) : nodes_(nodes), nfa_(nfa) {}

  int32_t build(int nodeIndex, int32_t next) {
    if (next < 0) return -1;
    const Node& n = nodes_[static_cast<size_t>(nodeIndex)];
    switch (n.kind) {
      case Node::Kind::kBytes: {
        nfa_->sets.push_back(n.bytes);
        return state(RegexNfa::Kind::kBytes, next, -1, static_cast<uint32_t>(nfa_->sets.size() - 1));
      }
      case Node::Kind::kStart: return state(RegexNfa::Kind::kAssertStart, next, -1, 0);
      case Node::Kind::kEnd: return state(RegexNfa::Kind::kAssertEnd, next, -1, 0);
      case Node::Kind::kWordBoundary:
        nfa_->hasWordAssertions = true;
        return state(RegexNfa::Kind::kWordBoundary, next, -1, 0);
      case Node::Kind::kNotWordBoundary:
        nfa_->hasWordAssertions = true;
        return state(RegexNfa::Kind::kNotWordBoundary, next, -1, 0);
      case Node::Kind::kConcat: {
        int32_t cur = next;
        for (size_t k = n.kids.size(); k-- > 0 && cur >= 0;) cur = build(n.kids[k], cur);
        return cur;
      }
      case Node::Kind::kAlternate: {
        int32_t cur = build(n.kids.back(), next);
        for (size_t k = n.kids.size() - 1; k-- > 0 && cur >= 0;) {
          int32_t left = build(n.kids[k], next);
          cur = left < 0 ? -1 : state(RegexNfa::Kind::kSplit, left, cur, 0);
        }
        return cur;
      }
      case Node::Kind::kRepeat: {
        const int kid = n.kids[0];
        int32_t cur = next;
        if (n.max == kUnbounded) {
          // loop: split -> (kid -> split) | next; out is set once the body exists
          int32_t loop = state(RegexNfa::Kind::kSplit, next, next, 0);
          if (loop < 0) return -1;
          int32_t body = build(kid, loop);
          if (body < 0) return -1;
          nfa_->states[static_cast<size_t>(loop)].out = body;
          cur = loop;
        } else {
          // (max - min) optional copies, each skipping straight to next
          for (int k = n.min; k < n.max && cur >= 0; ++k) {
            int32_t body = build(kid, cur);
            cur = body < 0 ? -1 : state(RegexNfa::Kind::kSplit, body, next, 0);
          }
        }
        for (int k = 0; k < n.min && cur >= 0; ++k) cur = build(kid, cur);
        return cur;
      }
    }
    return -1;
  }

  // Callers pass only valid targets (>= 0, or -1 for kMatch).
  int32_t state(RegexNfa::Kind kind, int32_t out, int32_t out1, uint32_t set) {
    if (nfa_->states.size() >= RegexNfa::kMaxStates) return -1;
    nfa_->states.push_back({kind, out, out1, set});
    return static_cast<int32_t>(nfa_->states.size() - 1);
  }

 private:
  const std::vector<Node>& nodes_;
  RegexNfa* nfa_;
};

}  // namespace

bool compileRegexNfa(const std::string& pattern, bool ignoreCase, RegexNfa* out) {
  Parser parser(pattern, ignoreCase);
  const int root = parser.parse();
  if (root < 0) return false;
  RegexNfa nfa;
  Builder builder(parser.nodes, &nfa);
  nfa.match = builder.state(RegexNfa::Kind::kMatch, -1, -1, 0);
  nfa.start = builder.build(root, nfa.match);
  if (nfa.start < 0) return false;
  *out = std::move(nfa);
  return true;
}

}  // namespace arenascope
