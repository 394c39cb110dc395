#include "sim/sim_node.h"

#include <cassert>

namespace casesync::sim {

SimNode::SimNode(const District* district, const RosterBook* book, std::size_t index,
                 SyncLimits limits)
    : district_(district), book_(book), index_(index), limits_(limits) {}

Status SimNode::start(std::uint64_t virtual_ms) {
  assert(!running() && !retired_);
  core_ = std::make_unique<SyncNode>(id(), book_->at(roster_version_), limits_, &store_,
                                     &book_->secret(index_));
  core_->set_roster_source(book_->signed_at(roster_version_), book_->opener());
  incarnations_++;
  Status st;
  try {
    if (restore_marker_) st = core_->restored_from_backup(now(virtual_ms));
    if (st.is_ok()) st = core_->start(now(virtual_ms));
  } catch (const NodeCrashed&) {
    st = Status::error(Code::kUnavailable, "crashed inside a commit while starting");
  }
  if (!st.is_ok()) crash();
  return st;
}

void SimNode::note_effects() {
  if (!core_) return;
  if (auto update = core_->take_roster_update()) roster_version_ = update->version;
  if (restore_marker_ && !core_->awaiting_parent_sequence()) restore_marker_ = false;
}

void SimNode::restore(std::unique_ptr<MemoryStore> snapshot, bool marker) {
  crash();
  store_.replace(std::move(snapshot));
  restore_marker_ = marker;
}

void SimNode::crash() {
  if (!running()) return;
  add(&totals_, core_->counters());
  core_.reset();
  store_.arm(0);
  store_.memory().crash();
}

void SimNode::add(NodeTotals* into, const NodeCounters& c) {
  into->events_applied += c.events_applied;
  into->events_duplicate += c.events_duplicate;
  into->equivocations += c.equivocations;
  into->commit_failures += c.commit_failures;
  for (const auto& [reason, n] : c.rejects) into->rejects[reason] += n;
  for (const auto& [peer, pc] : c.peers) into->batches_resent += pc.batches_resent;
}

NodeTotals SimNode::totals() const {
  NodeTotals t = totals_;
  if (core_) add(&t, core_->counters());
  return t;
}

}  // namespace casesync::sim
