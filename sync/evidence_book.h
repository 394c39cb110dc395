// EvidenceBook: equivocations this node knows of — an origin that signed two different events
// as one (origin, seq) — each with both signed versions as proof. Every node resolves each to the
// same version by a fixed rule (the lower event hash wins) and keeps the children of either: an
// event naming the other version as parent is held on top of the kept one. Evidence is persisted
// (meta), travels to every neighbour (EvidenceMsg) and so reaches the district, where health
// names the origin as a security alert.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/event_record.h"
#include "common/status.h"
#include "storage/store.h"
#include "sync/messages.h"

namespace casesync {

struct Equivocation {
  std::string origin;
  std::uint64_t seq = 0;
  EventRecord winner;               // the version every node keeps: the lowest hash of all seen
  std::vector<EventRecord> losers;  // every other version seen, oldest first (at least one)
};

class EvidenceBook {
 public:
  // Beyond this many, evidence is still acted on but no longer kept: one origin signing
  // thousands of seqs twice is already a security alert, and the meta index stays small.
  static constexpr std::size_t kKeptMax = 1024;
  // Versions of one (origin, seq) beyond the first two: a database copied back twice signs a
  // seq a third time (sim seed 20261300021). More than this is a key in hostile hands; the
  // extra versions still move the winner but are not kept, and children built on them wait.
  static constexpr std::size_t kLosersPerSeqMax = 8;

  // The fixed rule, the same on every node.
  static bool wins(const Hash32& a, const Hash32& b) { return a < b; }

  Status load(Store& store);
  // Records two versions of one (origin, seq), joining any already known: the lowest hash of
  // them all wins, whenever it comes. Returns false when both were known (nothing changed).
  // REQUIRES: both verified, same origin and seq, different hashes; inside a transaction.
  Result<bool> add(Store& store, const EventRecord& x, const EventRecord& y);

  const Equivocation* find(const std::string& origin, std::uint64_t seq) const;
  // The (origin, seq) of which `hash` is one version, when it is an equivocation's.
  std::optional<std::pair<std::string, std::uint64_t>> key_of(const Hash32& hash) const;
  const std::map<std::pair<std::string, std::uint64_t>, Equivocation>& all() const { return all_; }
  // Whether a parent hash not stored here is accounted for: a losing version of an
  // equivocation, which no node keeps (its children are held on top of the winner). A winner
  // is not: it comes, and its children wait for it, so that it is sent ahead of them.
  bool stands_in(const Hash32& parent) const;
  // The losing version named by `hash` (what an event built on it saw), or nullopt.
  std::optional<EventRecord> version(const Hash32& hash) const;
  // A winner this node holds in place of its loser but has not routed on yet: it is owed to
  // others and its past is not here (SyncNode::settle). Persisted, so a restart still routes it.
  bool unrouted(const std::string& origin, std::uint64_t seq) const {
    return unrouted_.count({origin, seq}) > 0;
  }
  // REQUIRES: inside a transaction.
  Status set_unrouted(Store& store, const std::string& origin, std::uint64_t seq, bool unrouted);
  // Origins with at least one equivocation, for health.
  std::vector<std::string> origins() const;

  // One message per losing version, each with the winner: every receiver can check each pair.
  static std::vector<EvidenceMsg> to_messages(const Equivocation& e);

 private:
  void remember(Equivocation e);
  Status persist(Store& store, const Equivocation& e, bool new_key);

  std::map<std::pair<std::string, std::uint64_t>, Equivocation> all_;
  std::map<Hash32, std::pair<std::string, std::uint64_t>> by_hash_;
  std::set<std::pair<std::string, std::uint64_t>> unrouted_;
};

}  // namespace casesync
