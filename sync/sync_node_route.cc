// SyncNode: storing an event and routing it to the outboxes it joins (sync/routing.h).
#include "sync/check.h"
#include "sync/routing.h"
#include "sync/sync_node.h"

namespace casesync {

Status SyncNode::enqueue(const std::string& peer, const EventRecord& r) {
  // A peer whose outbox a cap dropped gets everything since the drop from the catch-up re-send,
  // in our local order, when it returns. Queued now, a new event would go ahead of the dropped
  // past it builds on, and the peer's feed would wait on it for good (sim F32, seed 20261360106).
  if (outbox_cap_.behind_from(peer)) return Status::ok();
  RETURN_IF_ERROR(state_.store->enqueue(peer, r.origin, r.seq).status());
  urgent_.queue(peer, r);
  return Status::ok();
}

Status SyncNode::store_and_route(const EventRecord& record, const Event& event,
                                 const std::string& from_peer) {
  ASSIGN_OR_RETURN(InsertResult ins, state_.store->insert_event(record));
  if (ins.outcome == InsertOutcome::kDuplicate) {
    state_.counters.events_duplicate++;
    return Status::ok();
  }
  // Admission checked for a second version before: only a bug gets here with one.
  CASESYNC_CHECK(ins.outcome == InsertOutcome::kInserted, "equivocations are settled by admission");
  if (!from_peer.empty()) state_.counters.events_applied++;
  state_.cases.on_stored(record, event);
  return route(record, event, from_peer);
}

Status SyncNode::route(const EventRecord& record, const Event& event, const std::string& from_peer) {
  state_.out.cases_changed.insert(event.case_id);
  std::vector<std::string> newly;
  for (const auto& n : audience_additions(event)) {
    ASSIGN_OR_RETURN(bool added, state_.store->add_audience(event.case_id, n));
    if (added) newly.push_back(n);
  }
  ASSIGN_OR_RETURN(auto audience, state_.store->case_audience(event.case_id));
  const Tree& t = state_.tree;
  // Children that dial us as their fallback parent get new events like our own children while
  // that link is up (their primary gets them too; a duplicate is dropped on arrival).
  std::vector<std::string> children;
  for (const auto& c : t.children) {
    if (!state_.roster.find(c)->revoked) children.push_back(c);  // it never connects again
  }
  for (const auto& c : t.fallback_children) {
    if (PeerLink* l = state_.link(c); l && l->state() == LinkState::kUp) children.push_back(c);
  }
  RouteInput in{&state_.roster, state_.self, t.parent, children, from_peer};
  RouteDecision d = decide_route(in, event, audience, newly);
  const std::string& fallback = parents_.active_fallback();
  if (d.to_parent) {
    RETURN_IF_ERROR(enqueue(t.parent, record));
    // While on a fallback, upward events go both ways: the primary needs them when it is back.
    if (!fallback.empty() && from_peer != fallback) RETURN_IF_ERROR(enqueue(fallback, record));
  }
  for (const auto& c : d.children) {
    if (t.is_fallback_child(c) && !t.is_child(c) &&
        !parents_.case_sent_whole(c, event.case_id)) {
      RETURN_IF_ERROR(send_whole_to_fallback_child(c, event.case_id));
      continue;
    }
    RETURN_IF_ERROR(enqueue(c, record));
  }
  for (const auto& c : d.children_backfill) RETURN_IF_ERROR(enqueue_backfill(c, event.case_id));
  return route_to_origin(record, event, from_peer);
}

// A neighbour's own event that reached us some other way than from it, beyond what it last said
// it holds, goes back to it with its case: it lost the event in a rollback or restore, and only
// learns it back from whoever holds it (seed 20261206072: the district, rolled back by hand,
// completed its restore before its street got district:29 back from a community, and the street
// never sent it up: routing sends up only its own subtree's events).
Status SyncNode::route_to_origin(const EventRecord& record, const Event& event,
                                 const std::string& from_peer) {
  const std::string& origin = record.origin;
  if (origin == from_peer || origin == state_.self || from_peer.empty()) return Status::ok();
  PeerLink* l = state_.link(origin);
  if (!l || record.seq <= l->peer_own_last_seq()) return Status::ok();
  const RosterNode* n = state_.roster.find(origin);
  if (!n || n->revoked) return Status::ok();
  // The case goes whole the first time (the event's parents may be lost there too), then each
  // later event of it alone.
  if (!returned_cases_.insert({origin, event.case_id}).second) return enqueue(origin, record);
  ASSIGN_OR_RETURN(auto records, state_.store->case_events(event.case_id));
  for (const auto& r : records) RETURN_IF_ERROR(enqueue(origin, r));
  return Status::ok();
}

Status SyncNode::enqueue_backfill(const std::string& child, const std::string& case_id) {
  if (outbox_cap_.behind_from(child)) return Status::ok();  // the catch-up sends the case whole
  ASSIGN_OR_RETURN(auto records, state_.store->case_events(case_id));
  for (const auto& r : records) {
    if (backfill_skips(child, r.origin)) continue;
    RETURN_IF_ERROR(state_.store->enqueue(child, r.origin, r.seq).status());
  }
  if (state_.tree.is_fallback_child(child)) parents_.note_case_sent_whole(child, case_id);
  return Status::ok();
}

// A child on its fallback parent may lack the case's earlier events (its own parent holds them
// for it, unreachable): it gets the whole case, in our local order, before the new event.
Status SyncNode::send_whole_to_fallback_child(const std::string& child, const std::string& case_id) {
  ASSIGN_OR_RETURN(auto records, state_.store->case_events(case_id));
  for (const auto& r : records) {
    if (backfill_skips(child, r.origin)) continue;
    RETURN_IF_ERROR(enqueue(child, r));
  }
  parents_.note_case_sent_whole(child, case_id);
  return Status::ok();
}

// Outboxes nothing will drain: toward a revoked peer (it never connects again: its key is
// refused everywhere).
Status SyncNode::drop_dead_outboxes() {
  for (auto& [peer, l] : state_.links) {
    const RosterNode* n = state_.roster.find(peer);
    if (n && !n->revoked) continue;
    ASSIGN_OR_RETURN(OutboxStats os, state_.store->outbox_stats(peer, l->checkpoint().sent_acked_pos));
    if (os.pending == 0) continue;
    RETURN_IF_ERROR(state_.store->begin());
    Status st = feed_.drop(*l);
    if (st.is_ok()) st = state_.store->commit();
    if (!st.is_ok()) {
      state_.store->rollback();
      return st;
    }
    l->set_down();
  }
  // A revoked peer never returns for a catch-up re-send.
  for (auto& [peer, l] : state_.links) {
    const RosterNode* n = state_.roster.find(peer);
    if (!n || n->revoked) RETURN_IF_ERROR(outbox_cap_.forget(peer));
  }
  return Status::ok();
}

}  // namespace casesync
