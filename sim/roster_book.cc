#include "sim/roster_book.h"

#include <deque>
#include <map>

namespace casesync::sim {

namespace {

// Rotated keys by (node index, generation), generated once per process like the topology's
// (generation 0 is the topology's own key).
const crypto::KeyPair& rotated_key(std::size_t index, std::uint32_t generation) {
  static std::map<std::pair<std::size_t, std::uint32_t>, crypto::KeyPair> keys;
  auto it = keys.find({index, generation});
  if (it == keys.end()) it = keys.emplace(std::pair{index, generation}, crypto::generate_keypair()).first;
  return it->second;
}

std::string text_of(std::uint64_t version) { return "simulated roster version " + std::to_string(version); }

}  // namespace

RosterBook::RosterBook(const District* district, bool fallbacks)
    : district_(district), key_generation_(district->size(), 0) {
  Roster first = district->roster();
  if (fallbacks) {
    for (std::size_t i = 0; i < district->size(); ++i) {
      if (district->role(i) != Role::kCommunity) continue;
      RosterNode n = *first.find(district->id(i));
      n.fallback_parents = {district->id(0)};
      first.add(std::move(n));
    }
  }
  publish(std::move(first));
}

std::uint64_t RosterBook::publish(Roster next) {
  next.version = versions_.size() + 1;
  signed_.push_back(RosterMsg{next.version, text_of(next.version), "simulated root signature"});
  versions_.push_back(std::move(next));
  return versions_.size();
}

SyncNode::RosterOpener RosterBook::opener() const {
  return [this](const RosterMsg& m) -> Result<Roster> {
    if (m.version == 0 || m.version > latest_version() || m.text != text_of(m.version) ||
        m.signature != signed_at(m.version).signature) {
      return Status::error(Code::kUnauthorized,
                           "roster version " + std::to_string(m.version) + " was never published");
    }
    return at(m.version);
  };
}

std::uint64_t RosterBook::revoke(const std::string& id) {
  Roster next = latest();
  RosterNode n = *next.find(id);
  n.revoked = true;
  next.add(std::move(n));
  revoked_.insert(id);
  return publish(std::move(next));
}

std::uint64_t RosterBook::rotate(std::size_t index, std::uint64_t last_seq) {
  Roster next = latest();
  RosterNode n = *next.find(district_->id(index));
  const std::uint32_t generation = ++key_generation_[index];
  // Seqs already covered by an earlier retired key stay with it.
  const std::uint64_t covered = n.retired_keys.empty() ? 0 : n.retired_keys.back().last_seq;
  if (last_seq > covered) n.retired_keys.push_back(RetiredKey{n.sign_public_key, last_seq});
  n.sign_public_key = rotated_key(index, generation).public_key;
  next.add(std::move(n));
  return publish(std::move(next));
}

const crypto::SecretKey& RosterBook::secret(std::size_t index) const {
  const std::uint32_t generation = key_generation_[index];
  return generation == 0 ? district_->secret(index) : rotated_key(index, generation).secret;
}

}  // namespace casesync::sim
