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
  core_->set_policy_source(policy_, [](const SignedDoc& d) {
    return d.signature == kPolicySignature
               ? Status::ok()
               : Status::error(Code::kPermission, "policy not signed by the simulated root");
  });
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

Effects SimNode::take_effects() {
  if (!core_) return {};
  Effects e = core_->take_effects();
  if (auto r = e.docs_installed.find("roster"); r != e.docs_installed.end()) {
    roster_version_ = r->second.version;
  }
  if (auto p = e.docs_installed.find("policy"); p != e.docs_installed.end()) policy_ = p->second;
  return e;
}

void SimNode::restore(std::unique_ptr<MemoryStore> snapshot, bool marker) {
  crash();
  if (marker) {
    // As `casesyncctl restore` does: the marker goes into the copy before it replaces the
    // database, in one committed write.
    (void)snapshot->begin();
    (void)snapshot->put_meta(kMetaRestorePending, "1");
    (void)snapshot->commit();
  }
  store_.replace(std::move(snapshot));
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
  for (const auto& [peer, pc] : c.peers) {
    into->batches_resent += pc.batches_resent;
    into->outbox_caps += pc.outbox_caps;
  }
}

NodeTotals SimNode::totals() const {
  NodeTotals t = totals_;
  if (core_) add(&t, core_->counters());
  return t;
}

}  // namespace casesync::sim
