// AnomalyLog: what a walk found inconsistent, bounded however much is wrong.
//
// Every anomaly is counted by kind; the first kExamplesPerKind of each kind
// keep their address and detail. One broken size field makes the rest of a
// heap unwalkable, and then every free chunk behind it is "on a list but
// never met" and every bin check fails: those kinds are consequences
// (isConsequence) and are listed after the root causes, so a reader sees the
// broken size first, however many consequences follow. The cap bounds
// examples, never counts.
//
// A live heap that moves under the walk produces anomalies a second read does
// not: the (kind, address, context) signatures of the first kMaxSignatures
// anomalies are kept so a re-read can tell those torn reads from corruption.
// The context is what the anomaly was judged from: by default its detail
// (which names the values seen: a link, a size), or what the caller gives
// when the detail does not pin it down (a bin's head links and the chunks
// placed in it), and always the salt: the arena's malloc_state as that walk
// read it. A heap that churns hands the same addresses out again and again,
// so the same race can recur at the same place; an arena whose state moved
// between the two reads cannot confirm anything, only one that held still.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

namespace arenascope {
namespace ptmalloc {

struct Anomaly {
  std::string kind;
  uint64_t address;
  std::string detail;
  uint64_t context = 0;  // part of the signature, not reported
};

struct AnomalyCount {
  std::string kind;
  uint64_t count;
  bool consequence;
};

// Kinds that follow from another anomaly rather than stand on their own.
bool isConsequence(const std::string& kind);

class AnomalyLog {
 public:
  static constexpr size_t kExamplesPerKind = 4;
  // Kinds are string literals of this code; the bound only guards the list.
  static constexpr size_t kMaxKinds = 128;
  static constexpr size_t kMaxSignatures = 4096;

  // context 0: the detail's hash. The log's salt is mixed into every context.
  void add(const char* kind, uint64_t address, std::string detail, uint64_t context = 0);
  // What every anomaly from now on was judged against (a walk's malloc_state:
  // an arena whose state moved between two reads confirms nothing of either).
  void setSalt(uint64_t salt) { salt_ = salt; }
  static uint64_t detailHash(const std::string& detail);
  uint64_t total() const { return total_; }
  bool empty() const { return total_ == 0; }
  // Root causes first, then consequences; each group in first-seen order.
  std::vector<AnomalyCount> counts() const;
  std::vector<Anomaly> examples() const;
  // Whether this log saw (kind, address, context) among its first kMaxSignatures.
  bool saw(const std::string& kind, uint64_t address, uint64_t context = 0) const;
  // Whether every anomaly's signature was kept (the comparison is exact).
  bool signaturesComplete() const { return total_ <= kMaxSignatures && !signaturesLost_; }
  // The anomalies of this log that `earlier` also saw (a re-read confirms
  // them): a new log with those only. Counts of kinds whose signatures were
  // not all kept fall back to the smaller of the two counts.
  AnomalyLog confirmedBy(const AnomalyLog& earlier) const;
  // Adds every anomaly of other (counts, examples up to the cap, signatures).
  void append(const AnomalyLog& other);
  void clear();

 private:
  struct Kind {
    std::string kind;
    uint64_t count = 0;
    std::vector<Anomaly> examples;
  };
  static uint64_t signatureKey(const std::string& kind, uint64_t address, uint64_t context);
  Kind* kindEntry(const char* kind);

  std::vector<Kind> kinds_;
  uint64_t total_ = 0;
  uint64_t overflowKinds_ = 0;
  uint64_t salt_ = 0;
  // A log made by confirmedBy from a log whose signatures were not all kept.
  bool signaturesLost_ = false;
  std::unordered_set<uint64_t> signatures_;
  // Full records for the confirmation of the kept signatures.
  struct Record {
    size_t kind;  // index into kinds_
    uint64_t address, context;
  };
  std::vector<Record> records_;
};

}  // namespace ptmalloc
}  // namespace arenascope
