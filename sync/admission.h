// Admission: the explicit verdict on every event that arrives from a peer, in a batch or ahead
// of the feed. Nothing is dropped silently:
//
// | verdict    | when                                                    | the feed            |
// |------------|---------------------------------------------------------|---------------------|
// | store      | verified, on top of its whole past, allowed there       | acknowledged        |
// | refuse     | every node must refuse it the same way: malformed bytes | acknowledged,       |
// |            | under a valid signature, a lie about its origin, an     | counted against the |
// |            | action the case rules forbid in its complete causal past| peer, never stored; |
// |            | (`unauthorized`), an event that does not extend its     | `unauthorized` is a |
// |            | origin's own history of the case (`unauthorized`), a    | security alert      |
// |            | case at limits::kCaseEventsMax (`case_full`)            | naming the origin   |
// | hold       | what it needs is not here yet: its origin or key (a      | not acknowledged:   |
// |            | newer roster), its parents (they come on another link,   | offered again, so   |
// |            | e.g. after a neighbour's restore), a forward target in a| it is stored once   |
// |            | newer roster; or its signature failed (damaged on the   | what it waits for   |
// |            | way: the next copy is whole)                             | arrives             |
// |            | Also held: an event signed with this node's own key     |                     |
// |            | beyond the last seq it signed, outside a restore: its   |                     |
// |            | key is in use elsewhere (`key_in_use_elsewhere`, a      |                     |
// |            | security alert); never adopted as its own               |                     |
// | equivocate | a second version of a held (origin, seq): evidence       | acknowledged        |
// |            | recorded, one version kept by the fixed rule             |                     |
//
// Holds are counted by reason (NodeCounters::held) and count against the peer only for a bad
// signature from a peer whose roster is not newer than ours. Since a node never stores an event
// without its past, every node judges every event against the same past and the same rules, so
// a refusal here is a refusal everywhere. The roster facts the rules read (ids, roles, levels)
// never change for a node once rostered (sync/roster_rules.h), so neither do the verdicts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/batch_verifier.h"
#include "sync/case_cache.h"
#include "sync/event.h"
#include "sync/evidence_book.h"
#include "sync/node_core.h"
#include "sync/restore.h"

namespace casesync {

enum class AdmitVerdict { kStore, kRefuse, kHold, kEquivocate };
const char* admit_name(AdmitVerdict verdict);

struct Judged {
  AdmitVerdict verdict = AdmitVerdict::kStore;
  std::string reason;  // counter reason, e.g. "missing_parent"
  std::string detail;  // for alerts and logs
  EventRecord record;
  Event event;
};

class Admission {
 public:
  // The pointees must outlive this object; `*verifier` is read on each call (it can be swapped).
  Admission(NodeCore* state, const EvidenceBook* evidence, crypto::BatchVerifier* const* verifier,
            const Restore* restore)
      : state_(state), evidence_(evidence), verifier_(verifier), restore_(restore) {}

  // The signature verdict of events[first..], in order, each checked with the key that its
  // (origin, seq) names in our roster (a rotated node's older events with its retired key).
  std::vector<bool> verify(const std::vector<WireEvent>& events, std::size_t first);
  // Outside the transaction: opens the event; decodes nothing whose signature failed.
  Judged open(const WireEvent& w, bool signature_ok);
  // Inside the transaction: the checks that read what is stored. REQUIRES: open() said kStore.
  Result<Judged> judge(Judged j);

 private:
  Result<bool> chain_holds(const Event& e);
  std::string own_history_breach(const Event& e, const OwnHistory& own) const;

  NodeCore* state_;
  const EvidenceBook* evidence_;
  crypto::BatchVerifier* const* verifier_;
  const Restore* restore_;  // read on each call: only a restore re-learns this node's own seqs
};

}  // namespace casesync
