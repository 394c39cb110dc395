// CaseCache: per-case context the core needs on every write — the case's heads (for a new
// event's parents) and its folded state (for authorization) — kept incrementally so a long case
// does not cost a full re-read and re-fold per event. Bounded; a miss rebuilds from the store.
//
// The authorization context of an incoming event is its causal past: the state folded from its
// ancestors only. Checking against the causal past (not against whatever this node happens to
// hold) makes every node reach the same verdict. When a parent is missing here the past is
// incomplete; the event is accepted and the fold decides (sync/case_fold.h).
#pragma once

#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "common/roster.h"
#include "storage/store.h"
#include "sync/case_fold.h"

namespace casesync {

class CaseCache {
 public:
  static constexpr std::size_t kCasesMax = 256;

  // "*store" and "*roster" must remain live while this cache is in use.
  CaseCache(Store* store, const Roster* roster) : store_(store), roster_(roster) {}

  // The heads a new local event of this case should name as parents (sorted).
  Result<std::vector<Hash32>> heads(const std::string& case_id);
  // The current state, folded from every stored event of the case.
  Result<CaseState> current_state(const std::string& case_id);
  // The state as `event`'s author saw it, or nullopt when some ancestor is not stored here.
  Result<std::optional<CaseState>> causal_state(const Event& event);
  // Whether every parent of `event` is stored here. The feeds deliver each case in causal order,
  // so what a node stores is closed under ancestry (which the fast path of causal_state relies
  // on); an event sent ahead of the feed (UrgentMsg) is stored only when this holds.
  Result<bool> holds_parents_of(const Event& event);
  // The parents of `event` not stored here.
  Result<std::vector<Hash32>> missing_parents(const Event& event);
  // REQUIRES: called right after `record` was inserted (inside the same transaction).
  void on_stored(const EventRecord& record, const Event& event);
  // Forgets everything (after a rolled-back transaction: the cache may hold uncommitted events).
  void clear();

 private:
  // A causal past other than the whole case, kept so that a run of events on one side branch
  // (a node catching up on a chain written while it had moved on, e.g. after a restore) is
  // judged incrementally instead of re-folding the branch's whole past for every event.
  struct Branch {
    std::set<Hash32> heads;
    std::unique_ptr<CaseFolder> folder;
  };
  struct Entry {
    std::set<Hash32> heads;
    std::set<Hash32> referenced;
    std::set<Hash32> stored;
    std::unique_ptr<CaseFolder> folder;  // null: rebuild on demand
    std::optional<Branch> branch;
  };
  Result<Entry*> entry(const std::string& case_id);
  Status rebuild_folder(const std::string& case_id, Entry* e);
  void touch(const std::string& case_id);

  Store* store_;
  const Roster* roster_;
  std::map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // front = most recent
  std::map<std::string, std::list<std::string>::iterator> lru_pos_;  // O(1) touch
};

}  // namespace casesync
