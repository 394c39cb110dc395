// ParentSelector: which parent a node syncs through (docs/ARCHITECTURE.md, "Weak links"). After
// the primary has been unreachable for sync.fallback_after_ms, the node syncs through its first
// fallback parent: the fallback gets every upward event the primary has not acknowledged (with
// what a cap dropped from the primary's outbox, sync/outbox_cap.h), then every new one as well
// (the primary still gets all of them, so nothing is missing either way and what arrives twice
// is dropped). As soon as the primary answers the node returns to it;
// what was left for the fallback waits for its next session.
//
// On the other end, a fallback parent routes new events of a fallback child's cases down to it
// while that link is up, each case whole the first time in a session (the child's own parent
// may hold the case's earlier events for it, unreachable): so the child never holds an event
// without its past (simulator finding F13).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "common/status.h"
#include "sync/feed.h"
#include "sync/node_core.h"
#include "sync/outbox_cap.h"
#include "sync/urgent_lane.h"

namespace casesync {

class ParentSelector {
 public:
  // "*cap" tells which parents' outboxes a cap dropped (their share is handed over too).
  ParentSelector(NodeCore* state, Feed* feed, const OutboxCap* cap)
      : state_(state), feed_(feed), cap_(cap) {}

  void start(std::uint64_t now_ms) { primary_down_since_ms_ = now_ms; }
  // The parent this node syncs through now.
  const std::string& current() const {
    return active_fallback_.empty() ? state_->tree.parent : active_fallback_;
  }
  const std::string& active_fallback() const { return active_fallback_; }
  // The fallback parent the edge should keep a connection to: the active one, or while this node
  // is restoring the first one (it must hear from every neighbour it may have sent events to).
  std::string fallback_to_dial(bool restoring) const;
  void tick(std::uint64_t now_ms);

  // Fallback-parent side: the cases of `child` sent whole in its current session.
  bool case_sent_whole(const std::string& child, const std::string& case_id) const;
  void note_case_sent_whole(const std::string& child, const std::string& case_id);
  void session_started(const std::string& child) { whole_cases_.erase(child); }

 private:
  Status activate(const std::string& fallback, std::uint64_t now_ms);
  Status leave(const std::string& fallback);

  NodeCore* state_;
  Feed* feed_;
  const OutboxCap* cap_;
  std::string active_fallback_;  // empty: syncing through the primary
  std::uint64_t primary_down_since_ms_ = 0;
  std::map<std::string, std::set<std::string>> whole_cases_;  // fallback child -> cases
};

}  // namespace casesync
