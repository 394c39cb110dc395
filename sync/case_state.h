// CaseState: what a case is, folded from its events (sync/case_fold.h). Pure data; every node
// holding the same events folds the same CaseState and the same state_hash.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "sync/actor.h"

namespace casesync {

enum class CaseStatus {
  kReceived,             // 受理
  kPrereviewed,          // 预审
  kForwarded,            // sent on a hop, not yet delivered
  kDelivered,            // the receiver's daemon holds it
  kAccepted,             // a clerk at the receiver signed for it
  kSupplementRequested,  // waiting for the applicant's materials
  kAnswered,             // the receiver replied approved/denied; back with the sender
  kReturned,             // the receiver sent it back with a reason
  kCompleted,            // 办结 (terminal)
  kWithdrawn,            // 撤回 (terminal)
  kReopened,             // the district reopened a terminal case
};
inline constexpr CaseStatus kCaseStatuses[] = {
    CaseStatus::kReceived,  CaseStatus::kPrereviewed,         CaseStatus::kForwarded,
    CaseStatus::kDelivered, CaseStatus::kAccepted,            CaseStatus::kSupplementRequested,
    CaseStatus::kAnswered,  CaseStatus::kReturned,            CaseStatus::kCompleted,
    CaseStatus::kWithdrawn, CaseStatus::kReopened};
const char* case_status_name(CaseStatus s);
bool is_terminal(CaseStatus s);

enum class HopStage { kForwarded, kDelivered, kAccepted, kSupplementRequested, kAnswered, kReturned };
const char* hop_stage_name(HopStage s);

struct Hop {
  std::string id;  // "<origin>:<seq>" of the forward event
  std::string from;
  std::string to;
  std::string desk;
  Hash32 forward_hash{};
  HopStage stage = HopStage::kForwarded;
  std::uint64_t forwarded_ms = 0;
  std::uint64_t delivered_ms = 0;  // the receiver's own clock in its signed receipt
  std::uint64_t accepted_ms = 0;
  std::uint64_t answered_ms = 0;   // replied or returned
  std::string outcome;             // approved | denied | returned
  std::string reason;
  std::uint32_t due_working_days = 0;  // 0: the matter's limit
  std::uint32_t supplement_requests = 0;
  std::uint64_t paused_ms = 0;     // time waiting for supplementary materials (answer clock pauses)
  std::uint64_t pause_started_ms = 0;
  bool superseded = false;         // lost a conflict (concurrent forward)
  // The clerks who forwarded it, signed for it (签收) and answered it; empty for events written
  // before clerks existed (they show as the node). Delivery is the daemon's own receipt.
  Actor forwarded_by;
  Actor accepted_by;
  Actor answered_by;
  bool bounce = false;             // forwarded back to a node the case came from
  // A return (退回) sends the case back too: both count as bounces (来回跑).
  bool bounced() const { return bounce || stage == HopStage::kReturned; }
};

struct TimelineEntry {
  std::uint64_t ms = 0;  // from the event's HLC
  std::string origin;
  std::uint64_t seq = 0;
  std::string kind;
  std::string summary;
  bool applied = true;   // false: superseded by a conflict rule (kept, not applied)
  std::string holder_after;  // who held the case once this event was folded
  Actor actor;               // the clerk who authored it; empty: the node itself
  std::string edited_field;  // for an edit: the field it set (views mask sensitive values)
};

struct ConflictRecord {
  std::string rule;    // one of the names in sync/case_fold.h
  std::string winner;  // "<origin>:<seq>"
  std::string loser;
  std::string detail;
};

struct CaseState {
  bool exists = false;
  std::string id;
  std::string matter;
  std::string applicant;
  std::string id_number;  // masked in every listing; see mask_id_number
  std::string receiving_node;
  std::vector<std::string> materials;
  std::map<std::string, std::string> fields;
  CaseStatus status = CaseStatus::kReceived;
  std::string holder;
  std::string outcome;  // of completion
  std::string completed_by;          // the node that completed it (办结)
  std::string completion_authority;  // "receiving_office" or "district_admin"
  std::vector<Hop> hops;
  std::vector<std::string> path;  // nodes the case has been at, first arrival order
  std::vector<TimelineEntry> timeline;
  std::vector<ConflictRecord> conflicts;
  std::vector<std::string> invalid;  // "<origin>:<seq> <why>": unauthorized even in its own past
  std::uint32_t bounces = 0;
  std::uint32_t supplement_requests = 0;
  bool repeated_supplement = false;  // 一次性告知 broken: a second request on the same case
  std::vector<std::string> supplement_materials;  // every material ever requested
  // Materials the applicant brought later, as `supplied --material` recorded them (the
  // supplement_provided events' `materials`, first arrival first, each once). Those brought
  // with the application are `materials`; materials_received() is both.
  std::vector<std::string> materials_supplied;
  bool applicant_notified = false;
  std::uint64_t received_ms = 0;
  std::uint64_t completed_ms = 0;
  // Time waiting for the applicant's materials after a request at the window (no hop); hops
  // keep their own pause (Hop::paused_ms).
  std::uint64_t paused_ms = 0;
  std::uint64_t pause_started_ms = 0;
  Hash32 state_hash{};

  const Hop* find_hop(const std::string& id) const;
  Hop* find_hop(const std::string& id);
  const Hop* current_hop() const;  // the latest hop that did not lose a conflict
  bool on_path(const std::string& node) const;
};

// Time the case waited for the applicant, at the window and on every hop: deadlines move by it.
std::uint64_t total_paused_ms(const CaseState& s);

// Every material the case has received: those of the application, then those supplied later,
// each once.
std::vector<std::string> materials_received(const CaseState& s);
// The catalogue's materials the case has not received, in the catalogue's order (一次性告知:
// the whole list at once).
std::vector<std::string> materials_missing(const CaseState& s,
                                           const std::vector<std::string>& catalogue);

// "110105199001011234" -> "110*************34": enough to tell records apart, not to misuse.
std::string mask_id_number(const std::string& id_number);

}  // namespace casesync
