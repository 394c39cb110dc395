#include "sync/rejoin.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace casesync {

namespace {

using Key = std::pair<std::string, std::uint64_t>;

// What the peer gets again, each event once, sent in our local order: an event is stored here
// after its parents, so the peer never waits on this link for a parent further down this link.
struct Chosen {
  std::map<std::uint64_t, Key> by_local_seq;
  std::set<Key> keys;
  std::set<std::string> cases;
  void add(const EventRecord& r) {
    if (keys.insert({r.origin, r.seq}).second) by_local_seq[r.local_seq] = {r.origin, r.seq};
    cases.insert(r.case_id);
  }
};

// Every case something is re-sent of goes whole. The restored peer lost what it had received
// from all its neighbours at once, and each neighbour's feed is applied in order: an event whose
// parent only another neighbour re-sends waits at the head of this feed, while that neighbour's
// feed may wait on one of ours (seed 20261204431: seven streets' feeds held each other for
// good). A case held here holds the parents of each of its events, stored before them, so a
// feed of whole cases in our local order never waits on another feed. The copies several
// neighbours send arrive as duplicates and are dropped.
Status complete_cases(NodeCore& s, Chosen* chosen) {
  const std::set<std::string> cases = chosen->cases;
  for (const auto& case_id : cases) {
    ASSIGN_OR_RETURN(auto records, s.store->case_events(case_id));
    for (const auto& r : records) chosen->add(r);
  }
  return Status::ok();
}

// The whole cases of the peer's own events after `after`, each case once, in our local order (so
// every event comes after its parents).
Result<std::uint64_t> choose_own_cases(NodeCore& s, const std::string& peer, std::uint64_t after,
                                       Chosen* chosen) {
  ASSIGN_OR_RETURN(std::uint64_t last, s.store->last_seq(peer));
  std::set<std::string> cases;
  std::uint64_t own = 0;
  for (std::uint64_t seq = after + 1; seq <= last; ++seq) {
    ASSIGN_OR_RETURN(auto r, s.store->get_event(peer, seq));  // a gap: it never reached us
    if (!r) continue;
    own++;
    if (!cases.insert(r->case_id).second) continue;
    ASSIGN_OR_RETURN(auto records, s.store->case_events(r->case_id));
    for (const auto& e : records) chosen->add(e);
  }
  return own;
}

// The events of `root`'s subtree the restored peer lacks: each origin's after the last it holds
// (its Hello's heads), in our local order.
Status choose_subtree_after(NodeCore& s, const std::string& root,
                            const std::vector<OriginHead>& heads, Chosen* chosen) {
  std::map<std::string, std::uint64_t> held;
  for (const auto& h : heads) held[h.origin] = h.seq;
  std::uint64_t after = 0;
  while (true) {
    ASSIGN_OR_RETURN(auto page, s.store->events_after(after, 4096));
    if (page.empty()) return Status::ok();
    for (const auto& r : page) {
      after = r.local_seq;
      if (s.roster.in_subtree(r.origin, root) && r.seq > held[r.origin]) chosen->add(r);
    }
  }
}

// Every event the peer should hold from us, enqueued again (a peer restored from a backup older
// than the outbox we retain).
Status choose_full_resend(NodeCore& s, const std::string& peer, Chosen* chosen) {
  if (peer == s.tree.parent || s.tree.is_fallback(peer)) {
    // Upward: every event written in our subtree.
    std::uint64_t after = 0;
    while (true) {
      ASSIGN_OR_RETURN(auto page, s.store->events_after(after, 4096));
      if (page.empty()) return Status::ok();
      for (const auto& r : page) {
        if (s.roster.in_subtree(r.origin, s.self)) chosen->add(r);
        after = r.local_seq;
      }
    }
  }
  // Downward: every case whose audience reaches into the peer's subtree, whole.
  ASSIGN_OR_RETURN(auto cases, s.store->list_cases(SIZE_MAX));
  for (const auto& c : cases) {
    ASSIGN_OR_RETURN(auto audience, s.store->case_audience(c.case_id));
    const bool reaches = std::any_of(audience.begin(), audience.end(), [&](const std::string& n) {
      return s.roster.in_subtree(n, peer);
    });
    if (!reaches) continue;
    ASSIGN_OR_RETURN(auto records, s.store->case_events(c.case_id));
    for (const auto& r : records) chosen->add(r);
  }
  return Status::ok();
}

Status rebuild(NodeCore& s, Feed& feed, PeerLink& l, const HelloMsg& m, std::uint64_t* held,
               bool* retained, std::uint64_t* own) {
  const std::string peer = l.peer();
  const PeerCheckpoint before = l.checkpoint();
  ASSIGN_OR_RETURN(OutboxStats os, s.store->outbox_stats(peer, before.sent_acked_pos));
  *held = std::min(m.applied_pos, os.last_pos);
  *retained = os.last_pos == *held || (os.first_pos != 0 && os.first_pos <= *held + 1);
  Chosen chosen;
  if (*retained) {
    RETURN_IF_ERROR(feed.scan(peer, *held, [&](const OutboxItem& it) {
      chosen.add(it.event);
      return true;
    }));
  }
  ASSIGN_OR_RETURN(*own, choose_own_cases(s, peer, m.own_last_seq, &chosen));
  // A restored peer says what it holds of the lower end's subtree: it gets the rest, whoever it
  // came from (after earlier restores some reached us from it and never sat in our outbox; a
  // revoked child cannot re-send its own).
  const bool up = peer == s.tree.parent || s.tree.is_fallback(peer);
  RETURN_IF_ERROR(choose_subtree_after(s, up ? s.self : peer, m.heads, &chosen));
  if (!*retained) RETURN_IF_ERROR(choose_full_resend(s, peer, &chosen));
  RETURN_IF_ERROR(complete_cases(s, &chosen));
  RETURN_IF_ERROR(s.store->reset_outbox(peer, *held + 1));
  for (const auto& [local_seq, k] : chosen.by_local_seq) {
    RETURN_IF_ERROR(s.store->enqueue(peer, k.first, k.second).status());
  }
  // Its feed to us: positions after its restored outbox will be reused for new events.
  if (m.outbox_last_pos < before.recv_applied_pos) l.rewind_applied(m.outbox_last_pos);
  l.rewind_sent(*held);
  l.set_peer_epoch(m.epoch);
  return s.store->save_checkpoint(peer, l.checkpoint());
}

}  // namespace

Status rejoin_restored_peer(NodeCore& s, Feed& feed, PeerLink& l, const HelloMsg& m,
                            std::string* what) {
  RETURN_IF_ERROR(s.store->begin());
  std::uint64_t held = 0, own = 0;
  bool retained = false;
  Status st = rebuild(s, feed, l, m, &held, &retained, &own);
  if (st.is_ok()) st = s.store->commit();
  if (!st.is_ok()) {
    s.store->rollback();
    return st;
  }
  *what = "peer " + l.peer() + " was restored from a backup (restore epoch " +
          std::to_string(m.epoch) + "): its feed resumes after position " +
          std::to_string(l.checkpoint().recv_applied_pos) + "; ours is re-sent from " +
          std::to_string(held + 1) +
          (retained ? "" : " in full (its backup is older than our retained outbox)");
  if (own) what->append(", the cases of its own " + std::to_string(own) + " later events first");
  return Status::ok();
}

}  // namespace casesync
