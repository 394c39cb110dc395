#include "sync/sync_node.h"

#include <algorithm>
#include <cassert>
#include <set>

#include "common/crc32c.h"
#include "common/elapsed.h"
#include "sync/case_kinds.h"
#include "sync/health_report.h"
#include "sync/case_rules.h"
#include "sync/frame_compression.h"
#include "sync/limits.h"
#include "sync/routing.h"

namespace casesync {

namespace {
constexpr const char* kMetaNextSeq = "next_seq";
constexpr const char* kMetaHlc = "hlc";
constexpr const char* kMetaLastHash = "last_hash";
constexpr const char* kMetaRestoreEpoch = "restore_epoch";
}  // namespace

const char* alert_kind_name(AlertKind kind) {
  switch (kind) {
    case AlertKind::kEquivocation: return "equivocation";
    case AlertKind::kDiskTrouble: return "disk_trouble";
    case AlertKind::kPeerDown: return "peer_down";
    case AlertKind::kPeerUp: return "peer_up";
    case AlertKind::kBadInput: return "bad_input";
    case AlertKind::kRosterInstalled: return "roster_installed";
  }
  return "unknown";
}

SyncNode::SyncNode(std::string self, Roster roster, SyncLimits limits, Store* store,
                   const crypto::SecretKey* secret)
    : self_(std::move(self)),
      roster_(std::move(roster)),
      limits_(limits),
      store_(store),
      secret_(secret),
      cases_(store, &roster_) {
  const RosterNode* me = roster_.find(self_);
  assert(me && "the node must be in its own roster (checked when the config is loaded)");
  parent_ = me->parent;
  children_ = roster_.children_of(self_);
  fallbacks_ = me->fallback_parents;
  for (const auto& [id, n] : roster_.nodes()) {
    if (n.parent != self_ &&
        std::find(n.fallback_parents.begin(), n.fallback_parents.end(), self_) != n.fallback_parents.end()) {
      fallback_children_.push_back(id);
    }
  }
  jitter_state_ = 0x9E3779B97F4A7C15ull ^ crc32c(self_);
}

Status SyncNode::start(std::uint64_t now_ms) {
  assert(!started_);
  RETURN_IF_ERROR(load_identity_state());
  std::vector<std::string> peers = children_;
  if (!parent_.empty()) peers.push_back(parent_);
  peers.insert(peers.end(), fallbacks_.begin(), fallbacks_.end());
  peers.insert(peers.end(), fallback_children_.begin(), fallback_children_.end());
  for (const auto& p : peers) {
    ASSIGN_OR_RETURN(PeerCheckpoint cp, store_->load_checkpoint(p));
    links_[p] = std::make_unique<PeerLink>(p, limits_, cp);
  }
  started_ = true;
  started_ms_ = now_ms;
  primary_down_since_ms_ = now_ms;
  on_tick(now_ms);
  return Status::ok();
}

Status SyncNode::load_identity_state() {
  ASSIGN_OR_RETURN(auto seq, store_->get_meta(kMetaNextSeq));
  ASSIGN_OR_RETURN(auto hlc, store_->get_meta(kMetaHlc));
  ASSIGN_OR_RETURN(auto last, store_->get_meta(kMetaLastHash));
  ASSIGN_OR_RETURN(auto epoch, store_->get_meta(kMetaRestoreEpoch));
  if (seq) next_seq_ = std::stoull(*seq);
  if (epoch) epoch_ = std::stoull(*epoch);
  if (hlc) clock_ = HybridClock(std::stoull(*hlc));
  if (last) {
    auto h = hash_from_hex(*last);
    if (!h) return Status::error(Code::kCorruption, "meta.last_hash is not a hash");
    last_hash_ = *h;
  }
  return Status::ok();
}

Status SyncNode::restored_from_backup(std::uint64_t now_ms) {
  // The epoch must differ from every earlier one even when an old backup is restored twice (its
  // stored epoch is then the same both times): the restore's wall-clock time makes it so.
  ASSIGN_OR_RETURN(auto stored, store_->get_meta(kMetaRestoreEpoch));
  const std::uint64_t epoch = std::max<std::uint64_t>((stored ? std::stoull(*stored) : 0) + 1, now_ms);
  RETURN_IF_ERROR(store_->begin());
  Status st = store_->put_meta(kMetaRestoreEpoch, std::to_string(epoch));
  if (st.is_ok() && parent_.empty()) {
    // The district has no parent to say where its sequence stood, and what it signed after the
    // backup may sit at any node below, offline for days: continue in a range no earlier
    // incarnation can have used (restore time in ms << 20; a gap, never a reuse).
    ASSIGN_OR_RETURN(auto seq, store_->get_meta(kMetaNextSeq));
    const std::uint64_t jumped = std::max<std::uint64_t>(seq ? std::stoull(*seq) : 1, (epoch << 20) + 1);
    st = store_->put_meta(kMetaNextSeq, std::to_string(jumped));
  }
  if (st.is_ok()) st = store_->commit();
  if (!st.is_ok()) {
    store_->rollback();
    return st;
  }
  epoch_ = epoch;
  awaiting_parent_seq_ = !parent_.empty();
  return Status::ok();
}

Status SyncNode::persist_identity_state() {
  RETURN_IF_ERROR(store_->put_meta(kMetaNextSeq, std::to_string(next_seq_)));
  RETURN_IF_ERROR(store_->put_meta(kMetaHlc, std::to_string(clock_.last())));
  return store_->put_meta(kMetaLastHash, to_hex(last_hash_));
}

PeerLink* SyncNode::link(const std::string& peer) {
  auto it = links_.find(peer);
  return it == links_.end() ? nullptr : it->second.get();
}

// ---------------------------------------------------------------- local writes

Result<EventRecord> SyncNode::seal_local(EventDraft draft, std::uint64_t now_ms) {
  if (awaiting_parent_seq_) {
    return Status::error(Code::kUnavailable,
                         "this node was restored from a backup and waits for its parent " + parent_ +
                             " to confirm its last sequence number; try again once the link is up");
  }
  Event e;
  e.origin = self_;
  e.case_id = std::move(draft.case_id);
  e.kind = std::move(draft.kind);
  e.body = std::move(draft.body);
  ASSIGN_OR_RETURN(e.parents, cases_.heads(e.case_id));
  if (e.parents.size() > limits::kParentsMax) e.parents.resize(limits::kParentsMax);
  e.seq = next_seq_;
  e.hlc = clock_.now(now_ms);
  e.prev = last_hash_;
  // Check our own limits before signing: a local write must never produce an event that every
  // other node would refuse.
  std::string encoded = encode_event(e);
  RETURN_IF_ERROR(decode_event(encoded).status());
  ASSIGN_OR_RETURN(CaseState view, cases_.current_state(e.case_id));
  if (Verdict v = check_event(e, view, roster_); !v.ok) {
    return Status::error(Code::kUnauthorized, v.reason);
  }
  EventRecord r = seal_event(e, *secret_);
  RETURN_IF_ERROR(store_and_route(r, e, ""));
  next_seq_++;
  last_hash_ = r.hash;
  return r;
}

Result<EventRecord> SyncNode::author(EventDraft draft, std::uint64_t now_ms) {
  std::vector<EventDraft> one;
  one.push_back(std::move(draft));
  ASSIGN_OR_RETURN(auto records, author_batch(std::move(one), now_ms));
  return records.front();
}

Result<std::vector<EventRecord>> SyncNode::author_batch(std::vector<EventDraft> drafts,
                                                        std::uint64_t now_ms) {
  assert(started_);
  if (disk_trouble_) {
    // Try anyway: the disk may have room again. A failure below keeps the flag.
  }
  const std::uint64_t seq_before = next_seq_;
  const Hash32 hash_before = last_hash_;
  RETURN_IF_ERROR(store_->begin());
  std::vector<EventRecord> out;
  out.reserve(drafts.size());
  Status st;
  for (auto& d : drafts) {
    auto r = seal_local(std::move(d), now_ms);
    if (!r.is_ok()) {
      st = r.status();
      break;
    }
    out.push_back(std::move(r).value());
  }
  if (st.is_ok()) st = persist_identity_state();
  if (st.is_ok()) st = store_->commit();
  if (!st.is_ok()) {
    store_->rollback();
    cases_.clear();
    // Nothing was released, so the sequence numbers can be used again.
    next_seq_ = seq_before;
    last_hash_ = hash_before;
    if (st.code() == Code::kDiskFull || st.code() == Code::kIoError) commit_failed(st, "local write");
    return st;
  }
  disk_trouble_ = false;
  counters_.events_authored += out.size();
  pump(now_ms);
  return out;
}

// ---------------------------------------------------------------- storing and routing

Status SyncNode::store_and_route(const EventRecord& record, const Event& event,
                                 const std::string& from_peer, std::uint64_t* inserted) {
  ASSIGN_OR_RETURN(InsertResult ins, store_->insert_event(record));
  if (ins.outcome == InsertOutcome::kInserted && inserted) ++*inserted;
  if (ins.outcome == InsertOutcome::kDuplicate) {
    counters_.events_duplicate++;
    return Status::ok();
  }
  if (ins.outcome == InsertOutcome::kEquivocation) {
    counters_.equivocations++;
    counters_.reject(from_peer.empty() ? self_ : from_peer, "equivocation");
    alerts_.push_back({AlertKind::kEquivocation, from_peer,
                       "origin " + record.origin + " signed two different events as seq " +
                           std::to_string(record.seq) + " (held " + to_hex(ins.existing_hash) +
                           ", received " + to_hex(record.hash) + ")"});
    return Status::ok();
  }
  cases_.on_stored(record, event);
  std::vector<std::string> newly;
  for (const auto& n : audience_additions(event)) {
    ASSIGN_OR_RETURN(bool added, store_->add_audience(event.case_id, n));
    if (added) newly.push_back(n);
  }
  ASSIGN_OR_RETURN(auto audience, store_->case_audience(event.case_id));
  // Children that dial us as their fallback parent get new events like our own children while
  // that link is up (their primary gets them too; a duplicate is dropped on arrival).
  std::vector<std::string> children = children_;
  for (const auto& c : fallback_children_) {
    if (PeerLink* l = link(c); l && l->state() == LinkState::kUp) children.push_back(c);
  }
  RouteInput in{&roster_, self_, parent_, children, from_peer};
  RouteDecision d = decide_route(in, event, audience, newly);
  if (d.to_parent) {
    RETURN_IF_ERROR(store_->enqueue(parent_, record.origin, record.seq).status());
    queue_urgent(parent_, record);
    // While on a fallback, upward events go both ways: the primary needs them when it is back.
    if (!active_fallback_.empty() && from_peer != active_fallback_) {
      RETURN_IF_ERROR(store_->enqueue(active_fallback_, record.origin, record.seq).status());
      queue_urgent(active_fallback_, record);
    }
  }
  for (const auto& c : d.children) {
    RETURN_IF_ERROR(store_->enqueue(c, record.origin, record.seq).status());
    queue_urgent(c, record);
  }
  for (const auto& c : d.children_backfill) RETURN_IF_ERROR(enqueue_backfill(c, event.case_id));
  return Status::ok();
}

Status SyncNode::enqueue_backfill(const std::string& child, const std::string& case_id) {
  ASSIGN_OR_RETURN(auto records, store_->case_events(case_id));
  for (const auto& r : records) {
    if (roster_.in_subtree(r.origin, child)) continue;  // the child's subtree wrote it
    RETURN_IF_ERROR(store_->enqueue(child, r.origin, r.seq).status());
  }
  return Status::ok();
}

void SyncNode::commit_failed(const Status& st, const std::string& what) {
  counters_.commit_failures++;
  if (!disk_trouble_) {
    alerts_.push_back({AlertKind::kDiskTrouble, "",
                       what + " could not be committed (" + st.to_string() +
                           "); acknowledging nothing until the disk recovers"});
  }
  disk_trouble_ = true;
}

// ---------------------------------------------------------------- inputs

void SyncNode::on_link_up(const std::string& peer, std::uint64_t now_ms) {
  PeerLink* l = link(peer);
  if (!l) return;
  send_hello(*l, /*is_reply=*/false, now_ms);
}

void SyncNode::on_link_down(const std::string& peer, std::uint64_t /*now_ms*/) {
  PeerLink* l = link(peer);
  if (!l || l->state() == LinkState::kDown) return;
  l->set_down();
  alerts_.push_back({AlertKind::kPeerDown, peer, "transport reported the link down"});
}

void SyncNode::on_frame(const std::string& peer, std::string_view frame, std::uint64_t now_ms) {
  PeerLink* l = link(peer);
  if (!l) {
    counters_.reject(peer, "unknown_peer");
    return;
  }
  if (const RosterNode* n = roster_.find(peer); n && n->revoked) {
    counters_.reject(peer, "revoked_peer");
    return;
  }
  PeerCounters& pc = counters_.peers[peer];
  pc.bytes_in += frame.size();
  auto decoded = decode_message(frame);
  if (!decoded.is_ok()) {
    counters_.reject(peer, "malformed_frame");
    alerts_.push_back({AlertKind::kBadInput, peer, decoded.status().message()});
    return;
  }
  l->on_heard(now_ms);
  Message& m = decoded.value();
  if (auto* hello = std::get_if<HelloMsg>(&m)) {
    handle_hello(*l, *hello, now_ms);
    return;
  }
  const bool idle_fallback = peer != active_fallback_ &&
                             std::find(fallbacks_.begin(), fallbacks_.end(), peer) != fallbacks_.end();
  if (l->state() == LinkState::kDown && !idle_fallback) send_hello(*l, /*is_reply=*/false, now_ms);
  if (auto* ack = std::get_if<AckMsg>(&m)) {
    take_ack(*l, ack->applied_pos, now_ms);
  } else if (auto* hb = std::get_if<HeartbeatMsg>(&m)) {
    take_ack(*l, hb->applied_pos, now_ms);
    clock_offsets_ms_[peer] =
        static_cast<std::int64_t>(hb->wall_ms) - static_cast<std::int64_t>(now_ms);
  } else if (auto* batch = std::get_if<BatchMsg>(&m)) {
    handle_batch(*l, std::move(*batch), now_ms);
  } else if (auto* health = std::get_if<HealthMsg>(&m)) {
    handle_health(*l, *health, now_ms);
  } else if (auto* roster = std::get_if<RosterMsg>(&m)) {
    handle_roster(*l, *roster, now_ms);
  } else if (auto* urgent = std::get_if<UrgentMsg>(&m)) {
    handle_urgent(*l, *urgent, now_ms);
  } else if (auto* uack = std::get_if<UrgentAckMsg>(&m)) {
    handle_urgent_ack(*l, *uack);
  }
  resend_due(*l, now_ms);
  pump(now_ms);
}

void SyncNode::handle_hello(PeerLink& l, const HelloMsg& m, std::uint64_t now_ms) {
  if (m.node_id != l.peer()) {
    counters_.reject(l.peer(), "identity_mismatch");
    alerts_.push_back({AlertKind::kBadInput, l.peer(),
                       "hello names node " + m.node_id + " on the link of " + l.peer()});
    return;
  }
  const std::uint64_t known_epoch = l.checkpoint().peer_epoch;
  if (m.epoch < known_epoch) {
    // Sent before the peer's restore and delayed until after it: what it says is no longer true.
    counters_.reject(l.peer(), "stale_hello");
    return;
  }
  bool was_down = l.state() == LinkState::kDown;
  if (m.epoch > known_epoch) rejoin_restored_peer(l, m);
  if (l.peer() == parent_) {
    adopt_sequence_from_parent(m);
    awaiting_parent_seq_ = false;
  }
  // Never past what our outbox ever held: a peer that has not yet seen our own restore still
  // counts positions of the feed we had before it.
  std::uint64_t outbox_last = l.highest_sent_pos();
  if (auto os = store_->outbox_stats(l.peer(), l.checkpoint().sent_acked_pos); os.is_ok()) {
    outbox_last = std::max(outbox_last, os->last_pos);
  }
  l.on_hello(std::min(m.applied_pos, outbox_last), now_ms);
  rebuild_urgent(l);
  peer_roster_version_[l.peer()] = m.roster_version;
  clock_offsets_ms_[l.peer()] =
      static_cast<std::int64_t>(m.wall_ms) - static_cast<std::int64_t>(now_ms);
  if (was_down) alerts_.push_back({AlertKind::kPeerUp, l.peer(), "link up"});
  if (!m.is_reply) send_hello(l, /*is_reply=*/true, now_ms);
  if (m.roster_version < roster_.version && roster_blob_.version == roster_.version) {
    send(l.peer(), roster_blob_, now_ms);
  }
  pump(now_ms);
}

void SyncNode::handle_batch(PeerLink& l, BatchMsg batch, std::uint64_t now_ms) {
  switch (l.classify(batch)) {
    case BatchVerdict::kDuplicate:
      break;
    case BatchVerdict::kBufferAhead:
      if (!l.buffer_ahead(std::move(batch))) counters_.reject(l.peer(), "ahead_buffer_full");
      break;
    case BatchVerdict::kApplyNow: {
      Status st = apply_batch(l, batch, now_ms);
      BatchMsg next;
      while (st.is_ok() && l.take_next_buffered(&next)) st = apply_batch(l, next, now_ms);
      // A failed commit acknowledges nothing new; a bad event acknowledges what came before it.
      if (!st.is_ok() && st.code() != Code::kCorruption) return;
      break;
    }
  }
  send(l.peer(), AckMsg{l.checkpoint().recv_applied_pos}, now_ms);
}

std::vector<bool> SyncNode::verify_signatures(const std::vector<WireEvent>& events,
                                              std::size_t first) {
  std::vector<crypto::SignedMessage> items;
  items.reserve(events.size() - first);
  for (std::size_t i = first; i < events.size(); ++i) {
    const WireEvent& w = events[i];
    const RosterNode* origin = roster_.find(w.origin);
    // An unknown origin gets no key and fails here; admit() counts it under its own reason.
    items.push_back({origin ? std::string_view(origin->sign_public_key) : std::string_view(),
                     w.signed_bytes, w.signature});
  }
  std::vector<bool> verdicts = verifier_->verify_all(crypto::kEventDomain, items);
  assert(verdicts.size() == items.size() && "a BatchVerifier gives one verdict per item");
  return verdicts;
}

std::optional<std::pair<EventRecord, Event>> SyncNode::admit(const std::string& peer,
                                                             const WireEvent& w,
                                                             bool signature_ok,
                                                             std::uint64_t now_ms) {
  const RosterNode* origin = roster_.find(w.origin);
  if (!origin) {
    counters_.reject(peer, "unknown_origin");
    return std::nullopt;
  }
  if (origin->revoked) {
    counters_.reject(peer, "revoked_origin");
    return std::nullopt;
  }
  if (!signature_ok) {
    counters_.reject(peer, "bad_signature");
    return std::nullopt;
  }
  EventRecord r;
  r.origin = w.origin;
  r.signed_bytes = w.signed_bytes;
  r.signature = w.signature;
  auto opened = open_verified_event(r);
  if (!opened.is_ok()) {
    counters_.reject(peer, opened.status().code() == Code::kUnauthorized ? "origin_mismatch"
                                                                         : "malformed_event");
    return std::nullopt;
  }
  Event& e = opened.value();
  r.seq = e.seq;
  r.hlc = e.hlc;
  r.case_id = e.case_id;
  r.kind = e.kind;
  r.hash = crypto::hash(r.signed_bytes);
  if (HybridClock::millis(e.hlc) <= now_ms + kClockMergeAheadMaxMs) clock_.observe(e.hlc, now_ms);
  return std::make_pair(std::move(r), std::move(e));
}

Result<bool> SyncNode::authorize_remote(const std::string& peer, const EventRecord& r,
                                        const Event& e) {
  // Per-origin chain: when we hold the origin's previous event, this one must name it.
  if (e.seq > 1) {
    ASSIGN_OR_RETURN(auto prev, store_->get_event(e.origin, e.seq - 1));
    if (prev && prev->hash != e.prev) {
      counters_.reject(peer, "chain_break");
      alerts_.push_back({AlertKind::kEquivocation, peer,
                         "origin " + e.origin + " seq " + std::to_string(e.seq) +
                             " does not follow the seq " + std::to_string(e.seq - 1) +
                             " held here: a rewritten history"});
      return false;
    }
  }
  ASSIGN_OR_RETURN(auto past, cases_.causal_state(e));
  if (!past) return true;  // an ancestor is missing here: the fold decides
  Verdict v = check_event(e, *past, roster_);
  if (v.ok) return true;
  counters_.reject(peer, "unauthorized");
  alerts_.push_back({AlertKind::kBadInput, peer,
                     "refused " + e.kind + " " + r.origin + ":" + std::to_string(r.seq) +
                         " on case " + e.case_id + ": " + v.reason});
  return false;
}

Status SyncNode::sign_delivery_receipts(const std::vector<Event>& forwards, std::uint64_t now_ms) {
  for (const auto& f : forwards) {
    // Already signed (a restored node gets its own receipts back before the forwards).
    ASSIGN_OR_RETURN(CaseState state, cases_.current_state(f.case_id));
    if (const Hop* hop = state.find_hop(f.origin + ":" + std::to_string(f.seq));
        hop && hop->stage != HopStage::kForwarded) {
      continue;
    }
    EventDraft d{f.case_id, std::string(kinds::kDelivered), {}};
    d.body[std::string(kinds::kHop)] = f.origin + ":" + std::to_string(f.seq);
    d.body[std::string(kinds::kForwardHash)] = to_hex(crypto::hash(encode_event(f)));
    d.body[std::string(kinds::kReceivedAt)] = std::to_string(now_ms);
    auto r = seal_local(std::move(d), now_ms);
    // A receipt refused by the rules (e.g. the case is closed) is not an error of the batch.
    if (!r.is_ok() && r.status().code() != Code::kUnauthorized) return r.status();
  }
  return Status::ok();
}

Status SyncNode::apply_batch(PeerLink& l, const BatchMsg& batch, std::uint64_t now_ms) {
  const std::uint64_t applied = l.checkpoint().recv_applied_pos;
  assert(batch.first_pos <= applied + 1 && batch.last_pos() > applied);
  const std::uint64_t applied_before = counters_.events_applied;
  const std::uint64_t seq_before = next_seq_;
  const Hash32 hash_before = last_hash_;
  std::vector<Event> forwards_to_me;
  const std::size_t first_new = applied + 1 - batch.first_pos;
  const std::vector<bool> verified = verify_signatures(batch.events, first_new);
  Status st = store_->begin();
  // An event that fails verification may have been damaged on the way: apply the events before
  // it and acknowledge only those, so the sender resends it. Skipping it would lose it for good.
  std::uint64_t last_good = batch.last_pos();
  for (std::uint64_t pos = applied + 1; st.is_ok() && pos <= batch.last_pos(); ++pos) {
    const std::size_t i = pos - batch.first_pos;
    auto a = admit(l.peer(), batch.events[i], verified[i - first_new], now_ms);
    if (!a) {
      last_good = pos - 1;
      break;
    }
    auto ok = authorize_remote(l.peer(), a->first, a->second);
    if (!ok.is_ok()) st = ok.status();
    if (!st.is_ok() || !*ok) continue;
    auto before = counters_.events_applied;
    st = store_and_route(a->first, a->second, l.peer(), &counters_.events_applied);
    if (st.is_ok() && counters_.events_applied > before && a->second.kind == kForwardKind &&
        a->second.field("to") == self_) {
      forwards_to_me.push_back(a->second);
    }
  }
  // The receipt commits with the forward: the case is never durably here without its receipt.
  if (st.is_ok()) st = sign_delivery_receipts(forwards_to_me, now_ms);
  PeerCheckpoint cp = l.checkpoint();
  cp.recv_applied_pos = last_good;
  if (st.is_ok()) st = store_->save_checkpoint(l.peer(), cp);
  if (st.is_ok()) st = persist_identity_state();
  if (st.is_ok()) st = store_->commit();
  if (!st.is_ok()) {
    undo_apply(st, applied_before, seq_before, hash_before, "a batch from " + l.peer());
    return st;
  }
  disk_trouble_ = false;
  counters_.events_authored += next_seq_ - seq_before;
  l.on_applied(last_good);
  counters_.peers[l.peer()].events_in += last_good - applied;
  if (last_good < batch.last_pos()) {
    return Status::error(Code::kCorruption, "batch from " + l.peer() + " stopped at a bad event");
  }
  return Status::ok();
}

void SyncNode::undo_apply(const Status& st, std::uint64_t applied_before, std::uint64_t seq_before,
                          const Hash32& hash_before, const std::string& what) {
  store_->rollback();
  cases_.clear();
  counters_.events_applied = applied_before;
  next_seq_ = seq_before;
  last_hash_ = hash_before;
  commit_failed(st, what);
}

// ---------------------------------------------------------------- urgent events

bool SyncNode::is_urgent_kind(std::string_view kind) {
  return kind == kinds::kForwarded || kind == kinds::kDelivered || kind == kinds::kAccepted ||
         kind == kinds::kReplied || kind == kinds::kReturned ||
         kind == kinds::kSupplementRequested;
}

void SyncNode::queue_urgent(const std::string& peer, const EventRecord& r) {
  PeerLink* l = link(peer);
  if (!l || l->state() != LinkState::kUp || !is_urgent_kind(r.kind)) return;
  UrgentQueue& q = urgent_[peer];
  if (q.pending.size() < kUrgentPendingMax) q.pending.emplace_back(r.origin, r.seq);
}

// A fresh session: what is urgent in the backlog goes first again (the lists are not persisted).
void SyncNode::rebuild_urgent(PeerLink& l) {
  UrgentQueue& q = urgent_[l.peer()];
  q = UrgentQueue{};
  std::size_t scanned = 0;
  // A read error leaves the list short: the feed still carries everything.
  (void)scan_outbox(l.peer(), l.checkpoint().sent_acked_pos, [&](const OutboxItem& it) {
    if (is_urgent_kind(it.event.kind)) q.pending.emplace_back(it.event.origin, it.event.seq);
    return ++scanned < kUrgentScanMax && q.pending.size() < kUrgentPendingMax;
  });
}

Status SyncNode::scan_outbox(const std::string& peer, std::uint64_t after,
                             const std::function<bool(const OutboxItem&)>& visit) {
  constexpr std::size_t kPageItems = 4096;
  while (true) {
    ASSIGN_OR_RETURN(auto page, store_->read_outbox(peer, after, kPageItems, SIZE_MAX));
    if (page.empty()) return Status::ok();
    for (const auto& it : page) {
      if (!visit(it)) return Status::ok();
    }
    after = page.back().pos;
  }
}

void SyncNode::pump_urgent(PeerLink& l, std::uint64_t now_ms) {
  if (l.state() != LinkState::kUp) return;
  UrgentQueue& q = urgent_[l.peer()];
  if (q.token != 0 && elapsed_ms(now_ms, q.sent_ms) < l.rto_ms()) return;
  if (q.token == 0) {
    if (q.pending.empty()) return;
    q.token = next_urgent_token_++;
    q.count = std::min<std::size_t>(q.pending.size(), kUrgentEventsPerMessage);
  }
  UrgentMsg m{q.token, {}};
  for (std::size_t i = 0; i < q.count; ++i) {
    auto r = store_->get_event(q.pending[i].first, q.pending[i].second);
    if (r.is_ok() && r->has_value()) {
      m.events.push_back({(*r)->origin, (*r)->signed_bytes, (*r)->signature});
    }
  }
  if (m.events.empty()) {  // nothing readable: give up on these, the feed carries them
    q.pending.erase(q.pending.begin(), q.pending.begin() + static_cast<std::ptrdiff_t>(q.count));
    q.token = 0;
    return;
  }
  if (q.sent_ms != 0) counters_.peers[l.peer()].batches_resent++;
  q.sent_ms = now_ms;
  counters_.peers[l.peer()].urgent_out += m.events.size();
  send(l.peer(), m, now_ms);
}

void SyncNode::handle_urgent_ack(PeerLink& l, const UrgentAckMsg& m) {
  UrgentQueue& q = urgent_[l.peer()];
  if (m.token == 0 || m.token != q.token) return;  // a late duplicate
  q.pending.erase(q.pending.begin(), q.pending.begin() + static_cast<std::ptrdiff_t>(q.count));
  q.token = 0;
  q.count = 0;
  q.sent_ms = 0;
}

// Urgent events are applied at once, ahead of the feed. Each is checked like any other; a bad one
// is skipped (the feed delivers or refuses it in order). A failed commit acknowledges nothing.
void SyncNode::handle_urgent(PeerLink& l, const UrgentMsg& m, std::uint64_t now_ms) {
  const std::uint64_t applied_before = counters_.events_applied;
  const std::uint64_t seq_before = next_seq_;
  const Hash32 hash_before = last_hash_;
  std::vector<Event> forwards_to_me;
  const std::vector<bool> verified = verify_signatures(m.events, 0);
  Status st = store_->begin();
  for (std::size_t i = 0; st.is_ok() && i < m.events.size(); ++i) {
    auto a = admit(l.peer(), m.events[i], verified[i], now_ms);
    if (!a) continue;
    // Only on top of its whole past: a node must never hold an event without its ancestors, or
    // its next own event would be judged by others against a past it could not see.
    auto complete = cases_.holds_parents_of(a->second);
    if (!complete.is_ok()) st = complete.status();
    if (!st.is_ok()) continue;
    if (!*complete) {
      counters_.peers[l.peer()].urgent_deferred++;
      continue;
    }
    auto ok = authorize_remote(l.peer(), a->first, a->second);
    if (!ok.is_ok()) st = ok.status();
    if (!st.is_ok() || !*ok) continue;
    const auto before = counters_.events_applied;
    st = store_and_route(a->first, a->second, l.peer(), &counters_.events_applied);
    if (st.is_ok() && counters_.events_applied > before && a->second.kind == kForwardKind &&
        a->second.field("to") == self_) {
      forwards_to_me.push_back(a->second);
    }
  }
  if (st.is_ok()) st = sign_delivery_receipts(forwards_to_me, now_ms);
  if (st.is_ok()) st = persist_identity_state();
  if (st.is_ok()) st = store_->commit();
  if (!st.is_ok()) {
    undo_apply(st, applied_before, seq_before, hash_before, "urgent events from " + l.peer());
    return;
  }
  disk_trouble_ = false;
  counters_.events_authored += next_seq_ - seq_before;
  counters_.peers[l.peer()].urgent_in += counters_.events_applied - applied_before;
  send(l.peer(), UrgentAckMsg{m.token}, now_ms);
}

void SyncNode::on_tick(std::uint64_t now_ms) {
  for (auto& [peer, l] : links_) {
    if (l->check_timeout(now_ms)) {
      alerts_.push_back({AlertKind::kPeerDown, peer,
                         "no message for " + std::to_string(limits_.peer_timeout_ms) + " ms"});
    }
    // Only the child opens a session: a parent cannot reach a child behind NAT.
    if ((peer == parent_ || peer == active_fallback_) && l->hello_due(now_ms)) {
      send_hello(*l, /*is_reply=*/false, now_ms);
    }
    if (l->heartbeat_due(now_ms)) {
      send(peer, HeartbeatMsg{clock_.last(), now_ms, l->checkpoint().recv_applied_pos}, now_ms);
    }
    resend_due(*l, now_ms);
  }
  update_fallback(now_ms);
  persist_acks();
  maybe_report_health(now_ms);
  pump(now_ms);
}

// Fallback parent (docs/ARCHITECTURE.md, "Weak links"): after the primary has been unreachable
// for sync.fallback_after_ms, sync through the first fallback; back to the primary as soon as it
// answers. The fallback gets everything the primary has not acknowledged, then every new upward
// event as well (the primary still gets all of them), so nothing is missing either way and what
// arrives twice is dropped as a duplicate.
void SyncNode::update_fallback(std::uint64_t now_ms) {
  if (fallbacks_.empty() || parent_.empty()) return;
  PeerLink* primary = link(parent_);
  if (primary && primary->state() == LinkState::kUp) {
    primary_down_since_ms_ = 0;
    if (!active_fallback_.empty()) {
      const std::string was = std::exchange(active_fallback_, "");
      if (PeerLink* f = link(was)) f->set_down();
      alerts_.push_back({AlertKind::kPeerUp, parent_,
                         "primary parent " + parent_ + " answers again: leaving fallback " + was});
    }
    return;
  }
  if (primary_down_since_ms_ == 0) primary_down_since_ms_ = now_ms;
  if (!active_fallback_.empty() ||
      elapsed_ms(now_ms, primary_down_since_ms_) < limits_.fallback_after_ms) {
    return;
  }
  Status st = activate_fallback(fallbacks_.front(), now_ms);
  if (!st.is_ok()) commit_failed(st, "switching to fallback parent " + fallbacks_.front());
}

Status SyncNode::activate_fallback(const std::string& fallback, std::uint64_t now_ms) {
  PeerLink* primary = link(parent_);
  const std::uint64_t acked = primary ? primary->checkpoint().sent_acked_pos : 0;
  RETURN_IF_ERROR(store_->begin());
  Status enqueued = Status::ok();
  std::uint64_t handed = 0;
  Status st = scan_outbox(parent_, acked, [&](const OutboxItem& it) {
    enqueued = store_->enqueue(fallback, it.event.origin, it.event.seq).status();
    handed++;
    return enqueued.is_ok();
  });
  if (st.is_ok()) st = enqueued;
  if (st.is_ok()) st = store_->commit();
  if (!st.is_ok()) {
    store_->rollback();
    return st;
  }
  active_fallback_ = fallback;
  alerts_.push_back({AlertKind::kPeerDown, parent_,
                     "primary parent " + parent_ + " unreachable for " +
                         std::to_string(elapsed_ms(now_ms, primary_down_since_ms_) / 1000) +
                         " s: syncing through fallback parent " + fallback + " (" +
                         std::to_string(handed) + " events not yet acknowledged handed over)"});
  return Status::ok();
}

bool SyncNode::is_fallback_child(const std::string& peer) const {
  return std::find(fallback_children_.begin(), fallback_children_.end(), peer) !=
         fallback_children_.end();
}

// The last event of `origin` held here (the highest seq: urgent events may arrive ahead of the
// rest of their origin's sequence).
std::optional<EventRecord> SyncNode::last_event_of(const std::string& origin) {
  auto last = store_->last_seq(origin);
  if (!last.is_ok() || *last == 0) return std::nullopt;
  auto r = store_->get_event(origin, *last);
  return r.is_ok() ? *r : std::nullopt;
}

void SyncNode::take_ack(PeerLink& l, std::uint64_t applied_pos, std::uint64_t now_ms) {
  if (l.on_ack(applied_pos, now_ms) == PeerLink::AckResult::kBeyondSent) {
    counters_.reject(l.peer(), "ack_beyond_sent");
  }
}

// The peer was restored from a backup (its Hello carries a newer restore epoch): it lost what it
// received and wrote after that backup. Everything it lost is still held by its neighbours, so
// each side re-sends it: nothing is lost and, since apply is idempotent, nothing is duplicated.
void SyncNode::rejoin_restored_peer(PeerLink& l, const HelloMsg& m) {
  const std::string peer = l.peer();
  const PeerCheckpoint before = l.checkpoint();
  Status st = store_->begin();
  if (!st.is_ok()) return;  // the Hello is answered again on the next attempt
  // Its feed to us: positions after its restored outbox will be reused for new events.
  if (m.outbox_last_pos < before.recv_applied_pos) l.rewind_applied(m.outbox_last_pos);
  // Our feed to it is rebuilt from what it still holds: first its own events written after its
  // backup (only a parent holds them, since they travel up), so that it has its receipts back
  // before the forwards they answer and signs none twice; then what we had sent it after its
  // backup, from the outbox we keep, or everything it should hold when the backup is older.
  auto os = store_->outbox_stats(peer, before.sent_acked_pos);
  if (!os.is_ok()) st = os.status();
  const std::uint64_t held = st.is_ok() ? std::min(m.applied_pos, os->last_pos) : 0;
  const bool retained = st.is_ok() && (os->last_pos == held ||
                                       (os->first_pos != 0 && os->first_pos <= held + 1));
  std::vector<std::pair<std::string, std::uint64_t>> resend;  // (origin, seq) in feed order
  if (st.is_ok() && retained) {
    st = scan_outbox(peer, held, [&](const OutboxItem& it) {
      resend.emplace_back(it.event.origin, it.event.seq);
      return true;
    });
  }
  if (st.is_ok()) st = store_->reset_outbox(peer, held + 1);
  std::uint64_t own_returned = 0;
  if (st.is_ok() && std::find(children_.begin(), children_.end(), peer) != children_.end()) {
    if (auto last = last_event_of(peer); last && last->seq > m.own_last_seq) {
      for (std::uint64_t seq = m.own_last_seq + 1; st.is_ok() && seq <= last->seq; ++seq) {
        auto stored = store_->get_event(peer, seq);  // a gap: an urgent event came ahead of it
        if (!stored.is_ok()) st = stored.status();
        if (!st.is_ok() || !stored->has_value()) continue;
        st = store_->enqueue(peer, peer, seq).status();
        own_returned++;
      }
    }
  }
  if (st.is_ok() && !retained) st = enqueue_full_resend(peer);
  for (std::size_t i = 0; st.is_ok() && i < resend.size(); ++i) {
    st = store_->enqueue(peer, resend[i].first, resend[i].second).status();
  }
  l.rewind_sent(held);
  l.set_peer_epoch(m.epoch);
  if (st.is_ok()) st = store_->save_checkpoint(peer, l.checkpoint());
  if (st.is_ok()) st = store_->commit();
  if (!st.is_ok()) {
    store_->rollback();
    // Forget the rewinds too, so the next Hello (same epoch, still newer) starts over.
    l = PeerLink(peer, limits_, before);
    commit_failed(st, "re-syncing restored peer " + peer);
    return;
  }
  std::string what = "peer " + peer + " was restored from a backup (restore epoch " +
                     std::to_string(m.epoch) + "): its feed resumes after position " +
                     std::to_string(l.checkpoint().recv_applied_pos) + "; ours is re-sent from " +
                     std::to_string(held + 1) +
                     (retained ? "" : " in full (its backup is older than our retained outbox)");
  if (own_returned) what += ", its own " + std::to_string(own_returned) + " later events first";
  alerts_.push_back({AlertKind::kPeerUp, peer, what});
}

// Every event the peer should hold from us, enqueued again (a full re-send to a restored peer).
Status SyncNode::enqueue_full_resend(const std::string& peer) {
  if (peer == parent_) {
    // Upward: every event written in our subtree.
    std::uint64_t after = 0;
    while (true) {
      ASSIGN_OR_RETURN(auto page, store_->events_after(after, 4096));
      if (page.empty()) return Status::ok();
      for (const auto& r : page) {
        if (roster_.in_subtree(r.origin, self_)) {
          RETURN_IF_ERROR(store_->enqueue(peer, r.origin, r.seq).status());
        }
        after = r.local_seq;
      }
    }
  }
  // Downward: every case whose audience reaches into the child's subtree, whole.
  ASSIGN_OR_RETURN(auto cases, store_->list_cases(SIZE_MAX));
  for (const auto& c : cases) {
    ASSIGN_OR_RETURN(auto audience, store_->case_audience(c.case_id));
    bool reaches = std::any_of(audience.begin(), audience.end(),
                               [&](const std::string& n) { return roster_.in_subtree(n, peer); });
    if (!reaches) continue;
    ASSIGN_OR_RETURN(auto records, store_->case_events(c.case_id));
    for (const auto& r : records) RETURN_IF_ERROR(store_->enqueue(peer, r.origin, r.seq).status());
  }
  return Status::ok();
}

void SyncNode::adopt_sequence_from_parent(const HelloMsg& m) {
  // Only the parent holds this node's own events (they all travel up), and only it is asked: a
  // child claiming a higher sequence must not be able to move ours.
  if (m.your_last_seq >= next_seq_ && m.your_last_hash.size() == 32 &&
      m.your_last_seq < (1ull << 62)) {
    // We signed these before a restore lost them: never sign those numbers again.
    alerts_.push_back({AlertKind::kPeerUp, parent_,
                       "resuming at seq " + std::to_string(m.your_last_seq + 1) +
                           " (this node's later events were lost locally, e.g. restored from a backup)"});
    next_seq_ = m.your_last_seq + 1;
    std::copy(m.your_last_hash.begin(), m.your_last_hash.end(), last_hash_.begin());
    if (store_->begin().is_ok()) {
      Status st = persist_identity_state();
      if (st.is_ok()) st = store_->commit();
      if (!st.is_ok()) store_->rollback();
    }
  }
}

// ---------------------------------------------------------------- roster

void SyncNode::set_roster_source(RosterMsg current, RosterOpener opener) {
  roster_blob_ = std::move(current);
  roster_opener_ = std::move(opener);
}

void SyncNode::adopt_roster(Roster roster) {
  roster_ = std::move(roster);
  const RosterNode* me = roster_.find(self_);
  // Our own place in the tree does not move at runtime: a new parent needs a new config.
  if (me) children_ = roster_.children_of(self_);
  for (const auto& c : children_) {
    if (!links_.count(c)) {
      auto cp = store_->load_checkpoint(c);
      links_[c] = std::make_unique<PeerLink>(c, limits_, cp.is_ok() ? *cp : PeerCheckpoint{});
    }
  }
  cases_.clear();  // authorization depends on roles and revocations
}

Status SyncNode::install_roster(const RosterMsg& m, std::uint64_t now_ms) {
  if (m.version <= roster_.version) {
    return Status::error(Code::kInvalidArgument,
                         "roster version " + std::to_string(m.version) + " is not newer than " +
                             std::to_string(roster_.version) + " held here");
  }
  if (!roster_opener_) return Status::error(Code::kInternal, "no roster opener configured");
  ASSIGN_OR_RETURN(Roster r, roster_opener_(m));
  if (!r.find(self_)) {
    return Status::error(Code::kInvalidArgument, "the new roster does not list this node " + self_);
  }
  adopt_roster(std::move(r));
  roster_blob_ = m;
  roster_update_ = m;
  push_roster(now_ms);
  return Status::ok();
}

std::optional<RosterMsg> SyncNode::take_roster_update() { return std::exchange(roster_update_, std::nullopt); }

void SyncNode::push_roster(std::uint64_t now_ms) {
  for (auto& [peer, l] : links_) {
    if (l->state() != LinkState::kUp) continue;
    auto it = peer_roster_version_.find(peer);
    if (it != peer_roster_version_.end() && it->second >= roster_.version) continue;
    send(peer, roster_blob_, now_ms);
    peer_roster_version_[peer] = roster_.version;
  }
}

void SyncNode::handle_roster(PeerLink& l, const RosterMsg& m, std::uint64_t now_ms) {
  peer_roster_version_[l.peer()] = std::max(peer_roster_version_[l.peer()], m.version);
  if (m.version <= roster_.version) return;  // old news
  Status st = install_roster(m, now_ms);
  if (!st.is_ok()) {
    counters_.reject(l.peer(), "bad_roster");
    alerts_.push_back({AlertKind::kBadInput, l.peer(), "refused roster: " + st.message()});
  } else {
    alerts_.push_back({AlertKind::kRosterInstalled, l.peer(),
                       "installed roster version " + std::to_string(m.version)});
  }
}

// ---------------------------------------------------------------- health

void SyncNode::set_health_options(std::uint64_t interval_ms, std::string software_version) {
  health_interval_ms_ = interval_ms;
  software_version_ = std::move(software_version);
}

void SyncNode::set_health_extras(std::uint32_t stalled_hops, std::vector<std::string> warnings) {
  stalled_hops_ = stalled_hops;
  health_warnings_ = std::move(warnings);
}

HealthReport SyncNode::own_health(std::uint64_t now_ms) {
  HealthReport r;
  r.node = self_;
  r.software_version = software_version_;
  r.generated_ms = now_ms;
  r.hlc = clock_.last();
  r.uptime_s = (now_ms - std::min(now_ms, started_ms_)) / 1000;
  for (const auto& l : links()) {
    r.links.push_back({l.peer, l.is_parent, l.state == LinkState::kUp, l.backlog_events,
                       HybridClock::millis(l.backlog_oldest_hlc), l.sent_acked_pos,
                       l.recv_applied_pos, l.srtt_ms, l.clock_offset_ms,
                       l.last_heard_ms ? now_ms - std::min(now_ms, l.last_heard_ms) : UINT64_MAX});
  }
  if (auto st = store_->stats(); st.is_ok()) {
    r.db_bytes = st->db_bytes;
    r.wal_bytes = st->wal_bytes;
    r.events = st->event_count;
  }
  const NodeCounters& c = counters_;
  std::uint64_t in = 0, out = 0, bin = 0, bout = 0;
  for (const auto& [p, pc] : c.peers) {
    in += pc.events_in, out += pc.events_out, bin += pc.bytes_in, bout += pc.bytes_out;
  }
  r.counters = {{"events_authored", c.events_authored}, {"events_applied", c.events_applied},
                {"events_in", in}, {"events_out", out}, {"bytes_in", bin}, {"bytes_out", bout},
                {"equivocations", c.equivocations}, {"commit_failures", c.commit_failures}};
  r.rejects = c.rejects;
  r.stalled_hops = stalled_hops_;
  r.disk_trouble = disk_trouble_;
  r.warnings = health_warnings_;
  return r;
}

void SyncNode::maybe_report_health(std::uint64_t now_ms) {
  if (last_health_ms_ != 0 && elapsed_ms(now_ms, last_health_ms_) < health_interval_ms_) return;
  last_health_ms_ = now_ms;
  HealthReport r = own_health(now_ms);
  book_.record(r, now_ms);
  const std::string& to = current_parent();
  if (to.empty()) return;
  PeerLink* p = link(to);
  if (!p || p->state() != LinkState::kUp) return;  // the next interval will carry a fresh one
  SignedHealth signed_report = sign_health(r, *secret_);
  send(to, HealthMsg{signed_report.origin, std::move(signed_report.report),
                          std::move(signed_report.signature)},
       now_ms);
}

void SyncNode::handle_health(PeerLink& l, const HealthMsg& m, std::uint64_t now_ms) {
  // A child may only speak for its own subtree.
  const RosterNode* origin = roster_.find(m.origin);
  if (!origin || !roster_.in_subtree(m.origin, l.peer())) {
    counters_.reject(l.peer(), "health_outside_subtree");
    return;
  }
  auto report = open_health({m.origin, m.report, m.signature}, origin->sign_public_key);
  if (!report.is_ok()) {
    counters_.reject(l.peer(), "bad_health_report");
    alerts_.push_back({AlertKind::kBadInput, l.peer(), report.status().message()});
    return;
  }
  if (!book_.record(std::move(report).value(), now_ms)) return;  // stale or duplicate
  if (const std::string& to = current_parent(); !to.empty()) {
    PeerLink* p = link(to);
    if (p && p->state() == LinkState::kUp) send(to, m, now_ms);
  }
}

std::optional<std::uint64_t> SyncNode::in_step_at(const std::string& node) const {
  if (auto at = book_.in_step_at(node, self_, roster_)) return at;
  // Our parent does not report to us; our link to it is the evidence we have.
  if (node == parent_) {
    auto it = links_.find(parent_);
    if (it != links_.end() && it->second->state() == LinkState::kUp) {
      return it->second->last_heard_ms();
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- outputs

void SyncNode::send(const std::string& peer, const Message& m, std::uint64_t now_ms) {
  std::string frame = encode_message(m);
  PeerCounters& pc = counters_.peers[peer];
  pc.bytes_out_uncompressed += frame.size();
  frame = compress_frame(std::move(frame));
  pc.bytes_out += frame.size();
  if (PeerLink* l = link(peer)) l->on_sent(frame.size(), now_ms);
  sends_.push_back({peer, std::move(frame)});
}

void SyncNode::send_hello(PeerLink& l, bool is_reply, std::uint64_t now_ms) {
  HelloMsg h{self_, l.checkpoint().recv_applied_pos, clock_.last(), now_ms,
             static_cast<std::uint8_t>(is_reply ? 1 : 0), roster_.version};
  h.epoch = epoch_;
  h.own_last_seq = next_seq_ - 1;
  if (auto os = store_->outbox_stats(l.peer(), l.checkpoint().sent_acked_pos); os.is_ok()) {
    h.outbox_last_pos = os->last_pos;
  }
  if (auto last = last_event_of(l.peer()); last) {
    h.your_last_seq = last->seq;
    h.your_last_hash = std::string(as_view(last->hash));
  }
  l.on_hello_sent(now_ms, next_jitter());
  send(l.peer(), h, now_ms);
}

void SyncNode::pump(std::uint64_t now_ms) {
  for (auto& [peer, l] : links_) {
    pump_urgent(*l, now_ms);  // first, so it is ahead of the batches in the socket's queue
    pump_link(*l, now_ms);
  }
}

std::uint32_t SyncNode::next_jitter() {
  // xorshift64: deterministic per node (the simulator replays it), different between nodes.
  jitter_state_ ^= jitter_state_ << 13;
  jitter_state_ ^= jitter_state_ >> 7;
  jitter_state_ ^= jitter_state_ << 17;
  return static_cast<std::uint32_t>(jitter_state_ % 1000);
}

void SyncNode::pump_link(PeerLink& l, std::uint64_t now_ms) {
  while (l.window_open()) {
    auto items = store_->read_outbox(l.peer(), l.next_send_pos() - 1, limits_.batch_events_max,
                                     l.batch_bytes_target());
    if (!items.is_ok() || items->empty()) return;
    assert(items->front().pos == l.next_send_pos() && "outbox positions are contiguous");
    BatchMsg b;
    b.first_pos = items->front().pos;
    std::uint64_t bytes = 0;
    for (auto& it : *items) {
      bytes += it.event.signed_bytes.size();
      b.events.push_back({it.event.origin, std::move(it.event.signed_bytes),
                          std::move(it.event.signature)});
    }
    const std::uint64_t last = b.last_pos();
    // Positions sent before (the link broke, the peer was restored) go again: count them.
    std::uint64_t again = 0;
    for (std::uint64_t pos = b.first_pos; pos <= last && l.sent_before(pos); ++pos) again++;
    PeerCounters& pc = counters_.peers[l.peer()];
    pc.events_out += b.events.size();
    const std::uint64_t out_before = pc.bytes_out;
    send(l.peer(), b, now_ms);
    if (again) {
      pc.batches_resent++;
      pc.bytes_resent += (pc.bytes_out - out_before) * again / b.events.size();
    }
    l.on_batch_sent(b.first_pos, last, bytes, now_ms);
  }
}

void SyncNode::resend_due(PeerLink& l, std::uint64_t now_ms) {
  for (InFlightBatch* b : l.due_resends(now_ms)) {
    auto items = store_->read_outbox(l.peer(), b->first_pos - 1,
                                     static_cast<std::size_t>(b->last_pos - b->first_pos + 1),
                                     limits::kBatchBytesMax);
    if (!items.is_ok() || items->empty()) return;
    BatchMsg m;
    m.first_pos = items->front().pos;
    for (auto& it : *items) {
      m.events.push_back({it.event.origin, std::move(it.event.signed_bytes),
                          std::move(it.event.signature)});
    }
    PeerCounters& pc = counters_.peers[l.peer()];
    const std::uint64_t out_before = pc.bytes_out;
    pc.batches_resent++;
    send(l.peer(), m, now_ms);
    pc.bytes_resent += pc.bytes_out - out_before;
    l.on_resent(b, now_ms);
  }
}

void SyncNode::persist_acks() {
  for (auto& [peer, l] : links_) {
    if (!l->ack_dirty()) continue;
    Status st = store_->begin();
    if (st.is_ok()) st = store_->save_checkpoint(peer, l->checkpoint());
    // Acknowledged entries stay a while, to re-send to the peer if it is restored from a backup.
    const std::uint64_t acked = l->checkpoint().sent_acked_pos;
    if (st.is_ok() && acked > limits_.outbox_retain_events) {
      st = store_->trim_outbox(peer, acked - limits_.outbox_retain_events);
    }
    if (st.is_ok()) st = store_->commit();
    if (!st.is_ok()) {
      store_->rollback();
      return;  // acks are re-learned from the peer's next Hello or heartbeat: nothing is lost
    }
    l->clear_ack_dirty();
  }
}

std::vector<SendEffect> SyncNode::take_sends() { return std::exchange(sends_, {}); }
std::vector<Alert> SyncNode::take_alerts() { return std::exchange(alerts_, {}); }

std::vector<LinkStatus> SyncNode::links() {
  std::vector<LinkStatus> out;
  for (auto& [peer, l] : links_) {
    LinkStatus s;
    s.peer = peer;
    s.is_parent = peer == parent_ || peer == active_fallback_ ||
                  std::find(fallbacks_.begin(), fallbacks_.end(), peer) != fallbacks_.end();
    s.is_fallback = s.is_parent ? peer != parent_ : is_fallback_child(peer);
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
    if (auto os = store_->outbox_stats(peer, s.sent_acked_pos); os.is_ok()) {
      s.backlog_events = os->pending;
      s.backlog_oldest_hlc = os->oldest_pending_hlc;
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace casesync
