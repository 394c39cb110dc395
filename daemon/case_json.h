// JSON views of a folded case for the local API: the case itself, its trace (the hop chain with
// who and when for every receipt, and the time spent at each node) and its conflicts. Everything
// here is derived from the fold, so every node holding the same events answers identically.
//
// Personal data (privacy.sensitive_fields: the ID number, the phone, ...) is masked in every view
// unless `full` (case show --full, for a reviewer or admin, recorded as a viewed_full event).
// Every event shows its clerk ("actor", and "who" as text); every hop who forwarded it, signed
// for it and answered it.
#pragma once

#include <nlohmann/json.hpp>

#include "config/matters_file.h"
#include "sync/case_state.h"
#include "sync/case_view.h"
#include "sync/stall_detector.h"

namespace casesync {

// Due times (sync/stall_detector.h, from the working-day calendar): every open hop has "due"
// (the deadline of the stage it waits in: delivery, accept or answer) and "due_stage" ("paused"
// while it waits for the applicant's materials); the case has "due" (received + the matter's
// limit, moved by every pause; null while paused or closed) and "paused_ms". Without deadline
// inputs the keys are absent.
// The fields masked when `sensitive` is null: privacy.sensitive_fields' default.
const std::vector<std::string>& default_sensitive_fields();

struct CaseViewOptions {
  bool full = false;             // unmasked sensitive fields
  bool with_events = true;
  const MattersCatalogue* matters = nullptr;
  const DeadlineInputs* deadlines = nullptr;
  const std::vector<std::string>* sensitive = nullptr;  // privacy.sensitive_fields
};

nlohmann::json case_state_json(const CaseState& s, const std::vector<OrderedEvent>& ordered,
                               const CaseViewOptions& opt);
nlohmann::json case_summary_json(const CaseState& s, const MattersCatalogue* matters,
                                 const DeadlineInputs* deadlines = nullptr);
nlohmann::json case_trace_json(const CaseState& s, const DeadlineInputs* deadlines = nullptr,
                               const std::vector<std::string>* sensitive = nullptr);
nlohmann::json conflicts_json(const CaseState& s);
// An event body with the sensitive fields masked unless `full` (an edit of one masks its value),
// the clerk's keys left out (the event's "actor" shows them) and materials as a list (they
// travel one name per line).
nlohmann::json masked_body(const Event& e, bool full, const std::vector<std::string>& sensitive);
// A value as the masked views show it: enough to tell records apart, not to misuse.
std::string masked_value(const std::string& value);

}  // namespace casesync
