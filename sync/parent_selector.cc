#include "sync/parent_selector.h"

#include "common/elapsed.h"
#include "sync/rejoin.h"

namespace casesync {

std::string ParentSelector::fallback_to_dial(bool restoring) const {
  if (!active_fallback_.empty()) return active_fallback_;
  if (restoring && !state_->tree.fallbacks.empty()) return state_->tree.fallbacks.front();
  return "";
}

bool ParentSelector::case_sent_whole(const std::string& child, const std::string& case_id) const {
  auto it = whole_cases_.find(child);
  return it != whole_cases_.end() && it->second.count(case_id);
}

void ParentSelector::note_case_sent_whole(const std::string& child, const std::string& case_id) {
  whole_cases_[child].insert(case_id);
}

void ParentSelector::tick(std::uint64_t now_ms) {
  const Tree& t = state_->tree;
  if (t.fallbacks.empty() || t.parent.empty()) return;
  PeerLink* primary = state_->link(t.parent);
  if (primary && primary->state() == LinkState::kUp) {
    primary_down_since_ms_ = 0;
    if (active_fallback_.empty()) return;
    const std::string was = active_fallback_;
    if (Status st = leave(was); !st.is_ok()) {
      state_->commit_failed(st, "leaving fallback parent " + was);
      return;
    }
    state_->alert(AlertKind::kPeerUp, t.parent,
                  "primary parent " + t.parent + " answers again: leaving fallback " + was);
    return;
  }
  if (primary_down_since_ms_ == 0) primary_down_since_ms_ = now_ms;
  if (!active_fallback_.empty() ||
      elapsed_ms(now_ms, primary_down_since_ms_) < state_->limits.fallback_after_ms) {
    return;
  }
  if (Status st = activate(t.fallbacks.front(), now_ms); !st.is_ok()) {
    state_->commit_failed(st, "switching to fallback parent " + t.fallbacks.front());
  }
}

Status ParentSelector::activate(const std::string& fallback, std::uint64_t now_ms) {
  const std::string& parent = state_->tree.parent;
  PeerLink* primary = state_->link(parent);
  const std::uint64_t acked = primary ? primary->checkpoint().sent_acked_pos : 0;
  RETURN_IF_ERROR(state_->store->begin());
  Status enqueued = Status::ok();
  std::uint64_t handed = 0;
  Status st = feed_->scan(parent, acked, [&](const OutboxItem& it) {
    enqueued = state_->store->enqueue(fallback, it.event.origin, it.event.seq).status();
    handed++;
    return enqueued.is_ok();
  });
  if (st.is_ok()) st = enqueued;
  if (auto from = cap_->behind_from(parent); st.is_ok() && from) {
    std::uint64_t caught_up = 0;
    st = enqueue_since(*state_, fallback, *from, &caught_up);
    handed += caught_up;
  }
  if (st.is_ok()) st = state_->store->commit();
  if (!st.is_ok()) {
    state_->store->rollback();
    return st;
  }
  active_fallback_ = fallback;
  state_->alert(AlertKind::kPeerDown, parent,
                "primary parent " + parent + " unreachable for " +
                    std::to_string(elapsed_ms(now_ms, primary_down_since_ms_) / 1000) +
                    " s: syncing through fallback parent " + fallback + " (" +
                    std::to_string(handed) + " events not yet acknowledged handed over)");
  return Status::ok();
}

// What is left for the fallback stays queued for its next session (the primary gets all of it
// anyway; duplicates are dropped on arrival): dropping it would leave the two ends counting
// positions differently.
Status ParentSelector::leave(const std::string& fallback) {
  if (PeerLink* l = state_->link(fallback)) l->set_down();
  active_fallback_.clear();
  return Status::ok();
}

}  // namespace casesync
