#include "sync/admission.h"

#include "sync/case_kinds.h"
#include "sync/case_rules.h"
#include "sync/check.h"
#include "sync/hlc.h"
#include "sync/routing.h"

namespace casesync {

namespace {
Judged with(Judged j, AdmitVerdict v, std::string reason, std::string detail) {
  j.verdict = v;
  j.reason = std::move(reason);
  j.detail = std::move(detail);
  return j;
}

std::string name_of(const Event& e) { return e.kind + " " + e.origin + ":" + std::to_string(e.seq); }
}  // namespace

const char* admit_name(AdmitVerdict verdict) {
  switch (verdict) {
    case AdmitVerdict::kStore: return "store";
    case AdmitVerdict::kRefuse: return "refuse";
    case AdmitVerdict::kHold: return "hold";
    case AdmitVerdict::kEquivocate: return "equivocate";
  }
  return "unknown";
}

std::vector<bool> Admission::verify(const std::vector<WireEvent>& events, std::size_t first) {
  std::vector<crypto::SignedMessage> items;
  items.reserve(events.size() - first);
  for (std::size_t i = first; i < events.size(); ++i) {
    const WireEvent& w = events[i];
    const RosterNode* origin = state_->roster.find(w.origin);
    std::string_view key;
    if (origin && origin->retired_keys.empty()) {
      key = origin->sign_public_key;
    } else if (origin) {
      // A rotated node: the seq says which of its keys signed it (checked again once decoded).
      const auto seq = peek_event_seq(w.signed_bytes);
      if (seq) key = *state_->roster.key_for(w.origin, *seq);
    }
    // An unknown origin gets no key and fails here; open() holds it under its own reason.
    items.push_back({key, w.signed_bytes, w.signature});
  }
  std::vector<bool> verdicts = (*verifier_)->verify_all(crypto::kEventDomain, items);
  CASESYNC_CHECK(verdicts.size() == items.size(), "a BatchVerifier gives one verdict per item");
  return verdicts;
}

Judged Admission::open(const WireEvent& w, bool signature_ok) {
  Judged j;
  j.record.origin = w.origin;
  if (!state_->roster.find(w.origin)) {
    return with(std::move(j), AdmitVerdict::kHold, "unknown_origin",
                "origin " + w.origin + " is not in roster version " +
                    std::to_string(state_->roster.version) + " held here (a newer one lists it?)");
  }
  if (!signature_ok) {
    return with(std::move(j), AdmitVerdict::kHold, "bad_signature",
                "an event claiming origin " + w.origin + " does not verify with its key");
  }
  j.record.signed_bytes = w.signed_bytes;
  j.record.signature = w.signature;
  auto opened = open_verified_event(j.record);
  if (!opened.is_ok()) {
    const bool lie = opened.status().code() == Code::kUnauthorized;
    return with(std::move(j), AdmitVerdict::kRefuse, lie ? "origin_mismatch" : "malformed_event",
                opened.status().message());
  }
  j.event = std::move(opened).value();
  j.record.seq = j.event.seq;
  j.record.hlc = j.event.hlc;
  j.record.case_id = j.event.case_id;
  j.record.kind = j.event.kind;
  j.record.hash = crypto::hash(j.record.signed_bytes);
  return j;
}

Result<bool> Admission::chain_holds(const Event& e) {
  if (e.seq <= 1) return true;
  ASSIGN_OR_RETURN(auto prev, state_->store->get_event(e.origin, e.seq - 1));
  if (!prev || prev->hash == e.prev) return true;
  // It names the other version of an equivocation we know: the chain holds through it.
  const auto other = evidence_->key_of(e.prev);
  return other && other->first == e.origin && other->second == e.seq - 1;
}

Result<Judged> Admission::judge(Judged j) {
  CASESYNC_CHECK(j.verdict == AdmitVerdict::kStore, "judge() only what open() let through");
  const Event& e = j.event;
  ASSIGN_OR_RETURN(auto held, state_->store->get_event(e.origin, e.seq));
  if (held) {
    if (held->hash == j.record.hash) return j;  // a duplicate: stored already
    return with(std::move(j), AdmitVerdict::kEquivocate, "equivocation",
                "origin " + e.origin + " signed two different events as seq " + std::to_string(e.seq));
  }
  if (e.origin == state_->self && e.seq > state_->id.last_seq() && !restore_->active()) {
    // Only a restore re-learns this node's own events; anything else signed with its key at a
    // seq it never signed means the key is in use elsewhere. Held (never adopted, never
    // acknowledged) and raised: the next write here would otherwise fork its own chain.
    return with(std::move(j), AdmitVerdict::kHold, "key_in_use_elsewhere",
                "this node's key is in use elsewhere: " + name_of(e) + " of case " + e.case_id +
                    " is signed with this node's key at a seq beyond the last it signed (" +
                    std::to_string(state_->id.last_seq()) + "), outside a restore; stop the "
                    "other holder of the key and have the district rotate it");
  }
  ASSIGN_OR_RETURN(bool chained, chain_holds(e));
  if (!chained) {
    return with(std::move(j), AdmitVerdict::kHold, "chain_conflict",
                name_of(e) + " does not follow the seq " + std::to_string(e.seq - 1) +
                    " held here: origin " + e.origin + " signed two histories (its key is in two "
                    "places, or its database was rolled back without `casesyncctl restore`)");
  }
  ASSIGN_OR_RETURN(auto missing, state_->cases.missing_parents(e));
  for (const Hash32& p : missing) {
    if (evidence_->stands_in(p)) continue;
    if (evidence_->find(e.origin, e.seq)) {
      // A version of an equivocated seq ahead of its past: the sender replaced it into an older
      // position of its outbox, and sends it again after its past (SyncNode::settle).
      return with(std::move(j), AdmitVerdict::kRefuse, "equivocation_ahead",
                  name_of(e) + " is an equivocated version sent ahead of its past; its later copy "
                               "is stored");
    }
    {
      return with(std::move(j), AdmitVerdict::kHold, "missing_parent",
                  name_of(e) + " of case " + e.case_id + " needs parent " + to_hex(p).substr(0, 16) +
                      ", not held here yet");
    }
  }
  if (e.kind == kinds::kForwarded && !state_->roster.find(e.field(std::string(kinds::kTo)))) {
    return with(std::move(j), AdmitVerdict::kHold, "unknown_node",
                name_of(e) + " forwards to " + e.field(std::string(kinds::kTo)) +
                    ", not in roster version " + std::to_string(state_->roster.version) + " held here");
  }
  const Unheld unheld = [this](const Hash32& h) { return evidence_->version(h); };
  ASSIGN_OR_RETURN(OwnHistory own, state_->cases.own_history(e, unheld));
  if (std::string breach = own_history_breach(e, own); !breach.empty()) {
    return with(std::move(j), AdmitVerdict::kRefuse, "unauthorized",
                "refused " + name_of(e) + " on case " + e.case_id + ": " + breach);
  }
  ASSIGN_OR_RETURN(auto past, state_->cases.causal_state(e, Unheld{}));
  if (!past) {
    ASSIGN_OR_RETURN(auto contested, state_->cases.causal_state(e, unheld));
    if (!contested) {
      // An ancestor further back is neither held nor evidence: the past is unknown, so wait.
      return with(std::move(j), AdmitVerdict::kHold, "missing_parent",
                  name_of(e) + " of case " + e.case_id + " needs an ancestor not held here yet");
    }
    // Its past runs through a losing version of an equivocation: children of either version are
    // kept, and the fold decides (seed 20261350196: judged against the lost forward, a
    // community's next forward of its own case was refused everywhere and lost). The origin of
    // the equivocation is already a security alert.
    return j;
  }
  Verdict v = check_event(e, *past, state_->roster);
  if (!v.ok) {
    const bool full = v.refusal == Refusal::kFull;
    return with(std::move(j), AdmitVerdict::kRefuse, full ? "case_full" : "unauthorized",
                "refused " + name_of(e) + " on case " + e.case_id + ": " + v.reason.english());
  }
  return j;
}

// Why `e` does not extend its origin's own history of the case held here (empty: it does).
// Every node that holds the origin's earlier event of the case refuses alike; a node cannot hold
// the later one without it (what is stored is closed under ancestry).
std::string Admission::own_history_breach(const Event& e, const OwnHistory& own) const {
  const bool other_version = evidence_->find(e.origin, e.seq) != nullptr;
  if (own.after_seq != 0 && !other_version) {
    return "its origin " + e.origin + " already signed seq " + std::to_string(own.after_seq) +
           " of this case without it: a second branch of its own history (its key is in use "
           "elsewhere?)";
  }
  if (!own.has_before || own.past_unknown) return "";  // unknown: causal_state() holds it
  // The held previous event is one version of an equivocated seq and the arriving one was
  // signed on the other history, where that seq went to another case (seed 360: a community
  // copied back by hand signed seq 11 again in this case; its old seq 15, built on the old
  // history, came back and was refused as a branch, and was lost to its own origin). The
  // equivocation is already evidence and a security alert naming the origin.
  if (!own.before_is_ancestor && evidence_->find(e.origin, own.before_seq)) return "";
  if (!own.before_is_ancestor) {
    return "it does not build on seq " + std::to_string(own.before_seq) + ", its origin " +
           e.origin + "'s own previous event of this case (a branch off its own history)";
  }
  if (e.hlc <= own.before_hlc) {
    return "its time " + std::to_string(HybridClock::millis(e.hlc)) + " ms is not after seq " +
           std::to_string(own.before_seq) + ", its origin " + e.origin +
           "'s own previous event of this case (" +
           std::to_string(HybridClock::millis(own.before_hlc)) + " ms): backdated";
  }
  return "";
}

}  // namespace casesync
