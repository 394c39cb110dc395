// CaseCache: per-case context the core needs on every write — the case's heads (for a new
// event's parents) and its folded state (for authorization) — kept incrementally so a long case
// does not cost a full re-read and re-fold per event. Bounded; a miss rebuilds from the store.
//
// The authorization context of an incoming event is its causal past: the state folded from its
// ancestors only. Checking against the causal past (not against whatever this node happens to
// hold) makes every node reach the same verdict. An ancestor that no node keeps (the losing
// version of an equivocation) is taken from the evidence (`Unheld`); any other missing ancestor
// leaves the past unknown, and the event waits for it (sync/admission.h).
#pragma once

#include <functional>
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

// A version of an event that is not stored here but known (an equivocation's losing version,
// from the evidence), or nullopt.
using Unheld = std::function<std::optional<EventRecord>(const Hash32&)>;

// The origin's own events of a case as held here, around an arriving event of it. An origin's
// events on one case must form one chain (each an ancestor of the next, seq and HLC rising),
// or it could branch off its own history and place the branch earlier in time (issue 25).
struct OwnHistory {
  bool has_before = false;  // the origin's held event of the case with the highest seq below
  std::uint64_t before_seq = 0;
  std::uint64_t before_hlc = 0;
  bool before_is_ancestor = false;  // in the arriving event's causal past (or a version of it)
  std::uint64_t after_seq = 0;  // the lowest held seq above (0: none): the arriving one forks
  // An ancestor further back is neither held nor evidence: whether it builds on `before` is not
  // known yet, so nothing may be judged (admission holds it as a missing parent).
  bool past_unknown = false;
};

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
  Result<std::optional<CaseState>> causal_state(const Event& event, const Unheld& unheld);
  // `event.origin`'s own history of `event.case_id` held here. REQUIRES: every parent of
  // `event` is stored or known to `unheld`.
  Result<OwnHistory> own_history(const Event& event, const Unheld& unheld);
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
  struct Node {  // one stored event, as the ancestry walks need it
    std::string origin;
    std::uint64_t seq = 0;
    std::uint64_t hlc = 0;
    std::vector<Hash32> parents;
  };
  struct Entry {
    std::map<Hash32, Node> graph;  // every stored event of the case
    std::set<Hash32> heads;
    std::set<Hash32> referenced;
    std::set<Hash32> stored;
    std::unique_ptr<CaseFolder> folder;  // null: rebuild on demand
    std::optional<Branch> branch;
  };
  Result<Entry*> entry(const std::string& case_id);
  // The ancestors of `parents` (hashes, `parents` included), through stored events and the
  // versions `unheld` knows (those also into `*unheld_seen`); nullopt when one is neither.
  std::optional<std::set<Hash32>> ancestry(const Entry& e, const std::vector<Hash32>& parents,
                                           const Unheld& unheld,
                                           std::map<Hash32, EventRecord>* unheld_seen) const;
  Status rebuild_folder(const std::string& case_id, Entry* e);
  void touch(const std::string& case_id);

  Store* store_;
  const Roster* roster_;
  std::map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // front = most recent
  std::map<std::string, std::list<std::string>::iterator> lru_pos_;  // O(1) touch
};

}  // namespace casesync
