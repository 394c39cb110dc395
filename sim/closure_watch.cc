#include "sim/closure_watch.h"

#include "sim/invariants.h"
#include "sync/event.h"

namespace casesync::sim {

void ClosureWatch::check(std::size_t node, const std::string& id, Store& store,
                         const EvidenceBook* evidence, std::vector<Observation>* out) {
  Held& h = nodes_[node];
  auto fresh = store.events_after(h.checked_through, SIZE_MAX);
  if (!fresh.is_ok()) return;
  for (const EventRecord& r : *fresh) {
    h.checked_through = r.local_seq;
    key_of_[r.hash] = {r.origin, r.seq};
    auto e = decode_event(r.signed_bytes);
    const Equivocation* settled = evidence ? evidence->find(r.origin, r.seq) : nullptr;
    // A winner held in place of its loser may be held without its past (SyncNode::settle).
    if (e.is_ok() && !(settled && settled->winner.hash == r.hash)) {
      for (const Hash32& p : e->parents) {
        if (h.hashes.count(p)) continue;
        auto other = key_of_.find(p);
        if (other != key_of_.end() && h.keys.count(other->second)) continue;
        if (evidence) {
          if (evidence->stands_in(p)) continue;
        }
        if (reported_++ >= kViolationsPerCheckMax) continue;
        out->push_back({"ancestry_not_closed", id,
                        r.kind + " " + r.origin + ":" + std::to_string(r.seq) + " of case " +
                            r.case_id + " was stored without its parent " + to_hex(p).substr(0, 16)});
      }
    }
    h.hashes.insert(r.hash);
    h.keys.insert({r.origin, r.seq});
  }
}

}  // namespace casesync::sim
