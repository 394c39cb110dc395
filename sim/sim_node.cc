#include "sim/sim_node.h"

#include <cassert>

namespace casesync::sim {

SimNode::SimNode(const District* district, std::size_t index, SyncLimits limits)
    : district_(district), index_(index), limits_(limits) {}

Status SimNode::start(std::uint64_t virtual_ms) {
  assert(!running());
  core_ = std::make_unique<SyncNode>(id(), district_->roster(), limits_, &store_,
                                     &district_->secret(index_));
  incarnations_++;
  Status st;
  try {
    st = core_->start(now(virtual_ms));
  } catch (const NodeCrashed&) {
    st = Status::error(Code::kUnavailable, "crashed inside a commit while starting");
  }
  if (!st.is_ok()) crash();
  return st;
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
