// For the tests of the case rules and the fold: the events of one case, sealed as they are added
// and named "<origin>:<seq>" like hops, conflicts and the timeline name them (same parents =
// concurrent), and the one key that signs them (the fold never verifies a signature).
#pragma once

#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/crypto.h"
#include "sync/case_fold.h"
#include "sync/case_view.h"
#include "sync/event.h"
#include "sync/hlc.h"

namespace casesync::testing {

using Body = std::map<std::string, std::string>;

// A body key (a string_view in sync/case_kinds.h) as the std::string a Body holds.
inline std::string str(std::string_view key) { return std::string(key); }

inline const crypto::SecretKey& test_secret() {
  static const crypto::KeyPair pair = [] {
    if (!crypto::init().is_ok()) std::abort();
    return crypto::generate_keypair();
  }();
  return pair.secret;
}

class CaseHistory {
 public:
  // "*roster" must remain live while this history folds.
  CaseHistory(const Roster* roster, std::string case_id)
      : roster_(roster), case_id_(std::move(case_id)) {}

  // `ms` becomes the HLC's milliseconds; `parents` are names returned earlier.
  std::string add(const std::string& origin, std::uint64_t ms, std::string_view kind,
                  Body body = {}, const std::vector<std::string>& parents = {}) {
    Event e;
    e.origin = origin;
    e.seq = ++seq_[origin];
    e.hlc = HybridClock::pack(ms, 0);
    e.case_id = case_id_;
    e.kind = std::string(kind);
    e.body = std::move(body);
    for (const auto& p : parents) e.parents.push_back(hash_.at(p));
    records_.push_back(seal_event(e, test_secret()));
    std::string name = origin + ":" + std::to_string(e.seq);
    hash_[name] = records_.back().hash;
    return name;
  }

  // REQUIRES: the records order (they were sealed here, so they always do).
  CaseState fold() const {
    auto ordered = canonical_order(records_);
    if (!ordered.is_ok()) std::abort();
    return fold_case(ordered.value(), *roster_);
  }

 private:
  const Roster* roster_;
  std::string case_id_;
  std::vector<EventRecord> records_;
  std::map<std::string, std::uint64_t> seq_;
  std::map<std::string, Hash32> hash_;
};

}  // namespace casesync::testing
