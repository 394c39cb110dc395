// SyncNode: construction, sessions (Hello), timers, the roster, restore completion and status.
// Local writes are in sync_node_author.cc, storing and routing in sync_node_route.cc, incoming
// events in sync_node_apply.cc, equivocations in sync_node_evidence.cc.
#include "sync/sync_node.h"

#include <algorithm>

#include "common/crc32c.h"
#include "common/elapsed.h"
#include "sync/apply_txn.h"
#include "sync/check.h"
#include "sync/limits.h"
#include "sync/rejoin.h"
#include "sync/roster_rules.h"

namespace casesync {

namespace {
// How often a parent tells each child what it holds of the child's subtree (HeadsMsg).
constexpr std::uint64_t kHeadsIntervalMs = 5000;
// How often known equivocation evidence is offered to every neighbour again (a lost copy must
// not leave a node holding an event whose parent it cannot account for).
constexpr std::uint64_t kEvidenceIntervalMs = 30'000;

SignedDoc doc_of(const RosterMsg& m) { return {m.version, m.text, m.signature}; }
}  // namespace

SyncNode::SyncNode(std::string self, Roster roster, SyncLimits limits, Store* store,
                   const crypto::SecretKey* secret)
    : state_(std::move(self), std::move(roster), limits, store, secret),
      admission_(&state_, &evidence_, &verifier_, &restore_),
      feed_(&state_),
      urgent_(&state_, &feed_),
      restore_(&state_),
      outbox_cap_(&state_),
      parents_(&state_, &feed_, &outbox_cap_),
      health_(&state_, [this](HealthReport& r, std::uint64_t now_ms) { fill_health(r, now_ms); }),
      roster_gossip_(&state_, DocGossip::Kind{
                                  "roster",
                                  [this](const SignedDoc& d) -> Status {
                                    if (!roster_opener_) {
                                      return Status::error(Code::kInternal, "no roster opener configured");
                                    }
                                    ASSIGN_OR_RETURN(Roster r, roster_opener_(RosterMsg{d.version, d.text, d.signature}));
                                    if (!r.find(state_.self)) {
                                      return Status::error(Code::kInvalidArgument,
                                                           "the new roster does not list this node " + state_.self);
                                    }
                                    RETURN_IF_ERROR(roster_change_allowed(state_.roster, r));
                                    adopt_roster(std::move(r));
                                    return Status::ok();
                                  },
                                  [](const SignedDoc& d) -> Message {
                                    return RosterMsg{d.version, d.text, d.signature};
                                  }}),
      policy_gossip_(&state_, DocGossip::Kind{
                                  "policy",
                                  [this](const SignedDoc& d) -> Status {
                                    if (!policy_opener_) {
                                      return Status::error(Code::kInternal, "no policy opener configured");
                                    }
                                    return policy_opener_(d);
                                  },
                                  [](const SignedDoc& d) -> Message {
                                    return DocMsg{"policy", d.version, d.text, d.signature};
                                  }}) {
  CASESYNC_CHECK(state_.roster.find(state_.self),
                 "the node must be in its own roster (checked when the config is loaded)");
  jitter_state_ = 0x9E3779B97F4A7C15ull ^ crc32c(state_.self);
}

Status SyncNode::start(std::uint64_t wall_ms) {
  CASESYNC_CHECK(!started_, "start() is called once");
  const std::uint64_t now_ms = state_.time.read(wall_ms);
  RETURN_IF_ERROR(state_.id.load(*state_.store));
  RETURN_IF_ERROR(evidence_.load(*state_.store));
  std::vector<std::string> peers = state_.tree.children;
  if (!state_.tree.parent.empty()) peers.push_back(state_.tree.parent);
  for (const auto& group : {state_.tree.fallbacks, state_.tree.fallback_children}) {
    peers.insert(peers.end(), group.begin(), group.end());
  }
  for (const auto& p : peers) {
    if (state_.links.count(p)) continue;
    ASSIGN_OR_RETURN(PeerCheckpoint cp, state_.store->load_checkpoint(p));
    state_.links[p] = std::make_unique<PeerLink>(p, state_.limits, cp);
  }
  RETURN_IF_ERROR(restore_.load(wall_ms));
  RETURN_IF_ERROR(outbox_cap_.load());
  RETURN_IF_ERROR(drop_dead_outboxes());
  started_ = true;
  health_.start(now_ms);
  parents_.start(now_ms);
  on_tick(wall_ms);
  return Status::ok();
}

Status SyncNode::restored_from_backup(std::uint64_t wall_ms) {
  if (started_) return restore_.begin(state_.time.read(wall_ms), "this node was restored from a backup");
  // Before start(): the marker `casesyncctl restore` writes, which start() acts on.
  RETURN_IF_ERROR(state_.store->begin());
  Status st = state_.store->put_meta(kMetaRestorePending, "1");
  if (st.is_ok()) st = state_.store->commit();
  if (!st.is_ok()) state_.store->rollback();
  return st;
}

// ---------------------------------------------------------------- links and frames

void SyncNode::on_link_up(const std::string& peer, std::uint64_t wall_ms) {
  const std::uint64_t now_ms = state_.time.read(wall_ms);
  if (PeerLink* l = state_.link(peer)) send_hello(*l, /*is_reply=*/false, now_ms);
}

void SyncNode::link_lost(PeerLink& l) {
  l.set_down();
  holding_.erase(l.peer());
  if (state_.tree.is_fallback_child(l.peer())) parents_.session_started(l.peer());
}

void SyncNode::on_link_down(const std::string& peer, std::uint64_t wall_ms) {
  state_.time.read(wall_ms);
  PeerLink* l = state_.link(peer);
  if (!l || l->state() == LinkState::kDown) return;
  link_lost(*l);
  state_.alert(AlertKind::kPeerDown, peer, "transport reported the link down");
}

void SyncNode::on_frame(const std::string& peer, std::string_view frame, std::uint64_t wall_ms) {
  const std::uint64_t now_ms = state_.time.read(wall_ms);
  PeerLink* l = state_.link(peer);
  if (!l) return state_.refuse(peer, "unknown_peer");
  if (const RosterNode* n = state_.roster.find(peer); n && n->revoked) {
    return state_.refuse(peer, "revoked_peer");
  }
  state_.counters.peers[peer].bytes_in += frame.size();
  auto decoded = decode_message(frame);
  if (!decoded.is_ok()) {
    state_.refuse(peer, "malformed_frame");
    state_.alert(AlertKind::kBadInput, peer, decoded.status().message());
    return;
  }
  l->on_heard(now_ms);
  Message& m = decoded.value();
  if (auto* hello = std::get_if<HelloMsg>(&m)) return handle_hello(*l, *hello, now_ms);
  const bool idle_fallback = peer != parents_.active_fallback() && state_.tree.is_fallback(peer);
  // A frame on a link we think down asks for a Hello, but at the Hello backoff's pace: each
  // Hello is answered with a reply, heads and evidence, and if every one of those asked again
  // while the link cannot come up (a full disk refusing the re-sync), frames multiply without
  // bound (seed 20261205008).
  if (l->state() == LinkState::kDown && !idle_fallback && l->hello_due(now_ms)) {
    send_hello(*l, /*is_reply=*/false, now_ms);
  }
  if (auto* ack = std::get_if<AckMsg>(&m)) {
    take_ack(*l, ack->applied_pos, now_ms);
  } else if (auto* hb = std::get_if<HeartbeatMsg>(&m)) {
    take_ack(*l, hb->applied_pos, now_ms);
    // The heartbeat left half a round trip ago.
    clock_offsets_ms_[peer] = static_cast<std::int64_t>(hb->wall_ms + l->srtt_ms() / 2) -
                              static_cast<std::int64_t>(state_.time.wall_ms());
    roster_gossip_.peer_has(peer, hb->roster_version, now_ms);
    policy_gossip_.peer_has(peer, hb->policy_version, now_ms);
  } else if (auto* batch = std::get_if<BatchMsg>(&m)) {
    handle_batch(*l, std::move(*batch), now_ms);
  } else if (auto* health = std::get_if<HealthMsg>(&m)) {
    health_.received(*l, *health, parents_.current(), now_ms);
  } else if (auto* roster = std::get_if<RosterMsg>(&m)) {
    roster_gossip_.received(peer, doc_of(*roster), now_ms);
  } else if (auto* doc = std::get_if<DocMsg>(&m)) {
    handle_doc(peer, *doc, now_ms);
  } else if (auto* urgent = std::get_if<UrgentMsg>(&m)) {
    handle_urgent(*l, *urgent, now_ms);
  } else if (auto* uack = std::get_if<UrgentAckMsg>(&m)) {
    urgent_.on_ack(*l, *uack);
  } else if (auto* evidence = std::get_if<EvidenceMsg>(&m)) {
    handle_evidence(*l, *evidence, now_ms);
  } else if (auto* heads = std::get_if<HeadsMsg>(&m)) {
    handle_heads(*l, *heads);
  }
  feed_.resend_due(*l, now_ms);
  maybe_complete_restore(now_ms);
  pump(now_ms);
}

void SyncNode::handle_hello(PeerLink& l, const HelloMsg& m, std::uint64_t now_ms) {
  if (m.node_id != l.peer()) {
    state_.refuse(l.peer(), "identity_mismatch");
    state_.alert(AlertKind::kBadInput, l.peer(),
                 "hello names node " + m.node_id + " on the link of " + l.peer());
    return;
  }
  const std::uint64_t known_epoch = l.checkpoint().peer_epoch;
  if (m.epoch < known_epoch) {
    // Sent before the peer's restore and delayed until after it: what it says is no longer true.
    // Or the peer's database was copied back from before its last restore, and it says this
    // forever: our reply names the epoch we know, which makes it restore (Restore::detect).
    state_.refuse(l.peer(), "stale_hello", /*peer_at_fault=*/false);
    if (!m.is_reply) send_hello(l, /*is_reply=*/true, now_ms);
    return;
  }
  const bool was_down = l.state() == LinkState::kDown;
  bool rejoined = false;
  if (m.epoch > known_epoch) {
    const PeerCheckpoint before = l.checkpoint();
    std::string what;
    // While we are restoring ourselves and the peer has not re-synced us yet, what it says it
    // applied of our feed counts the feed we had before our restore: beyond our restore point
    // those positions are reused (seed 20261205020: a community restored twice around its
    // street's restore was re-sent the street's feed from 33, skipping positions 4-32).
    HelloMsg counted = m;
    if (auto point = restore_.restore_point(l.peer()); point && m.your_epoch != state_.id.epoch) {
      counted.applied_pos = std::min(m.applied_pos, *point);
    }
    const std::uint64_t capped_from = outbox_cap_.behind_from(l.peer()).value_or(0);
    Status st = rejoin_restored_peer(state_, feed_, l, counted, capped_from, &what);
    if (st.is_ok()) st = outbox_cap_.forget(l.peer());
    if (!st.is_ok()) {
      const bool heard = l.hello_heard_since_start();
      l = PeerLink(l.peer(), state_.limits, before);  // the next Hello (still newer) starts over
      if (heard) l.note_hello_heard();
      l.on_hello_sent(now_ms, next_jitter());  // and ours waits its backoff: no ping-pong
      state_.commit_failed(st, "re-syncing restored peer " + l.peer());
      return;
    }
    state_.alert(AlertKind::kRestore, l.peer(), what);
    rejoined = true;
  } else if (outbox_cap_.behind_from(l.peer())) {
    // Before on_hello: the catch-up joins the outbox the link resumes from.
    std::string what;
    if (Status st = outbox_cap_.catch_up(l, &what); !st.is_ok()) {
      l.on_hello_sent(now_ms, next_jitter());  // the next Hello tries again, after its backoff
      state_.commit_failed(st, "queuing the catch-up re-send for " + l.peer());
      return;
    }
    state_.alert(AlertKind::kPeerUp, l.peer(), what);
  }
  // Never past what our outbox ever held: a peer that has not yet seen our own restore still
  // counts positions of the feed we had before it.
  std::uint64_t outbox_last = l.highest_sent_pos();
  if (auto os = state_.store->outbox_stats(l.peer(), l.checkpoint().sent_acked_pos); os.is_ok()) {
    outbox_last = std::max(outbox_last, os->last_pos);
  }
  const bool restoring_before = restore_.active();
  // The peer's first Hello since we started counts the feed it applied before: what our clerks
  // queued since (a database copied back by hand, signing again before any Hello came: seed
  // 20261215019) must not hide that the database lost positions the peer applied.
  std::uint64_t outbox_last_for_detect = outbox_last;
  if (!l.hello_heard_since_start()) {
    if (auto at_start = restore_.outbox_last_at_start(l.peer())) {
      outbox_last_for_detect = std::min(outbox_last, *at_start);
    }
  }
  std::optional<Hash32> claimed = proven_claim(l.peer(), m);
  HelloMsg believed = m;  // what we take from it: its claim about our events only when proven
  if (!claimed) believed.your_last_seq = 0;
  bool diverged = false;
  if (claimed && !evidence_.find(state_.self, m.your_last_seq)) {
    auto ours = state_.store->get_event(state_.self, m.your_last_seq);
    diverged = ours.is_ok() && ours->has_value() && (*ours)->hash != *claimed;
  }
  // Positions are nobody's signature: only a parent's count is taken as proof that this
  // database lost what it had; a child's is capped below (it may be lying).
  const bool trusted = l.peer() == state_.tree.parent || state_.tree.is_fallback(l.peer());
  restore_.detect(l.peer(), believed, outbox_last_for_detect, l.checkpoint().recv_applied_pos,
                  diverged, trusted, state_.time.wall_ms());
  // A peer that has not re-synced us since our restore counts positions of the feed we had
  // before it: beyond our restore point those are reused for new events, not acknowledged.
  if (auto point = restore_.restore_point(l.peer()); point && m.your_epoch != state_.id.epoch) {
    outbox_last = std::min(outbox_last, *point);
  }
  l.on_hello(std::min(m.applied_pos, outbox_last), now_ms);
  l.note_peer_own_last_seq(m.own_last_seq);
  // What it now says it holds of its own is what route_to_origin compares with: the cases sent
  // back whole before are forgotten (the set would otherwise only grow).
  returned_cases_.erase(returned_cases_.lower_bound({l.peer(), ""}),
                        returned_cases_.lower_bound({l.peer() + '\0', ""}));
  l.note_hello_heard();
  if (was_down && state_.tree.is_fallback_child(l.peer())) parents_.session_started(l.peer());
  urgent_.rebuild(l);
  clock_offsets_ms_[l.peer()] = static_cast<std::int64_t>(m.wall_ms + l.srtt_ms() / 2) -
                                static_cast<std::int64_t>(state_.time.wall_ms());
  if (was_down) state_.alert(AlertKind::kPeerUp, l.peer(), "link up");
  restore_.on_hello(l.peer(), believed);
  // A reply tells a restored peer we re-synced it, and a peer that has not seen our own restore
  // epoch yet about it; a restore that just began tells everyone.
  if (!m.is_reply || rejoined || m.your_epoch != state_.id.epoch) {
    send_hello(l, /*is_reply=*/true, now_ms);
  }
  if (!restoring_before && restore_.active()) {
    for (auto& [peer, other] : state_.links) {
      if (other->state() == LinkState::kUp) send_hello(*other, /*is_reply=*/false, now_ms);
    }
  }
  roster_gossip_.peer_has(l.peer(), m.roster_version, now_ms);
  policy_gossip_.peer_has(l.peer(), m.policy_version, now_ms);
  send_evidence(l.peer(), now_ms);
  if (state_.tree.is_child(l.peer()) || state_.tree.is_fallback_child(l.peer())) send_heads(l, now_ms);
  maybe_complete_restore(now_ms);
  pump(now_ms);
}

// The Hello's claim about our own last event, believed only under our own signature: its hash
// when it verifies, nullopt when there is no claim or it does not (refused, counted).
std::optional<Hash32> SyncNode::proven_claim(const std::string& peer, const HelloMsg& m) {
  if (m.your_last_seq == 0) return std::nullopt;
  const std::string* key = state_.roster.key_for(state_.self, m.your_last_seq);
  EventRecord r;
  r.origin = state_.self;
  r.signed_bytes = m.your_last_bytes;
  r.signature = m.your_last_signature;
  auto opened = key ? open_event(r, *key) : Result<Event>(Status::error(Code::kNotFound, "no key"));
  if (opened.is_ok() && opened->origin == state_.self && opened->seq == m.your_last_seq) {
    return crypto::hash(r.signed_bytes);
  }
  state_.refuse(peer, "unproven_hello_claim");
  state_.alert(AlertKind::kBadInput, peer,
               "hello claims to hold seq " + std::to_string(m.your_last_seq) + " of " +
                   state_.self + " without that event under its signature; ignored");
  return std::nullopt;
}

void SyncNode::send_hello(PeerLink& l, bool is_reply, std::uint64_t now_ms) {
  HelloMsg h{state_.self, l.checkpoint().recv_applied_pos, state_.id.clock.last(),
             state_.time.wall_ms(), static_cast<std::uint8_t>(is_reply ? 1 : 0),
             state_.roster.version};
  h.epoch = state_.id.epoch;
  h.policy_version = policy_version();
  h.own_last_seq = restore_.own_last_seq_to_announce();
  // Up to the first own event we lack: a node back from a rollback may hold later own events
  // and not an earlier one, which a neighbour that learns it then sends back (route_to_origin).
  if (auto run = state_.store->contiguous_seq(state_.self); run.is_ok()) {
    h.own_last_seq = std::min(h.own_last_seq, *run);
  }
  h.your_epoch = l.checkpoint().peer_epoch;
  h.your_acked_pos = l.checkpoint().sent_acked_pos;
  if (auto os = state_.store->outbox_stats(l.peer(), l.checkpoint().sent_acked_pos); os.is_ok()) {
    h.outbox_last_pos = os->last_pos;
  }
  if (auto point = restore_.restore_point(l.peer())) h.outbox_last_pos = *point;
  h.restoring = restore_.active() ? 1 : 0;
  if (restore_.active()) {
    // What we hold of the subtree both ends hold all of (the lower end's): the peer re-sends
    // the rest, whoever wrote it (a revoked node cannot re-send its own).
    const bool down = state_.tree.is_child(l.peer()) || state_.tree.is_fallback_child(l.peer());
    // Gap-free runs, not maxima: an event that arrived ahead of its origin's sequence (urgent,
    // or through a fallback parent) must not hide the ones below it (seed 20261208003).
    auto heads = subtree_heads(down ? l.peer() : state_.self, /*gap_free=*/true);
    if (!heads.is_ok()) return state_.commit_failed(heads.status(), "reading heads for a Hello");
    h.heads = std::move(heads).value();
  }
  if (auto last = last_event_of(l.peer()); last.is_ok() && last->has_value()) {
    h.your_last_seq = (*last)->seq;
    h.your_last_bytes = (*last)->signed_bytes;
    h.your_last_signature = (*last)->signature;
  } else if (!last.is_ok()) {
    return state_.commit_failed(last.status(), "reading " + l.peer() + "'s last event for its Hello");
  }
  l.on_hello_sent(now_ms, next_jitter());
  state_.send(l.peer(), h, now_ms);
}

std::uint64_t SyncNode::policy_newest_heard() const {
  std::uint64_t v = policy_gossip_.peer_version(state_.tree.parent);
  for (const auto& f : state_.tree.fallbacks) v = std::max(v, policy_gossip_.peer_version(f));
  return v;
}

Result<std::vector<OriginHead>> SyncNode::subtree_heads(const std::string& child, bool gap_free) {
  std::vector<OriginHead> heads;
  for (const auto& [id, n] : state_.roster.nodes()) {
    if (!state_.roster.in_subtree(id, child) || heads.size() >= limits::kHeadsMax) continue;
    std::optional<EventRecord> last;
    if (gap_free) {
      ASSIGN_OR_RETURN(std::uint64_t run, state_.store->contiguous_seq(id));
      if (run > 0) {
        ASSIGN_OR_RETURN(last, state_.store->get_event(id, run));
      }
    } else {
      ASSIGN_OR_RETURN(last, last_event_of(id));
    }
    if (last) heads.push_back({id, last->seq, std::string(as_view(last->hash))});
  }
  return heads;
}

// What we hold of the child's subtree: it compares (HeadsMsg) and reports itself behind if short.
void SyncNode::send_heads(PeerLink& l, std::uint64_t now_ms) {
  auto heads = subtree_heads(l.peer());
  if (!heads.is_ok()) return;  // a read error: the next interval tries again
  state_.send(l.peer(), HeadsMsg{std::move(heads).value()}, now_ms);
}

void SyncNode::handle_heads(PeerLink& l, const HeadsMsg& m) {
  if (l.peer() != state_.tree.parent && !state_.tree.is_fallback(l.peer())) {
    return state_.refuse(l.peer(), "heads_not_from_parent");
  }
  std::uint64_t behind = 0;
  for (const auto& h : m.heads) {
    if (!state_.roster.in_subtree(h.origin, state_.self)) continue;
    auto mine = state_.store->last_seq(h.origin);
    if (!mine.is_ok()) return;
    if (h.seq > *mine) {
      behind += h.seq - *mine;
      continue;
    }
    // Same seq, other event: one of the two histories is not the other's (an equivocation the
    // evidence exchange has not settled yet). Not in step until it has.
    auto ours = state_.store->get_event(h.origin, h.seq);
    if (!ours.is_ok()) return;
    if (*ours && std::string_view(as_view((*ours)->hash)) != h.hash &&
        !evidence_.find(h.origin, h.seq)) {
      behind += 1;
    }
  }
  // Short of what any parent holds is short: the largest gap stands until that parent's next heads.
  behind_by_parent_[l.peer()] = behind;
  events_behind_ = 0;
  for (const auto& [peer, n] : behind_by_parent_) events_behind_ = std::max(events_behind_, n);
}

// The highest seq of `origin` held here (urgent events may arrive ahead of the rest of their
// origin's sequence). A read error is an error, never "none": a sequence decision rests on it.
Result<std::optional<EventRecord>> SyncNode::last_event_of(const std::string& origin) {
  ASSIGN_OR_RETURN(std::uint64_t last, state_.store->last_seq(origin));
  if (last == 0) return std::optional<EventRecord>();
  return state_.store->get_event(origin, last);
}

void SyncNode::take_ack(PeerLink& l, std::uint64_t applied_pos, std::uint64_t now_ms) {
  const std::uint64_t before = l.checkpoint().sent_acked_pos;
  // Acks and heartbeats carry no epoch: while we restore, a peer that has not re-synced us yet
  // counts the feed we had before, whose positions past our restore point are reused (seed
  // 20261330089: a street took its community's old count for positions of its new feed, skipped
  // them, and said so in its Hellos, which the community took for its own rollback).
  if (auto point = restore_.restore_point(l.peer())) applied_pos = std::min(applied_pos, *point);
  if (l.on_ack(applied_pos, now_ms) == PeerLink::AckResult::kBeyondSent) {
    state_.refuse(l.peer(), "ack_beyond_sent");
  }
  CASESYNC_CHECK(l.checkpoint().sent_acked_pos >= before, "acknowledged positions only grow");
}

void SyncNode::on_tick(std::uint64_t wall_ms) {
  const std::uint64_t now_ms = state_.time.read(wall_ms);
  for (auto& [peer, l] : state_.links) {
    if (l->check_timeout(now_ms)) {
      link_lost(*l);
      state_.alert(AlertKind::kPeerDown, peer,
                   "no message for " + std::to_string(state_.limits.peer_timeout_ms) + " ms");
    }
    // Only the child opens a session: a parent cannot reach a child behind NAT.
    const bool dialled = peer == state_.tree.parent || peer == fallback_to_dial();
    if (dialled && l->hello_due(now_ms)) send_hello(*l, /*is_reply=*/false, now_ms);
    if (restore_.should_ask_again(peer, now_ms)) send_hello(*l, /*is_reply=*/false, now_ms);
    if (l->heartbeat_due(now_ms)) {
      state_.send(peer, HeartbeatMsg{state_.id.clock.last(), state_.time.wall_ms(),
                                     l->checkpoint().recv_applied_pos, state_.roster.version,
                                     policy_version()},
                  now_ms);
    }
    feed_.resend_due(*l, now_ms);
    if (auto h = holding_.find(peer); h != holding_.end() && !h->second.alerted &&
                                      elapsed_ms(now_ms, h->second.since_ms) >= kHeldAlertMs) {
      h->second.alerted = true;
      state_.alert(AlertKind::kHeld, peer,
                   "the feed from " + peer + " waits: " + h->second.detail + " (" +
                       h->second.reason + "); it is offered again until it can be stored");
    }
  }
  if (!evidence_.all().empty() && elapsed_ms(now_ms, last_evidence_ms_) >= kEvidenceIntervalMs) {
    last_evidence_ms_ = now_ms;
    for (auto& [peer, l] : state_.links) {
      if (l->state() != LinkState::kUp) continue;
      send_evidence(peer, now_ms);
    }
  }
  if (last_heads_ms_ == 0 || elapsed_ms(now_ms, last_heads_ms_) >= kHeadsIntervalMs) {
    last_heads_ms_ = now_ms;
    // Children, and children that fell back to us: each compares against its parent of the moment.
    for (const auto* kids : {&state_.tree.children, &state_.tree.fallback_children}) {
      for (const auto& c : *kids) {
        if (PeerLink* l = state_.link(c); l && l->state() == LinkState::kUp) send_heads(*l, now_ms);
      }
    }
  }
  parents_.tick(now_ms);
  outbox_cap_.tick(now_ms);
  feed_.persist_acks();
  maybe_complete_restore(now_ms);
  health_.tick(parents_.current(), now_ms);
  pump(now_ms);
}

void SyncNode::pump(std::uint64_t now_ms) {
  for (auto& [peer, l] : state_.links) {
    urgent_.pump(*l, now_ms);  // first, so it is ahead of the batches in the socket's queue
    feed_.pump(*l, now_ms);
  }
}

std::uint32_t SyncNode::next_jitter() {
  // xorshift64: deterministic per node (the simulator replays it), different between nodes.
  jitter_state_ ^= jitter_state_ << 13;
  jitter_state_ ^= jitter_state_ >> 7;
  jitter_state_ ^= jitter_state_ << 17;
  return static_cast<std::uint32_t>(jitter_state_ % 1000);
}

// ---------------------------------------------------------------- restore

void SyncNode::maybe_complete_restore(std::uint64_t now_ms) {
  if (!restore_.ready()) return;
  ApplyTxn txn(&state_);
  if (!txn.begun().is_ok()) return;
  Status st = restore_.complete();
  if (!st.is_ok()) return txn.rollback(st, "completing the restore");
  restore_.completed();  // so the receipts below may be signed
  st = sign_owed_receipts(now_ms);
  if (st.is_ok()) st = txn.commit("completing the restore");
  if (!st.is_ok()) {
    // Still restoring: the next tick tries again.
    (void)restore_.load(state_.time.wall_ms());
    return;
  }
  // A restored parent waits for word that we finished (HelloMsg::restoring).
  for (auto& [peer, l] : state_.links) {
    if (l->state() == LinkState::kUp) send_hello(*l, /*is_reply=*/false, now_ms);
  }
  pump(now_ms);
}

// ---------------------------------------------------------------- roster

void SyncNode::set_roster_source(RosterMsg current, RosterOpener opener) {
  roster_gossip_.set_current(doc_of(current));
  roster_opener_ = std::move(opener);
}

void SyncNode::adopt_roster(Roster roster) {
  state_.roster = std::move(roster);
  // Our own place in the tree does not move (sync/roster_rules.h); new children and children
  // falling back to us may appear.
  state_.tree = Tree::of(state_.roster, state_.self);
  std::vector<std::string> peers = state_.tree.children;
  peers.insert(peers.end(), state_.tree.fallback_children.begin(),
               state_.tree.fallback_children.end());
  for (const auto& c : peers) {
    if (state_.links.count(c)) continue;
    auto cp = state_.store->load_checkpoint(c);
    state_.links[c] = std::make_unique<PeerLink>(c, state_.limits, cp.is_ok() ? *cp : PeerCheckpoint{});
    outbox_cap_.note_link(c);
  }
  // The fold reads only what never changes for a rostered node, so the case cache stays valid.
  if (Status st = drop_dead_outboxes(); !st.is_ok()) {
    state_.commit_failed(st, "dropping the outbox of a revoked peer");
  }
}

Status SyncNode::install_roster(const RosterMsg& m, std::uint64_t wall_ms) {
  const std::uint64_t now_ms = state_.time.read(wall_ms);
  return roster_gossip_.install(doc_of(m), now_ms);
}

// ---------------------------------------------------------------- the policy bundle

void SyncNode::set_policy_source(SignedDoc current, DocOpener opener) {
  policy_gossip_.set_current(std::move(current));
  policy_opener_ = std::move(opener);
}

Status SyncNode::install_policy(const SignedDoc& doc, std::uint64_t wall_ms) {
  return policy_gossip_.install(doc, state_.time.read(wall_ms));
}

void SyncNode::handle_doc(const std::string& peer, const DocMsg& m, std::uint64_t now_ms) {
  if (m.kind != "policy") {
    state_.refuse(peer, "unknown_doc_kind");
    state_.alert(AlertKind::kBadInput, peer, "a document of unknown kind " + m.kind + "; ignored");
    return;
  }
  policy_gossip_.received(peer, SignedDoc{m.version, m.text, m.signature}, now_ms);
}

// ---------------------------------------------------------------- health and status

HealthReport SyncNode::own_health(std::uint64_t wall_ms) {
  return health_.own(state_.time.read(wall_ms));
}

void SyncNode::fill_health(HealthReport& r, std::uint64_t now_ms) {
  for (const auto& l : links()) {
    r.links.push_back({l.peer, l.is_parent, l.state == LinkState::kUp, l.backlog_events,
                       HybridClock::millis(l.backlog_oldest_hlc), l.sent_acked_pos,
                       l.recv_applied_pos, l.srtt_ms, l.clock_offset_ms,
                       l.last_heard_ms ? elapsed_ms(now_ms, l.last_heard_ms) : UINT64_MAX});
    if (!l.held_reason.empty()) r.held[l.held_reason]++;
  }
  if (restore_.active()) r.restoring = restore_.waiting_for();
  r.events_behind = events_behind_;
  r.equivocating_origins = evidence_.origins();
  r.policy_version = policy_version();
}

std::vector<LinkStatus> SyncNode::links() {
  std::vector<LinkStatus> out;
  const Tree& t = state_.tree;
  for (auto& [peer, l] : state_.links) {
    LinkStatus s;
    s.peer = peer;
    s.is_parent = peer == t.parent || t.is_fallback(peer);
    s.is_fallback = s.is_parent ? peer != t.parent : t.is_fallback_child(peer);
    s.state = l->state();
    s.sent_acked_pos = l->checkpoint().sent_acked_pos;
    s.recv_applied_pos = l->checkpoint().recv_applied_pos;
    s.in_flight_batches = l->in_flight_count();
    s.last_heard_ms = l->last_heard_ms();
    s.srtt_ms = l->srtt_ms();
    s.min_rtt_ms = l->min_rtt_ms();
    s.rto_ms = l->rto_ms();
    s.in_flight_bytes = l->in_flight_bytes();
    s.window_bytes = l->window_bytes();
    s.batch_bytes = l->batch_bytes_target();
    s.delivery_rate_bps = l->delivery_rate_bps();
    s.last_ack_ms = l->last_ack_ms();
    if (auto it = clock_offsets_ms_.find(peer); it != clock_offsets_ms_.end()) {
      s.clock_offset_ms = it->second;
    }
    if (auto it = holding_.find(peer); it != holding_.end()) s.held_reason = it->second.reason;
    s.outbox_capped = outbox_cap_.behind_from(peer).has_value();
    if (auto os = state_.store->outbox_stats(peer, s.sent_acked_pos); os.is_ok()) {
      s.backlog_events = os->pending;
      s.backlog_oldest_hlc = os->oldest_pending_hlc;
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace casesync
