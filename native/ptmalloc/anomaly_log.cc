#include "anomaly_log.h"

#include <algorithm>
#include <cstring>

namespace arenascope {
namespace ptmalloc {

bool isConsequence(const std::string& kind) {
  // Each of these is what an earlier, real inconsistency looks like further
  // on: a chunk the walk never reached (it stopped at a broken size), a list
  // member off the chunks it did reach, a bin whose links no longer match the
  // chunks the walk found, a heap end the walk could not get to.
  static const char* const kConsequences[] = {
      "free-chunk-in-no-bin", "bin-chunk-marked-in-use", "member-off-boundary", "walk-missed-top",
      "top-end-mismatch",     "chunk-at-heap-end",       "cached-chunk-marked-free", "bin-list-inconsistent",
      "fastchunks-flag",
  };
  for (const char* k : kConsequences) {
    if (kind == k) return true;
  }
  return false;
}

uint64_t AnomalyLog::signatureKey(const std::string& kind, uint64_t address, uint64_t context) {
  // FNV-1a of the kind, mixed with the address and the context (splitmix64 finalizer).
  uint64_t h = 1469598103934665603ull;
  for (char c : kind) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  uint64_t c = context * 0xbf58476d1ce4e5b9ull;
  uint64_t z = h ^ (address + 0x9e3779b97f4a7c15ull) ^ (c ^ (c >> 31));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

AnomalyLog::Kind* AnomalyLog::kindEntry(const char* kind) {
  for (Kind& k : kinds_) {
    if (k.kind == kind) return &k;
  }
  if (kinds_.size() >= kMaxKinds) return nullptr;
  kinds_.push_back(Kind{kind, 0, {}});
  return &kinds_.back();
}

uint64_t AnomalyLog::detailHash(const std::string& detail) {
  // FNV-1a: the same finding read twice is described by the same words.
  uint64_t h = 1469598103934665603ull;
  for (char c : detail) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

void AnomalyLog::add(const char* kind, uint64_t address, std::string detail, uint64_t context) {
  if (context == 0) context = detailHash(detail);
  context ^= salt_;
  ++total_;
  Kind* k = kindEntry(kind);
  if (!k) {
    ++overflowKinds_;
    return;
  }
  ++k->count;
  if (k->examples.size() < kExamplesPerKind) k->examples.push_back({kind, address, std::move(detail), context});
  if (signatures_.size() < kMaxSignatures) {
    signatures_.insert(signatureKey(k->kind, address, context));
    records_.push_back({static_cast<size_t>(k - kinds_.data()), address, context});
  }
}

bool AnomalyLog::saw(const std::string& kind, uint64_t address, uint64_t context) const {
  return signatures_.count(signatureKey(kind, address, context)) != 0;
}

std::vector<AnomalyCount> AnomalyLog::counts() const {
  std::vector<AnomalyCount> out;
  for (int pass = 0; pass < 2; ++pass) {
    for (const Kind& k : kinds_) {
      bool consequence = isConsequence(k.kind);
      if (consequence != (pass == 1)) continue;
      out.push_back({k.kind, k.count, consequence});
    }
  }
  if (overflowKinds_ > 0) out.push_back({"other-kinds", overflowKinds_, false});
  return out;
}

std::vector<Anomaly> AnomalyLog::examples() const {
  std::vector<Anomaly> out;
  for (int pass = 0; pass < 2; ++pass) {
    for (const Kind& k : kinds_) {
      if (isConsequence(k.kind) != (pass == 1)) continue;
      out.insert(out.end(), k.examples.begin(), k.examples.end());
    }
  }
  return out;
}

AnomalyLog AnomalyLog::confirmedBy(const AnomalyLog& earlier) const {
  AnomalyLog out;
  // Exact where both logs kept every signature of a kind: the records.
  std::vector<uint64_t> confirmedPerKind(kinds_.size(), 0);
  for (const Record& rec : records_) {
    const Kind& k = kinds_[rec.kind];
    if (earlier.saw(k.kind, rec.address, rec.context)) ++confirmedPerKind[rec.kind];
  }
  for (size_t i = 0; i < kinds_.size(); ++i) {
    const Kind& k = kinds_[i];
    uint64_t confirmed = confirmedPerKind[i];
    if (!signaturesComplete() || !earlier.signaturesComplete()) {
      // Signatures were dropped: the smaller count is all that can be said.
      uint64_t before = 0;
      for (const Kind& e : earlier.kinds_) {
        if (e.kind == k.kind) before = e.count;
      }
      confirmed = std::max(confirmed, std::min(before, k.count));
    }
    if (confirmed == 0) continue;
    Kind* dst = out.kindEntry(k.kind.c_str());
    if (!dst) break;
    dst->count = confirmed;
    out.total_ += confirmed;
    for (const Anomaly& a : k.examples) {
      if (dst->examples.size() < kExamplesPerKind && earlier.saw(a.kind, a.address, a.context)) dst->examples.push_back(a);
    }
  }
  // The confirmed records, so that a further read can confirm this log in turn.
  for (const Record& rec : records_) {
    const Kind& k = kinds_[rec.kind];
    if (!earlier.saw(k.kind, rec.address, rec.context)) continue;
    Kind* dst = out.kindEntry(k.kind.c_str());
    if (!dst) continue;
    out.signatures_.insert(signatureKey(k.kind, rec.address, rec.context));
    out.records_.push_back({static_cast<size_t>(dst - out.kinds_.data()), rec.address, rec.context});
  }
  // Counts kept by the fallback above have no records behind them.
  out.signaturesLost_ = !signaturesComplete() || !earlier.signaturesComplete();
  return out;
}

void AnomalyLog::append(const AnomalyLog& other) {
  for (const Kind& k : other.kinds_) {
    Kind* dst = kindEntry(k.kind.c_str());
    total_ += k.count;
    if (!dst) {
      overflowKinds_ += k.count;
      continue;
    }
    dst->count += k.count;
    for (const Anomaly& a : k.examples) {
      if (dst->examples.size() < kExamplesPerKind) dst->examples.push_back(a);
    }
  }
  total_ += other.overflowKinds_;
  overflowKinds_ += other.overflowKinds_;
  for (const Record& r : other.records_) {
    if (signatures_.size() >= kMaxSignatures) break;
    const std::string& kind = other.kinds_[r.kind].kind;
    Kind* dst = kindEntry(kind.c_str());
    if (!dst) continue;
    signatures_.insert(signatureKey(kind, r.address, r.context));
    records_.push_back({static_cast<size_t>(dst - kinds_.data()), r.address, r.context});
  }
}

void AnomalyLog::clear() {
  salt_ = 0;
  kinds_.clear();
  total_ = 0;
  overflowKinds_ = 0;
  signatures_.clear();
  records_.clear();
  signaturesLost_ = false;
}

}  // namespace ptmalloc
}  // namespace arenascope
