// VirtualNetwork: the links of the simulated district and the fate of every frame sent on them.
// Each child-parent pair is one link with its own latency. A frame is delivered in order (like
// TCP) unless a fault says otherwise: it may be dropped, duplicated, reordered, delayed or have a
// bit flipped. Partitions either cut a link (the transport notices: link down/up reported to the
// cores) or black-hole it (frames vanish silently; only the cores' timeouts notice).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/fault_profile.h"
#include "sim/rng.h"
#include "sim/topology.h"

namespace casesync::sim {

struct SimLink {
  std::uint32_t latency_ms = 0;
  std::uint32_t cuts = 0;        // partitions in force that the transport reports
  std::uint32_t blackholes = 0;  // partitions in force that lose frames silently
  bool transport_up = false;     // both ends running, not cut, handshake done
  std::uint64_t generation = 0;  // bumps on every transport change; stale notices are ignored
  std::uint64_t last_at_ms[2] = {0, 0};  // last in-order delivery, [0] upward, [1] downward
};

struct Delivery {
  std::uint64_t at_ms = 0;
  std::string frame;
  std::uint64_t digest = 0;  // of the frame as sent (before any bit flip)
  std::int64_t flipped_bit = -1;
  std::uint64_t generation = 0;  // of the link's connection: a frame dies with its connection
};

class VirtualNetwork {
 public:
  // "*district" and "*counts" must remain live while this network is in use.
  VirtualNetwork(const District* district, Rng rng, FaultProfile profile, FaultCounts* counts);

  // The link between neighbours `a` and `b` (either order): a child and its parent, or a child
  // and its fallback parent (made on first use, with a community's latency).
  SimLink& link(std::size_t a, std::size_t b);
  SimLink& link_of_child(std::size_t child) { return links_[child]; }
  // True when a frame between neighbours gets through right now.
  bool passable(std::size_t a, std::size_t b);
  // True when a frame sent as `d` arrives now: the link is passable and still on the same
  // connection (frames in flight when a connection drops are lost with it, as with TCP).
  bool arrives(std::size_t from, std::size_t to, const Delivery& d);

  // The fate of one frame sent now: zero, one or two deliveries.
  std::vector<Delivery> send(std::size_t from, std::size_t to, std::string frame,
                             std::uint64_t now_ms);
  // From now on frames suffer no faults (partitions are lifted by the simulator).
  void heal() { faults_on_ = false; }

 private:
  std::uint64_t arrival_ms(SimLink& l, bool upward, std::uint64_t now_ms, bool* reordered);
  void flip_bit(Delivery* d);
  // Flips one bit inside one event of a batch frame; false (nothing done) for other frames.
  bool flip_event_bit(Delivery* d);
  void count(FaultKind k) { (*counts_)[static_cast<std::size_t>(k)]++; }

  const District* district_;
  Rng rng_;
  FaultProfile profile_;
  FaultCounts* counts_;
  std::vector<SimLink> links_;  // by child index; [0] (the district) is unused
  std::map<std::pair<std::size_t, std::size_t>, SimLink> fallback_links_;  // (lower, higher index)
  bool faults_on_ = true;
};

}  // namespace casesync::sim
