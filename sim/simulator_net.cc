// The simulator's wiring between cores and the virtual network: every input a core takes goes
// through with_node, every frame it emits through drain, and the transport's view of each link
// (connected or not) is kept in line with crashes and partitions by refresh_transport.
#include <cassert>

#include "sim/simulator.h"
#include "sync/limits.h"

namespace casesync::sim {

void Simulator::with_node(std::size_t i, const std::function<void(SimNode&)>& call) {
  SimNode& n = *nodes_[i];
  if (!n.running()) return;
  try {
    call(n);
  } catch (const NodeCrashed&) {
    on_crashed(i);
    return;
  }
  drain(i);
}

void Simulator::drain(std::size_t i) {
  SimNode& n = *nodes_[i];
  if (!n.running()) return;
  Effects effects = n.take_effects();
  for (auto& a : effects.alerts) {
    n.count_alert(a.kind);
    if (a.kind == AlertKind::kSecurity && !a.origin.empty()) security_named_[n.id()].insert(a.origin);
    trace_.mix_u64(static_cast<std::uint64_t>(a.kind));
    trace_.mix(a.peer);
    trace_.mix(a.detail);
    // Link-up notices are routine; everything else belongs in a replay's timeline.
    if (options_.log && a.kind != AlertKind::kPeerUp) {
      *options_.log << "[" << now_ << " ms] alert " << alert_kind_name(a.kind) << " at " << n.id()
                    << (a.peer.empty() ? "" : " from " + a.peer) << ": " << a.detail << "\n";
    }
  }
  closure_.check(i, n.id(), n.store(), &n.core().evidence(), &observations_);
  for (auto& s : effects.sends) {
    if (s.frame.size() > limits::kFrameBytesMax) {
      observations_.push_back(
          {"limit", n.id(),
           "a frame of " + std::to_string(s.frame.size()) + " bytes to " + s.peer});
    }
    const std::size_t to = district_.index_of(s.peer);
    if (!net_.passable(i, to)) frames_lost_++;  // sent into a cut, a black hole or a dead peer
    for (auto& d : net_.send(i, to, std::move(s.frame), now_)) {
      agenda_.at(d.at_ms, [this, i, to, d = std::move(d)] { deliver(i, to, d); });
    }
  }
  refresh_fallback(i);
}

void Simulator::deliver(std::size_t from, std::size_t to, const Delivery& d) {
  if (phase_ == Phase::kDone) return;
  if (!net_.arrives(from, to, d) || !nodes_[to]->running()) {
    frames_lost_++;
    return;
  }
  frames_delivered_++;
  trace_.mix_u64(now_);
  trace_.mix_u64(from);
  trace_.mix_u64(to);
  trace_.mix_u64(d.digest);
  trace_.mix_u64(static_cast<std::uint64_t>(d.flipped_bit));
  const std::string& peer = district_.id(from);
  with_node(to, [&](SimNode& n) { n.core().on_frame(peer, d.frame, n.now(now_)); });
}

void Simulator::refresh_transport(std::size_t child) {
  const std::size_t parent = district_.parent(child);
  const SimLink& l = net_.link_of_child(child);
  set_transport(child, parent,
                nodes_[child]->running() && nodes_[parent]->running() && l.cuts == 0);
}

void Simulator::refresh_fallback(std::size_t child) {
  if (!profile_.on(FaultKind::kFallback) || district_.role(child) != Role::kCommunity) return;
  SimNode& c = *nodes_[child];
  const bool want = c.running() && nodes_[0]->running() &&
                    c.core().fallback_to_dial() == district_.id(0);
  set_transport(child, 0, want);
}

void Simulator::set_transport(std::size_t child, std::size_t parent, bool want) {
  SimLink& l = net_.link(child, parent);
  if (!want) {
    const bool was_up = l.transport_up;
    l.transport_up = false;
    l.generation++;  // cancels a handshake in progress
    if (!was_up) return;
    // The child's DEALER sees the disconnect; the parent's ROUTER only notices when a send fails,
    // which may or may not happen before the peer timeout.
    with_node(child, [&](SimNode& n) { n.core().on_link_down(district_.id(parent), n.now(now_)); });
    if (fault_rng_.chance(500'000)) {
      with_node(parent,
                [&](SimNode& n) { n.core().on_link_down(district_.id(child), n.now(now_)); });
    }
    return;
  }
  if (l.transport_up) return;
  const std::uint64_t generation = ++l.generation;
  const std::uint64_t handshake_ms = 2 * std::uint64_t{l.latency_ms} + 1;
  agenda_.at(now_ + handshake_ms, [this, child, parent, generation] {
    SimLink& link = net_.link(child, parent);
    if (link.generation != generation || phase_ == Phase::kDone) return;
    link.transport_up = true;
    with_node(child, [&](SimNode& n) { n.core().on_link_up(district_.id(parent), n.now(now_)); });
  });
}

void Simulator::refresh_transports_of(std::size_t i) {
  if (i != 0) refresh_transport(i);
  for (std::size_t c : children_[i]) refresh_transport(c);
  if (i != 0) {
    refresh_fallback(i);
  } else {
    for (std::size_t c = 1; c < nodes_.size(); ++c) refresh_fallback(c);
  }
}

}  // namespace casesync::sim
