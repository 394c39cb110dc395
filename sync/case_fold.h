// The canonical fold: a case's state as a pure function of its event set. Events are applied in
// canonical order (sync/case_view.h); each is checked by sync/case_rules.h against the state at
// its position. When a check fails because of an event concurrent with it (neither in the
// other's ancestry), the conflict rules below decide, the decision is recorded, and nothing is
// dropped: the losing event stays stored and appears in the timeline as not applied.
//
// | rule               | situation                                   | winner                         |
// |--------------------|---------------------------------------------|--------------------------------|
// | concurrent_forward | two nodes that both held the case forward   | the first in canonical order   |
// |                    | it concurrently                             | (earlier HLC): its receiver may|
// |                    |                                             | already be working it. The     |
// |                    |                                             | loser's hop is `superseded`.   |
// | duplicate_accept   | two desks accept the same hop concurrently  | the first acceptance           |
// | answer_race        | two answers (reply/return/supplement) of one| the first answer               |
// |                    | hop concurrently                            |                                |
// | edit_vs_terminal   | an edit concurrent with completion or       | the completion/withdrawal; the |
// |                    | withdrawal                                  | edit is kept as superseded     |
// | concurrent_edit    | two edits of one field                      | the later HLC; loser kept      |
// | terminal_race      | completion and withdrawal (or two           | the HIGHER LEVEL author        |
// |                    | completions) concurrently                   | (district > street > community)|
// |                    |                                             | then the earlier HLC           |
// | after_terminal     | any other action concurrent with a          | the completion/withdrawal;     |
// |                    | completion or withdrawal                    | status never moves backward    |
// |                    |                                             | except by a district reopen    |
// | stale_holder       | an action by a node that lost the case to a | the event that moved the case  |
// |                    | concurrent move (e.g. prereview vs forward) |                                |
// | concurrent_reopen  | two district reopens of one closed case     | the first reopen               |
// | duplicate_create   | two nodes create one department system's    | the first create in canonical  |
// |                    | reference (sync/external_ref.h) without     | order; the other is recorded as|
// |                    | seeing each other's create                  | `duplicate_of` it, and so is   |
// |                    |                                             | every event built on the       |
// |                    |                                             | duplicate that its position    |
// |                    |                                             | refuses                        |
//
// An event refused in its own causal past (the state folded from its ancestors only) is
// `invalid`: it should have been refused on arrival, and can only be here if its parents were
// missing then. It changes nothing. Only an event allowed in its own past can win or lose a
// conflict.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "common/roster.h"
#include "sync/case_state.h"
#include "sync/case_rules.h"
#include "sync/case_view.h"

namespace casesync {

// Applies events one at a time in canonical order. Keeps what conflict classification needs:
// which event last set the holder, the terminal status, and each hop's stages.
class CaseFolder {
 public:
  // "*roster" must remain live while this folder is in use.
  explicit CaseFolder(const Roster* roster)
      : roster_(roster), own_past_(std::make_shared<std::map<Hash32, Verdict>>()) {}

  // REQUIRES: `e` comes after every event applied so far in canonical order.
  void apply(const OrderedEvent& e);
  const CaseState& state() const { return state_; }
  // The state with state_hash filled in.
  CaseState finish() const;

 private:
  struct Applied {
    std::vector<Hash32> parents;
  };
  bool is_ancestor(std::size_t ancestor, std::size_t of) const;
  std::size_t blocker_index(Blocker b, const Event& e) const;
  bool built_on_duplicate(std::size_t index) const;
  void resolve_conflict(std::size_t index, const OrderedEvent& e, const std::string& reason,
                        Blocker b);
  Verdict verdict_in_own_past(std::size_t index, const OrderedEvent& e) const;
  bool terminal_race_won(std::size_t index, const Event& e, std::size_t holder_of_terminal);
  void mutate(std::size_t index, const OrderedEvent& e);
  void mutate_hop_receipt(const Event& e, std::uint64_t ms);
  std::string apply_receipt(std::size_t idx, const Event& e, std::uint64_t ms);
  void apply_supplement_provided(std::uint64_t ms);
  void record(const OrderedEvent& e, bool applied, std::string summary);
  std::string note_supplement(const Event& e);
  std::string apply_edit(std::size_t idx, const Event& e);
  int level_of(const std::string& node) const;

  const Roster* roster_;
  CaseState state_;
  std::vector<Applied> events_;
  std::vector<std::string> names_;  // "<origin>:<seq>" by index
  std::map<Hash32, std::size_t> index_of_;
  std::size_t holder_set_by_ = SIZE_MAX;
  std::size_t terminal_set_by_ = SIZE_MAX;
  std::map<std::string, std::size_t> field_set_by_;
  std::map<std::string, std::size_t> hop_accepted_by_;
  std::map<std::string, std::size_t> hop_answered_by_;
  std::size_t reopened_by_ = SIZE_MAX;
  std::size_t created_by_ = SIZE_MAX;
  std::vector<std::size_t> duplicate_creates_;  // case_created events that lost duplicate_create
  std::vector<OrderedEvent> applied_;  // every event seen, for judging one by its own past
  std::set<Hash32> heads_;
  std::set<Hash32> referenced_;
  // An event's verdict in its own past depends on the event alone: computed once and shared
  // with the sub-folds, so judging stays polynomial however many events are concurrent.
  std::shared_ptr<std::map<Hash32, Verdict>> own_past_;
  CaseStatus status_before_supplement_ = CaseStatus::kReceived;
};

CaseState fold_case(const std::vector<OrderedEvent>& ordered, const Roster& roster);

// BLAKE2b-256 of a canonical encoding of everything the fold decided.
Hash32 case_state_hash(const CaseState& state);

}  // namespace casesync
