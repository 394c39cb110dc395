#include "sim/virtual_network.h"

#include <algorithm>
#include <cassert>

#include "sim/frame_digest.h"
#include "sync/messages.h"

namespace casesync::sim {

namespace {
// Community terminals sit on weak links; streets on the district's fibre.
constexpr std::uint32_t kStreetLatencyMsMax = 30;
constexpr std::uint32_t kCommunityLatencyMsMax = 150;
constexpr std::uint64_t kDelayMsMin = 500;
constexpr std::uint64_t kDelayMsMax = 5000;
}  // namespace

VirtualNetwork::VirtualNetwork(const District* district, Rng rng, FaultProfile profile,
                               FaultCounts* counts)
    : district_(district), rng_(rng), profile_(profile), counts_(counts) {
  links_.resize(district->size());
  for (std::size_t i = 1; i < district->size(); ++i) {
    const bool street = district->role(i) == Role::kStreet;
    links_[i].latency_ms = static_cast<std::uint32_t>(
        rng_.range(1, street ? kStreetLatencyMsMax : kCommunityLatencyMsMax));
  }
}

SimLink& VirtualNetwork::link(std::size_t a, std::size_t b) {
  if (district_->parent(a) == b) return links_[a];
  if (district_->parent(b) == a) return links_[b];
  auto [it, added] = fallback_links_.try_emplace(std::minmax(a, b));
  if (added) {
    it->second.latency_ms = static_cast<std::uint32_t>(rng_.range(1, kCommunityLatencyMsMax));
  }
  return it->second;
}

bool VirtualNetwork::passable(std::size_t a, std::size_t b) {
  const SimLink& l = link(a, b);
  return l.transport_up && l.cuts == 0 && l.blackholes == 0;
}

bool VirtualNetwork::arrives(std::size_t from, std::size_t to, const Delivery& d) {
  return passable(from, to) && link(from, to).generation == d.generation;
}

std::uint64_t VirtualNetwork::arrival_ms(SimLink& l, bool upward, std::uint64_t now_ms,
                                         bool* reordered) {
  const std::uint64_t jitter = rng_.below(l.latency_ms / 5 + 1);
  std::uint64_t at = now_ms + l.latency_ms + jitter;
  *reordered = false;
  if (faults_on_ && profile_.on(FaultKind::kDelay) &&
      rng_.chance(profile_.odds(FaultKind::kDelay))) {
    count(FaultKind::kDelay);
    *reordered = true;
    return at + rng_.range(kDelayMsMin, kDelayMsMax);
  }
  if (faults_on_ && profile_.on(FaultKind::kReorder) &&
      rng_.chance(profile_.odds(FaultKind::kReorder))) {
    count(FaultKind::kReorder);
    *reordered = true;
    return now_ms + rng_.below(3 * std::uint64_t{l.latency_ms} + 2);
  }
  // In order, like one TCP connection: never before the previous frame on this direction.
  std::uint64_t& last = l.last_at_ms[upward ? 0 : 1];
  at = std::max(at, last);
  last = at;
  return at;
}

void VirtualNetwork::flip_bit(Delivery* d) {
  const std::uint64_t bit = rng_.below(d->frame.size() * 8);
  d->frame[bit / 8] = static_cast<char>(d->frame[bit / 8] ^ (1 << (bit % 8)));
  d->flipped_bit = static_cast<std::int64_t>(bit);
  count(FaultKind::kBitFlip);
}

bool VirtualNetwork::flip_event_bit(Delivery* d) {
  auto decoded = decode_message(d->frame);
  auto* batch = decoded.is_ok() ? std::get_if<BatchMsg>(&decoded.value()) : nullptr;
  if (!batch) return false;
  WireEvent& e = batch->events[rng_.below(batch->events.size())];
  const std::uint64_t bytes = e.signed_bytes.size() + e.signature.size();
  const std::uint64_t bit = rng_.below(bytes * 8);
  std::string& target = bit / 8 < e.signed_bytes.size() ? e.signed_bytes : e.signature;
  const std::size_t at =
      bit / 8 < e.signed_bytes.size() ? bit / 8 : bit / 8 - e.signed_bytes.size();
  target[at] = static_cast<char>(target[at] ^ (1 << (bit % 8)));
  d->frame = encode_message(*batch);
  d->flipped_bit = static_cast<std::int64_t>(bit);
  count(FaultKind::kBitFlipEvent);
  return true;
}

std::vector<Delivery> VirtualNetwork::send(std::size_t from, std::size_t to, std::string frame,
                                           std::uint64_t now_ms) {
  std::vector<Delivery> out;
  if (!passable(from, to)) return out;
  if (faults_on_ && profile_.on(FaultKind::kDrop) && rng_.chance(profile_.odds(FaultKind::kDrop))) {
    count(FaultKind::kDrop);
    return out;
  }
  SimLink& l = link(from, to);
  // Index order puts every node after its parents, fallback parents included.
  const bool upward = from > to;
  const bool twice = faults_on_ && profile_.on(FaultKind::kDuplicate) &&
                     rng_.chance(profile_.odds(FaultKind::kDuplicate));
  const std::uint64_t digest = frame_digest(frame);
  for (int copy = 0; copy < (twice ? 2 : 1); ++copy) {
    bool reordered = false;
    Delivery d{arrival_ms(l, upward, now_ms, &reordered), frame, digest, -1, l.generation};
    if (faults_on_ && profile_.on(FaultKind::kBitFlip) &&
        rng_.chance(profile_.odds(FaultKind::kBitFlip))) {
      flip_bit(&d);
    } else if (faults_on_ && profile_.on(FaultKind::kBitFlipEvent) &&
               rng_.chance(profile_.odds(FaultKind::kBitFlipEvent))) {
      flip_event_bit(&d);
    }
    out.push_back(std::move(d));
  }
  if (twice) count(FaultKind::kDuplicate);
  return out;
}

}  // namespace casesync::sim
