// The hostile fault (issue 25): someone holds a copy of one community's signing key (a stolen or
// compromised terminal) and speaks to its street with it while the real community keeps working.
// It sends, ahead of the feed (an UrgentMsg, as a takeover of the session would), events signed
// with that key that no honest node may store:
//   branch     `completed` built on the case's creation only, 1 ms after it: a branch off the
//              origin's own later history, placed earlier in time (refused as `unauthorized`)
//   backdated  `completed` on top of everything the street holds of the case, at the time of
//              the origin's own previous event there (refused as `unauthorized`)
//   invented   a note with a parent hash nobody signed (held as `missing_parent`, never stored)
//   other_id   an event claiming a sibling as its origin, signed with the stolen key (fails its
//              signature: held, counted against the link)
// Its seqs lie far beyond any the real community signs in a run, so they never meet its own.
// A takeover of the routing id itself is refused by the transport (ZAP, daemon/transport.h),
// which the simulator does not model; tests/integration/hostile_test.py covers it.
#include "sim/simulator.h"
#include "sync/case_kinds.h"

namespace casesync::sim {

namespace {
constexpr std::uint64_t kHostileTickMs = 500;
constexpr std::uint64_t kHostileSeqBase = 1'000'000;  // honest nodes sign a few hundred per run
constexpr std::uint64_t kHlcMs = 1u << 16;            // one millisecond in an HLC (sync/hlc.h)
using Attack = HostileAttack;
constexpr std::uint64_t kAttacks = 4;
constexpr const char* kAttackNames[] = {"branch", "backdated", "invented", "other_id"};

std::set<Hash32> heads_of(const std::vector<EventRecord>& events) {
  std::set<Hash32> heads;
  for (const auto& r : events) heads.insert(r.hash);
  for (const auto& r : events) {
    auto e = decode_event(r.signed_bytes);
    if (e.is_ok()) {
      for (const auto& p : e->parents) heads.erase(p);
    }
  }
  return heads;
}
}  // namespace

void Simulator::hostile_tick() {
  if (phase_ != Phase::kFaults) return;
  agenda_.at(now_ + kHostileTickMs, [this] { hostile_tick(); });
  if (hostile_rng_.chance(profile_.odds(FaultKind::kHostile))) hostile_attack();
}

// The community whose key is stolen: drawn once, at the first attack.
void Simulator::hostile_attack() {
  if (!hostile_) {
    std::vector<std::size_t> communities;
    for (std::size_t i = 0; i < district_.size(); ++i) {
      if (district_.role(i) == Role::kCommunity) communities.push_back(i);
    }
    if (communities.empty()) return;
    hostile_ = communities[hostile_rng_.below(communities.size())];
  }
  const std::size_t x = *hostile_;
  const std::size_t street = district_.parent(x);
  if (nodes_[x]->retired() || !nodes_[street]->running() || !net_.passable(x, street)) return;
  // One of the community's own events the street holds, and its case there.
  SimNode& s = *nodes_[street];
  auto held_through = s.store().contiguous_seq(nodes_[x]->id());
  if (!held_through.is_ok() || *held_through == 0) return;
  auto picked = s.store().get_event(nodes_[x]->id(), hostile_rng_.range(1, *held_through));
  if (!picked.is_ok() || !picked->has_value()) return;
  auto events = s.store().case_events((*picked)->case_id);
  if (!events.is_ok()) return;
  auto attack = static_cast<Attack>(hostile_rng_.below(kAttacks));
  auto forged = forge(x, attack, *events);
  if (!forged) return;
  counts_[static_cast<std::size_t>(FaultKind::kHostile)]++;
  log_fault(FaultKind::kHostile,
            std::string(kAttackNames[static_cast<std::size_t>(attack)]) + " with " +
                nodes_[x]->id() + "'s key on case " + forged->case_id + " to " + s.id(),
            0);
  hostile_forged_.insert(forged->hash);
  const std::uint32_t incarnation = s.incarnations();
  UrgentMsg m{0, {{forged->origin, forged->signed_bytes, forged->signature}}};
  with_node(street, [&](SimNode& n) { n.core().on_frame(nodes_[x]->id(), encode_message(m), n.now(now_)); });
  const bool refusable = attack == Attack::kBranch || attack == Attack::kBackdated;
  // Judged by a street that lived through it (a crash inside the commit loses the alert too).
  if (refusable && s.running() && s.incarnations() == incarnation) {
    hostile_refusals_due_[s.id()]++;
  }
}

// The forged event of `attack` on the case of `events` (as the street holds it), or nullopt
// when the case gives that attack nothing to stand on.
std::optional<EventRecord> Simulator::forge(std::size_t x, HostileAttack attack,
                                            const std::vector<EventRecord>& events) {
  const std::string& origin = nodes_[x]->id();
  const EventRecord* before = nullptr;  // the origin's own latest event of the case
  const EventRecord* creation = nullptr;
  for (const auto& r : events) {
    if (r.origin == origin && (!before || r.seq > before->seq)) before = &r;
  }
  for (const auto& r : events) {
    if (r.kind == kinds::kCreated && (!before || r.hash != before->hash)) creation = &r;
  }
  if (!before) return std::nullopt;
  Event e;
  e.origin = origin;
  e.seq = kHostileSeqBase + ++hostile_seq_;
  e.case_id = before->case_id;
  e.prev[0] = 0x5a;  // no seq below it is held: the chain check has nothing to compare
  e.kind = kinds::kCompleted;
  e.body = {{std::string(kinds::kOutcome), "denied"}};
  const std::set<Hash32> heads = heads_of(events);
  switch (attack) {
    case Attack::kBranch:
      if (!creation) return std::nullopt;  // the origin's only event is the creation itself
      e.parents = {creation->hash};
      e.hlc = creation->hlc + kHlcMs;
      break;
    case Attack::kBackdated:
      e.parents.assign(heads.begin(), heads.end());
      e.hlc = before->hlc;
      break;
    case Attack::kInvented:
      e.parents.assign(heads.begin(), heads.end());
      e.parents.push_back(Hash32{});
      for (auto& b : e.parents.back()) b = static_cast<std::uint8_t>(hostile_rng_.below(256));
      e.hlc = before->hlc + kHlcMs;
      e.kind = kinds::kNote;
      e.body = {{std::string(kinds::kNoteText), "forged"}};
      break;
    case Attack::kOtherId:
      // A sibling's name on an event only the stolen key signed.
      e.origin = district_.id((x + 1) % district_.size());
      e.parents.assign(heads.begin(), heads.end());
      e.hlc = before->hlc + kHlcMs;
      break;
  }
  return seal_event(e, book_.secret(x));
}

}  // namespace casesync::sim
