// SyncNode: equivocations — an origin that signed two different events as one (origin, seq).
// The evidence (both signed versions) is kept and passed to every neighbour, so it reaches the
// district; every node keeps the version the fixed rule picks (sync/evidence_book.h), replacing
// the other once the winner's past is here, and holds the children of either on top of it.
#include "sync/apply_txn.h"
#include "sync/routing.h"
#include "sync/sync_node.h"

namespace casesync {

namespace {
std::string short_hash(const Hash32& h) { return to_hex(h).substr(0, 16); }
}  // namespace

Status SyncNode::on_equivocation(const std::string& peer, const EventRecord& held, const Judged& j) {
  state_.counters.equivocations++;
  // Counted (a security alert here), but the peer that relayed it is not at fault.
  state_.refuse(peer, "equivocation", /*peer_at_fault=*/false);
  ASSIGN_OR_RETURN(bool fresh, evidence_.add(*state_.store, held, j.record));
  const Equivocation* e = evidence_.find(held.origin, held.seq);
  if (fresh) {
    state_.alert(AlertKind::kEquivocation, peer,
                 "origin " + held.origin + " signed two different events as seq " +
                     std::to_string(held.seq) + " (held " + short_hash(held.hash) + ", received " +
                     short_hash(j.record.hash) + "); every node keeps " +
                     short_hash(e->winner.hash) + " (the lower hash) and the evidence goes to the "
                     "district",
                 held.origin);
    for (auto& [other, l] : state_.links) {
      if (l->state() == LinkState::kUp) send_evidence(other, *e, state_.time.mono_ms());
    }
  } else {
    // The peer sent the other version, so it lacks the evidence (the first copy may be lost).
    send_evidence(peer, *e, state_.time.mono_ms());
  }
  return settle(*e);
}

void SyncNode::handle_evidence(PeerLink& l, const EvidenceMsg& m, std::uint64_t now_ms) {
  const std::vector<bool> verified = admission_.verify(m.versions, 0);
  Judged a = admission_.open(m.versions[0], verified[0]);
  Judged b = admission_.open(m.versions[1], verified[1]);
  if (a.verdict == AdmitVerdict::kHold && a.reason == "unknown_origin") return;  // a newer roster's
  if (a.verdict != AdmitVerdict::kStore || b.verdict != AdmitVerdict::kStore ||
      a.record.origin != b.record.origin || a.record.seq != b.record.seq ||
      a.record.hash == b.record.hash) {
    state_.refuse(l.peer(), "bad_evidence");
    state_.alert(AlertKind::kBadInput, l.peer(), "refused equivocation evidence: not two signed "
                                                 "versions of one (origin, seq)");
    return;
  }
  if (evidence_.key_of(a.record.hash) && evidence_.key_of(b.record.hash)) return;  // known
  ApplyTxn txn(&state_);
  if (!txn.begun().is_ok()) return;
  Judged j = std::move(b);
  Status st = evidence_.add(*state_.store, a.record, j.record).status();
  const Equivocation* e = evidence_.find(a.record.origin, a.record.seq);
  // Not only this one: a winner of another seq may have waited for this evidence to stand in
  // for its past.
  if (st.is_ok()) st = settle_all();
  if (st.is_ok()) st = txn.commit("equivocation evidence from " + l.peer());
  if (!st.is_ok()) return txn.rollback(st, "equivocation evidence from " + l.peer());
  state_.alert(AlertKind::kEquivocation, l.peer(),
               "evidence from " + l.peer() + ": origin " + e->origin + " signed two different "
               "events as seq " + std::to_string(e->seq) + "; every node keeps " +
                   short_hash(e->winner.hash),
               e->origin);
  for (auto& [other, link] : state_.links) {
    if (other != l.peer() && link->state() == LinkState::kUp) send_evidence(other, *e, now_ms);
  }
}

void SyncNode::send_evidence(const std::string& peer, const Equivocation& e, std::uint64_t now_ms) {
  for (auto& m : EvidenceBook::to_messages(e)) state_.send(peer, m, now_ms);
}

void SyncNode::send_evidence(const std::string& peer, std::uint64_t now_ms) {
  for (const auto& [key, e] : evidence_.all()) send_evidence(peer, e, now_ms);
}

Status SyncNode::settle(const Equivocation& e) {
  ASSIGN_OR_RETURN(auto held, state_.store->get_event(e.origin, e.seq));
  const bool routed = !evidence_.unrouted(e.origin, e.seq);
  if (held && held->hash == e.winner.hash && routed) return Status::ok();
  ASSIGN_OR_RETURN(Event w, decode_event(e.winner.signed_bytes));
  ASSIGN_OR_RETURN(auto missing, state_.cases.missing_parents(w));
  bool with_past = true;
  for (const Hash32& p : missing) with_past = with_past && evidence_.stands_in(p);
  ASSIGN_OR_RETURN(bool owed, owed_winner(w));
  if (!held) {
    // Neither version here. A neighbour that holds the winner without its past routed it here,
    // and admission refused it until that past stood in (Admission::judge, equivocation_ahead);
    // it is never offered again, but its signed bytes are in the evidence (seed 20261216085: a
    // forward only the winner made never reached its receiver).
    return owed && with_past ? store_and_route(e.winner, w, "") : Status::ok();
  }
  if (held->hash != e.winner.hash) {
    // The loser stops counting at once, past or not: events judged meanwhile against a past that
    // holds it would be refused for good (seed 20261350196: a district kept a lost forward while
    // the winner's past was on its way, and refused the origin's next forward of that case).
    ASSIGN_OR_RETURN(std::uint64_t local_seq, state_.store->replace_event(e.winner));
    (void)local_seq;
    state_.cases.clear();  // both cases changed
    state_.out.cases_changed.insert(held->case_id);
  }
  // With its past here (or standing in), the winner travels on like a new event: peers that hold
  // the other version settle too, and the audience only it adds gets it. Without, a node owed it
  // routes it once its past is here (settle_all() tries again; seed 20261218013: a district
  // that replaced a winner before its past never routed it).
  if (with_past) {
    RETURN_IF_ERROR(evidence_.set_unrouted(*state_.store, e.origin, e.seq, false));
    return route(e.winner, w, "");
  }
  return evidence_.set_unrouted(*state_.store, e.origin, e.seq, owed);
}

// Whether the winner's case, or an audience it adds, reaches this node: it holds the case, or the
// winner forwards into its subtree (everything routed there passes through here).
Result<bool> SyncNode::owed_winner(const Event& w) {
  for (const auto& n : audience_additions(w)) {
    if (state_.roster.in_subtree(n, state_.self)) return true;
  }
  ASSIGN_OR_RETURN(auto in_case, state_.store->case_events(w.case_id));
  return !in_case.empty();
}

Status SyncNode::settle_all() {
  for (const auto& [key, e] : evidence_.all()) RETURN_IF_ERROR(settle(e));
  return Status::ok();
}

}  // namespace casesync
