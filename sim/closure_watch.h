// ClosureWatch: the invariant checked at every step, not only after healing — a node's store is
// closed under ancestry: every parent an event names is held there too (or, after an
// equivocation, the other version of that (origin, seq), which the node resolved the parent to).
// A node holding an event without its past judges the next local write against a past other
// nodes do not share (simulator finding F8), so this must hold at every instant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "storage/store.h"
#include "sync/evidence_book.h"
#include "sim/world.h"

namespace casesync::sim {

class ClosureWatch {
 public:
  explicit ClosureWatch(std::size_t nodes) : nodes_(nodes) {}

  // Checks what `store` committed since the last call for this node; appends a violation per
  // event whose parent is not held.
  // `evidence` (the node's, when it runs) accounts for parents that are equivocation losers.
  void check(std::size_t node, const std::string& id, Store& store, const EvidenceBook* evidence,
             std::vector<Observation>* out);
  // The node's store was replaced (a restore): forget what it held.
  void reset(std::size_t node) { nodes_[node] = {}; }

 private:
  using Key = std::pair<std::string, std::uint64_t>;
  struct Held {
    std::uint64_t checked_through = 0;  // local_seq
    std::set<Hash32> hashes;
    std::set<Key> keys;
  };
  std::vector<Held> nodes_;
  std::map<Hash32, Key> key_of_;  // every event seen anywhere
  std::size_t reported_ = 0;
};

}  // namespace casesync::sim
