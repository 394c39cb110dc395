// SyncNode: local writes — a clerk's events and the delivery receipts the node signs itself.
#include "sync/apply_txn.h"
#include "sync/case_kinds.h"
#include "sync/case_rules.h"
#include "sync/check.h"
#include "sync/limits.h"
#include "sync/routing.h"
#include "sync/sync_node.h"

namespace casesync {

Result<EventRecord> SyncNode::seal_local(EventDraft draft, std::uint64_t /*now_ms*/) {
  if (restore_.active()) {
    return Status::error(Code::kUnavailable,
                         ui_text("this node is being restored from a backup and signs nothing "
                                 "until its neighbours have re-synced it (%s); try again once they "
                                 "have",
                                 restore_.waiting_for()));
  }
  if (state_.roster.find(state_.self)->revoked) {
    return Status::error(Code::kUnauthorized,
                         ui_text("this node %s is revoked in roster version %s", state_.self,
                                 state_.roster.version));
  }
  LocalIdentity& id = state_.id;
  Event e;
  e.origin = state_.self;
  e.case_id = std::move(draft.case_id);
  e.kind = std::move(draft.kind);
  e.body = std::move(draft.body);
  ASSIGN_OR_RETURN(e.parents, state_.cases.heads(e.case_id));
  if (e.parents.size() > limits::kParentsMax) e.parents.resize(limits::kParentsMax);
  e.seq = id.next_seq;
  e.hlc = id.clock.now(state_.time.wall_ms());
  e.prev = id.last_hash;
  // Check our own limits before signing: a local write must never produce an event that every
  // other node would refuse. Too big or malformed is the caller's input: kInvalidArgument (400),
  // not the kCorruption that decode_event reports for bytes off the wire.
  std::string encoded = encode_event(e);
  if (Status s = decode_event(encoded).status(); !s.is_ok()) {
    return Status::error(Code::kInvalidArgument,
                         ui_text("the event for case %s is refused by this node's own limits: %s; "
                                 "send a smaller body",
                                 e.case_id, s.message()));
  }
  ASSIGN_OR_RETURN(CaseState view, state_.cases.current_state(e.case_id));
  if (Verdict v = check_event(e, view, state_.roster); !v.ok) {
    return Status::error(Code::kUnauthorized, v.reason);
  }
  // Local policy, not a rule of the fold (which must not depend on the roster version): a
  // revoked node gets no new forwards.
  if (e.kind == kinds::kForwarded) {
    const RosterNode* to = state_.roster.find(e.field(std::string(kinds::kTo)));
    if (to && to->revoked) {
      return Status::error(Code::kUnauthorized, ui_text("forward target %s is revoked", to->id));
    }
  }
  EventRecord r = seal_event(e, *state_.secret);
  RETURN_IF_ERROR(store_and_route(r, e, ""));
  CASESYNC_CHECK(r.seq == id.next_seq, "sequence numbers are used in order");
  id.next_seq++;
  id.last_hash = r.hash;
  return r;
}

Result<EventRecord> SyncNode::author(EventDraft draft, std::uint64_t now_ms) {
  std::vector<EventDraft> one;
  one.push_back(std::move(draft));
  ASSIGN_OR_RETURN(auto records, author_batch(std::move(one), now_ms));
  return records.front();
}

Result<std::vector<EventRecord>> SyncNode::author_batch(std::vector<EventDraft> drafts,
                                                        std::uint64_t wall_ms) {
  CASESYNC_CHECK(started_, "start() comes first");
  const std::uint64_t now_ms = state_.time.read(wall_ms);
  ApplyTxn txn(&state_);
  RETURN_IF_ERROR(txn.begun());
  std::vector<EventRecord> out;
  out.reserve(drafts.size());
  for (auto& d : drafts) {
    auto r = seal_local(std::move(d), now_ms);
    if (!r.is_ok()) {
      // A full disk is alerted; a refusal by the rules is the clerk's answer, not trouble.
      txn.rollback(r.status(), "local write");
      return r.status();
    }
    out.push_back(std::move(r).value());
  }
  RETURN_IF_ERROR(txn.commit("local write"));
  pump(now_ms);
  return out;
}

Status SyncNode::sign_delivery_receipts(const std::vector<Event>& forwards, std::uint64_t now_ms) {
  if (restore_.active()) return Status::ok();  // owed: signed when the restore completes
  for (const auto& f : forwards) {
    // Already signed (a restored node gets its own receipts back before the forwards).
    ASSIGN_OR_RETURN(CaseState state, state_.cases.current_state(f.case_id));
    if (const Hop* hop = state.find_hop(f.origin + ":" + std::to_string(f.seq));
        hop && hop->stage != HopStage::kForwarded) {
      continue;
    }
    EventDraft d{f.case_id, std::string(kinds::kDelivered), {}};
    d.body[std::string(kinds::kHop)] = f.origin + ":" + std::to_string(f.seq);
    d.body[std::string(kinds::kForwardHash)] = to_hex(crypto::hash(encode_event(f)));
    d.body[std::string(kinds::kReceivedAt)] = std::to_string(state_.time.wall_ms());
    auto r = seal_local(std::move(d), now_ms);
    // A receipt refused by the rules (e.g. the case is closed) is not an error of the batch.
    if (!r.is_ok() && r.status().code() != Code::kUnauthorized) return r.status();
  }
  return Status::ok();
}

// After a restore: every forward to us still waiting for its receipt gets one.
Status SyncNode::sign_owed_receipts(std::uint64_t now_ms) {
  ASSIGN_OR_RETURN(auto cases, state_.store->list_cases(SIZE_MAX));
  std::vector<Event> owed;
  for (const auto& c : cases) {
    ASSIGN_OR_RETURN(CaseState s, state_.cases.current_state(c.case_id));
    for (const Hop& h : s.hops) {
      if (h.to != state_.self || h.superseded || h.stage != HopStage::kForwarded) continue;
      const auto colon = h.id.rfind(':');
      auto seq = colon == std::string::npos ? std::nullopt : parse_u64(h.id.substr(colon + 1));
      if (!seq) continue;
      ASSIGN_OR_RETURN(auto fwd, state_.store->get_event(h.id.substr(0, colon), *seq));
      if (!fwd) continue;
      ASSIGN_OR_RETURN(Event e, decode_event(fwd->signed_bytes));
      owed.push_back(std::move(e));
    }
  }
  return sign_delivery_receipts(owed, now_ms);
}

}  // namespace casesync
