// Ledger: every event a clerk's write got acknowledged for (author/author_batch returned ok).
// The first invariant is that none of them is ever lost: after healing, each must be held, with
// the same hash, by every node its case should reach.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/event_record.h"

namespace casesync::sim {

struct AckedEvent {
  std::string origin;
  std::uint64_t seq = 0;
  std::string case_id;
  std::string kind;
  Hash32 hash{};
  std::uint64_t acked_at_ms = 0;  // virtual time of the acknowledgement
  // Non-empty when an operation lost it on purpose (restored over, revoked with its node): the
  // checks no longer require it, and say why in a replay.
  std::string written_off;
};

class Ledger {
 public:
  void add(const EventRecord& r, std::uint64_t virtual_ms) {
    events_.push_back({r.origin, r.seq, r.case_id, r.kind, r.hash, virtual_ms, {}});
  }
  const std::vector<AckedEvent>& events() const { return events_; }
  template <class Pred>
  void write_off_if(Pred pred, const std::string& why) {
    for (auto& a : events_) {
      if (a.written_off.empty() && pred(a)) a.written_off = why;
    }
  }

 private:
  std::vector<AckedEvent> events_;
};

}  // namespace casesync::sim
