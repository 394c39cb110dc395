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
// Clashes: concurrent actions the rules let both stand (each is allowed where it lands in the
// canonical order), but whose authors acted without knowing of the other. Nothing is undone
// (both stay applied, status as the canonical order leaves it), but the clash is a recorded
// conflict: `loser` is the side whose author acted on stale knowledge and must look again, and
// its node shows it as an alert on its page. The order of the two events does not matter.
//
// | rule               | concurrent pair                    | loser: what its author must know   |
// |--------------------|------------------------------------|------------------------------------|
// | return_vs_supplied | returned, supplement_provided      | returned: the materials had arrived|
// | return_vs_accept   | returned, accepted                 | accepted: the case was sent back   |
// | reply_vs_supplied  | replied, supplement_provided       | replied: answered without them     |
// | forward_vs_supplied| forwarded, supplement_provided     | forwarded: sent on without them    |
// | complete_vs_supplied| completed, supplement_provided    | completed: closed without them     |
// | notify_vs_withdraw | notified, withdrawn                | notified: the applicant withdrew   |
// | withdraw_vs_supplied| withdrawn, supplement_provided    | withdrawn: the materials arrived   |
//
// (A pair that the rules refuse in one order is decided there instead, e.g. a notification
// after a withdrawal in canonical order is after_terminal.)
//
// An event refused in its own causal past (the state folded from its ancestors only) is
// `invalid`: it should have been refused on arrival, and can only be here if its parents were
// missing then. It changes nothing. Only an event allowed in its own past can win or lose a
// conflict.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <vector>

#include "common/roster.h"
#include "sync/case_kinds.h"
#include "sync/case_state.h"
#include "sync/case_rules.h"
#include "sync/case_view.h"

namespace casesync {

// One row of the clash table above.
struct ClashRule {
  std::string_view first, second;  // the pair of kinds, either order
  std::string_view rule;
  std::string_view loser;  // the kind whose author must look again
  std::string_view why;    // the conflict's detail (display text, not hashed)
};
inline constexpr ClashRule kClashRules[] = {
    {kinds::kReturned, kinds::kSupplementProvided, "return_vs_supplied", kinds::kReturned,
     "returned while the applicant's materials had arrived: look again"},
    {kinds::kReturned, kinds::kAccepted, "return_vs_accept", kinds::kAccepted,
     "accepted while the case was being returned"},
    {kinds::kReplied, kinds::kSupplementProvided, "reply_vs_supplied", kinds::kReplied,
     "answered while the applicant's materials had arrived: look again"},
    {kinds::kForwarded, kinds::kSupplementProvided, "forward_vs_supplied", kinds::kForwarded,
     "forwarded without the materials that had arrived: send them on"},
    {kinds::kCompleted, kinds::kSupplementProvided, "complete_vs_supplied", kinds::kCompleted,
     "completed while the applicant's materials had arrived: look again"},
    {kinds::kNotified, kinds::kWithdrawn, "notify_vs_withdraw", kinds::kNotified,
     "the applicant was told an outcome of a case being withdrawn"},
    {kinds::kWithdrawn, kinds::kSupplementProvided, "withdraw_vs_supplied", kinds::kWithdrawn,
     "withdrawn while the applicant's materials had arrived"},
};
// The row for two kinds (either order), or null.
const ClashRule* clash_rule(std::string_view a, std::string_view b);

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
  std::string apply_supplement_provided(const Event& e, std::uint64_t ms);
  void record(const OrderedEvent& e, bool applied, std::string summary);
  void record_clashes(std::size_t idx, const Event& e);
  bool still_applied(std::size_t idx) const;
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
  std::vector<std::size_t> duplicate_creates_;
  std::vector<std::size_t> clash_candidates_;  // applied events whose kind is in kClashRules  // case_created events that lost duplicate_create
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
