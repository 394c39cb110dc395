// The event kinds of a case and the body keys they carry. One list, so the fold, the
// authorization rules, the API and the CLI agree on spelling.
#pragma once

#include <string_view>

namespace casesync::kinds {

inline constexpr std::string_view kCreated = "case_created";            // 受理
inline constexpr std::string_view kPrereviewed = "prereviewed";         // 预审
inline constexpr std::string_view kForwarded = "forwarded";             // 转办 / 上报: opens a hop
inline constexpr std::string_view kDelivered = "delivered";             // automatic signed receipt
inline constexpr std::string_view kAccepted = "accepted";               // 签收
inline constexpr std::string_view kReplied = "replied";                 // answered approved/denied
inline constexpr std::string_view kReturned = "returned";               // 退回, with a reason
inline constexpr std::string_view kSupplementRequested = "supplement_requested";  // 补正 (一次性告知)
inline constexpr std::string_view kSupplementProvided = "supplement_provided";
inline constexpr std::string_view kNotified = "notified";               // applicant told the outcome
inline constexpr std::string_view kWithdrawn = "withdrawn";             // 撤回
inline constexpr std::string_view kCompleted = "completed";             // 办结
inline constexpr std::string_view kReopened = "reopened";               // district only
inline constexpr std::string_view kEdited = "edited";                   // one free field
inline constexpr std::string_view kNote = "note";                       // a remark; changes nothing
inline constexpr std::string_view kViewedFull = "viewed_full";  // a clerk saw the unmasked case (audit)
// A node's daemon saw, on its own clock, a stage of a hop it sent or received (or of a case it
// received) reach its warning, its deadline or an escalation (sync/stall_fold.h).
inline constexpr std::string_view kStallSeen = "stall_seen";

// Every kind this version understands (a webhook's `events` names some of them).
inline constexpr std::string_view kAllKinds[] = {
    kCreated,  kPrereviewed, kForwarded,           kDelivered,          kAccepted,
    kReplied,  kReturned,    kSupplementRequested, kSupplementProvided, kNotified,
    kWithdrawn, kCompleted,  kReopened,            kEdited,             kNote,
    kViewedFull, kStallSeen};

// Body keys.
inline constexpr std::string_view kMatter = "matter";
inline constexpr std::string_view kApplicant = "applicant";
inline constexpr std::string_view kIdNumber = "id_number";
inline constexpr std::string_view kMaterials = "materials";  // a list: one name per line
inline constexpr std::string_view kTo = "to";
inline constexpr std::string_view kDesk = "desk";
inline constexpr std::string_view kHop = "hop";              // "<origin>:<seq>" of the forward
inline constexpr std::string_view kForwardHash = "forward_hash";
inline constexpr std::string_view kReceivedAt = "received_at";  // receiver's clock, ms
inline constexpr std::string_view kOutcome = "outcome";      // approved | denied
inline constexpr std::string_view kReason = "reason";
inline constexpr std::string_view kNoteText = "note";
inline constexpr std::string_view kField = "field";
inline constexpr std::string_view kValue = "value";
inline constexpr std::string_view kDueWorkingDays = "due_working_days";
inline constexpr std::string_view kChannel = "channel";      // how the applicant was told
inline constexpr std::string_view kLegacyId = "legacy_id";   // the case's id in an older system
// A case a department system created (sync/external_ref.h): its reference there (e.g. the
// province's unified receipt number) and the system's short name. Together they name the case:
// its id is derived from them, so every create of one reference is an event of one case.
inline constexpr std::string_view kExternalRef = "external_ref";
inline constexpr std::string_view kExternalSource = "external_source";
// On a completion: "district_admin" when a district admin completes a case another office
// received; absent when the receiving office completes its own case.
inline constexpr std::string_view kAuthority = "authority";
inline constexpr std::string_view kDistrictAdmin = "district_admin";
// The clerk who did it (sync/actor.h), on every event the local API signs.
inline constexpr std::string_view kActorId = "actor_id";
inline constexpr std::string_view kActorName = "actor_name";
inline constexpr std::string_view kActorRole = "actor_role";
// On a viewed_full: the fields the clerk saw unmasked, comma-separated.
inline constexpr std::string_view kShown = "shown";
// On a stall_seen, every time in the reporter's own clock (ms): the stage (delivery | accept |
// answer | case), its step (0 warning, 1 overdue, 2 escalated, 3 escalated twice), the due time
// the reporter counted, when it looked, and the working time past due then (negative: left).
inline constexpr std::string_view kStage = "stage";
inline constexpr std::string_view kStep = "step";
inline constexpr std::string_view kDueAt = "due_at";
inline constexpr std::string_view kSeenAt = "seen_at";
inline constexpr std::string_view kOverdueBy = "overdue_by_ms";

}  // namespace casesync::kinds
