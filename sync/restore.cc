#include "sync/restore.h"

#include <algorithm>

#include "common/elapsed.h"
#include "sync/case_rules.h"

namespace casesync {

namespace {
// How long a restoring node waits for a neighbour's answer on a link that is up before it asks
// again: a few heartbeats, so one lost Hello costs seconds, not the restore.
constexpr std::uint64_t kRestoreAskAgainMs = 3'000;
constexpr const char* kMetaRestorePoints = "restore_points";  // "peer pos" per line
constexpr const char* kMetaRestoreOwnAfter = "restore_own_after";  // own_last_seq_to_announce

Result<bool> meta_set(Store& store, const char* key) {
  ASSIGN_OR_RETURN(auto v, store.get_meta(key));
  return v.has_value() && !v->empty();
}
}  // namespace

Status Restore::load(std::uint64_t wall_ms) {
  if (!seq_at_start_) seq_at_start_ = state_->id.last_seq();
  for (const auto& [peer, l] : state_->links) {
    if (at_start_.count(peer)) continue;  // loaded again after a failed completion: keep the start
    ASSIGN_OR_RETURN(OutboxStats os, state_->store->outbox_stats(peer, 0));
    at_start_[peer] = os.last_pos;
  }
  ASSIGN_OR_RETURN(bool pending, meta_set(*state_->store, kMetaRestorePending));
  if (pending) {
    return begin(wall_ms, "this database was restored from a backup (casesyncctl restore)");
  }
  ASSIGN_OR_RETURN(active_, meta_set(*state_->store, kMetaRestoring));
  if (!active_) return Status::ok();
  ASSIGN_OR_RETURN(auto own_after, state_->store->get_meta(kMetaRestoreOwnAfter));
  own_after_ = state_->id.last_seq();
  if (own_after && !own_after->empty()) {
    auto v = parse_u64(*own_after);
    if (!v) return Status::error(Code::kCorruption, "meta.restore_own_after: \"" + *own_after + "\"");
    own_after_ = std::min(own_after_, *v);
  }
  return load_points();
}

std::uint64_t Restore::own_last_seq_to_announce() const {
  return active_ ? std::min(own_after_, state_->id.last_seq()) : state_->id.last_seq();
}

Status Restore::load_points() {
  points_.clear();
  ASSIGN_OR_RETURN(auto text, state_->store->get_meta(kMetaRestorePoints));
  std::size_t start = 0;
  while (text && start < text->size()) {
    std::size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    const std::string line = text->substr(start, end - start);
    start = end + 1;
    const auto space = line.rfind(' ');
    auto pos = space == std::string::npos ? std::nullopt : parse_u64(line.substr(space + 1));
    if (!pos) return Status::error(Code::kCorruption, "meta.restore_points: bad line \"" + line + "\"");
    points_[line.substr(0, space)] = *pos;
  }
  return Status::ok();
}

std::optional<std::uint64_t> Restore::restore_point(const std::string& peer) const {
  if (!active_ || heard_.count(peer)) return std::nullopt;
  auto it = points_.find(peer);
  return it == points_.end() ? std::nullopt : std::optional(it->second);
}

Status Restore::begin(std::uint64_t wall_ms, const std::string& why) {
  // The epoch must differ from every earlier one even when an old backup is restored twice (its
  // stored epoch is then the same both times): the restore's wall-clock time makes it so.
  const std::uint64_t epoch = std::max(state_->id.epoch + 1, wall_ms);
  Store& store = *state_->store;
  RETURN_IF_ERROR(store.begin());
  LocalIdentity next = state_->id;
  next.epoch = epoch;
  Status st = next.persist_epoch(store);
  std::map<std::string, std::uint64_t> points;
  std::string text;
  for (const auto& [peer, last] : at_start_) {
    points[peer] = last;
    text += peer + " " + std::to_string(last) + "\n";
  }
  const std::uint64_t own_after = std::min(seq_at_start_.value_or(state_->id.last_seq()),
                                           state_->id.last_seq());
  if (st.is_ok()) st = store.put_meta(kMetaRestorePoints, text);
  if (st.is_ok()) st = store.put_meta(kMetaRestoreOwnAfter, std::to_string(own_after));
  if (st.is_ok()) st = store.put_meta(kMetaRestoring, std::to_string(epoch));
  if (st.is_ok()) st = store.put_meta(kMetaRestorePending, "");
  if (st.is_ok()) st = store.commit();
  if (!st.is_ok()) {
    store.rollback();
    return st;
  }
  state_->id.epoch = epoch;
  active_ = true;
  heard_.clear();
  asked_ms_.clear();
  own_after_ = own_after;
  points_ = std::move(points);
  state_->alert(AlertKind::kRestore, "",
                why + ": restore epoch " + std::to_string(epoch) +
                    "; neighbours re-send what this node lost, and it signs nothing (local writes "
                    "wait) until each has answered and its own events are back");
  return Status::ok();
}

bool Restore::detect(const std::string& peer, const HelloMsg& m, std::uint64_t outbox_last,
                     std::uint64_t applied_pos, bool diverged, bool trusted_positions,
                     std::uint64_t wall_ms) {
  if (active_) return false;
  std::string why;
  bool by_positions = false;
  if (m.your_epoch > state_->id.epoch) {
    // Its Hellos carry an epoch the neighbour already saw replaced, so they are refused as stale
    // for good (seed 20261300021: a community copied back twice from one backup, the second time
    // across its own restore): only a new restore, with an epoch later than both, is heard again.
    if (!trusted_positions) return false;  // a child's word alone does not stop our writes
    state_->alert(AlertKind::kSecurity, peer,
                  "neighbour " + peer + " knows restore epoch " + std::to_string(m.your_epoch) +
                      " of this node, later than its database's " +
                      std::to_string(state_->id.epoch) +
                      " (copied back from a backup older than its last restore)",
                  state_->self);
    return begin(std::max(wall_ms, m.your_epoch + 1),
                 "this node's database is older than its last restore (neighbour " + peer +
                     " knows a later epoch)")
        .is_ok();
  }
  if (m.your_last_seq > state_->id.last_seq()) {
    why = "neighbour " + peer + " holds seq " + std::to_string(m.your_last_seq) +
          " of this node, but its database has signed only through " +
          std::to_string(state_->id.last_seq()) +
          " (rolled back or replaced without `casesyncctl restore`, or this node's key is in use "
          "elsewhere)";
  } else if ((by_positions = m.applied_pos > outbox_last)) {
    why = "neighbour " + peer + " applied this node's feed through position " +
          std::to_string(m.applied_pos) + ", but its database never queued beyond " +
          std::to_string(outbox_last) + " (rolled back or replaced without `casesyncctl restore`)";
  } else if (diverged) {
    why = "neighbour " + peer + " holds a different seq " + std::to_string(m.your_last_seq) +
          " of this node than its database (rolled back or replaced without `casesyncctl "
          "restore` and signed again, or this node's key is in use elsewhere)";
  } else if ((by_positions = m.your_acked_pos > applied_pos)) {
    why = "this node acknowledged neighbour " + peer + "'s feed through position " +
          std::to_string(m.your_acked_pos) + ", but its database applied only " +
          std::to_string(applied_pos) + " (rolled back or replaced without `casesyncctl restore`)";
  } else {
    return false;
  }
  if (by_positions && !trusted_positions) {
    state_->refuse(peer, "unseen_positions", /*peer_at_fault=*/false);
    state_->alert(AlertKind::kBadInput, peer,
                  why + "; not believed from a child: if this node's database was replaced, stop "
                        "it and run `casesyncctl restore`");
    return false;
  }
  state_->alert(AlertKind::kSecurity, peer, why, state_->self);
  return begin(wall_ms, why).is_ok();  // on failure the next Hello tries again
}

void Restore::on_hello(const std::string& peer, const HelloMsg& m) {
  if (active_ && m.your_epoch == state_->id.epoch) {
    heard_[peer] = {m.your_last_seq, m.outbox_last_pos, m.restoring != 0};
  }
}

// Parent and children always come back, so they are waited for. A fallback neighbour (our
// fallback parent, a child that may fall back to us) is connected only while a fallback session
// runs: waited for while it is up, never for good — otherwise a restored district would refuse
// every write until each community with it as fallback happened to lose its street. What only a
// fallback neighbour held of ours and did not send back is caught as an equivocation (evidence,
// one version everywhere), not lost in silence.
bool Restore::must_hear(const std::string& n) const {
  const Tree& t = state_->tree;
  if (!t.is_fallback(n) && !t.is_fallback_child(n)) return true;
  const PeerLink* l = state_->link(n);
  return heard_.count(n) > 0 || (l && l->state() == LinkState::kUp);
}

bool Restore::ready() {
  if (!active_) return false;
  for (const auto& n : state_->tree.neighbours(state_->roster)) {
    if (!must_hear(n)) continue;
    auto h = heard_.find(n);
    PeerLink* l = state_->link(n);
    if (h == heard_.end() || !l) return false;
    if (l->checkpoint().recv_applied_pos < h->second.outbox_last_pos) return false;
    // A child being restored too may yet get our own events back from its own children (seed
    // 20261206072: the district finished before its restored street got district:29 back from a
    // community, and signed on without it). Only children are waited for this way: a child never
    // waits for its parent's restore to finish, so two restores never wait for each other.
    if (h->second.restoring && state_->tree.is_child(n)) return false;
  }
  return true;
}

Status Restore::complete() {
  Store& store = *state_->store;
  ASSIGN_OR_RETURN(std::uint64_t held, store.last_seq(state_->self));
  for (const auto& [peer, h] : heard_) {
    if (h.your_last_seq > held) {
      state_->alert(AlertKind::kSecurity, peer,
                    "neighbour " + peer + " said it holds seq " + std::to_string(h.your_last_seq) +
                        " of this node but never sent it back; continuing after seq " +
                        std::to_string(std::max(held, state_->id.last_seq())),
                    peer);
    }
  }
  if (held > state_->id.last_seq()) {
    ASSIGN_OR_RETURN(auto last, store.get_event(state_->self, held));
    if (!last) return Status::error(Code::kCorruption, "own last event vanished while restoring");
    state_->id.next_seq = held + 1;
    state_->id.last_hash = last->hash;
    state_->id.clock.observe(last->hlc, state_->time.wall_ms());
  }
  return store.put_meta(kMetaRestoring, "");
}

void Restore::completed() {
  active_ = false;
  heard_.clear();
  state_->alert(AlertKind::kRestore, "",
                "restore complete: every neighbour re-synced this node; signing resumes at seq " +
                    std::to_string(state_->id.next_seq));
}

bool Restore::should_ask_again(const std::string& peer, std::uint64_t now_ms) {
  if (!active_ || heard_.count(peer) || !must_hear(peer)) return false;
  const PeerLink* l = state_->link(peer);
  if (!l || l->state() != LinkState::kUp) return false;  // a link coming up says Hello anyway
  auto [it, first] = asked_ms_.try_emplace(peer, now_ms);
  if (!first && elapsed_ms(now_ms, it->second) < kRestoreAskAgainMs) return false;
  it->second = now_ms;
  return !first;  // the Hello that brought the link up was the first ask
}

std::string Restore::waiting_for() {
  std::string silent, draining;
  for (const auto& n : state_->tree.neighbours(state_->roster)) {
    if (!must_hear(n)) continue;
    auto h = heard_.find(n);
    PeerLink* l = state_->link(n);
    if (h == heard_.end() || !l) {
      silent += (silent.empty() ? "" : ", ") + n;
    } else if (l->checkpoint().recv_applied_pos < h->second.outbox_last_pos) {
      draining += (draining.empty() ? "" : ", ") + n + " (" +
                  std::to_string(h->second.outbox_last_pos - l->checkpoint().recv_applied_pos) +
                  " positions)";
    }
  }
  std::string out;
  if (!silent.empty()) out = "no answer yet from " + silent;
  if (!draining.empty()) out += (out.empty() ? "" : "; ") + std::string("still applying what ") + draining + " re-sent";
  return out.empty() ? "finishing" : out;
}

}  // namespace casesync
