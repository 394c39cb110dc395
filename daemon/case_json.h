// JSON views of a folded case for the local API: the case itself, its trace (the hop chain with
// who and when for every receipt, and the time spent at each node) and its conflicts. Everything
// here is derived from the fold, so every node holding the same events answers identically.
//
// The applicant's ID number is masked in every view unless `full` (case show --full).
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
struct CaseViewOptions {
  bool full = false;             // unmasked ID number
  bool with_events = true;
  const MattersCatalogue* matters = nullptr;
  const DeadlineInputs* deadlines = nullptr;
};

nlohmann::json case_state_json(const CaseState& s, const std::vector<OrderedEvent>& ordered,
                               const CaseViewOptions& opt);
nlohmann::json case_summary_json(const CaseState& s, const MattersCatalogue* matters,
                                 const DeadlineInputs* deadlines = nullptr);
nlohmann::json case_trace_json(const CaseState& s, const DeadlineInputs* deadlines = nullptr);
nlohmann::json conflicts_json(const CaseState& s);
// An event body with the ID number masked (for every API answer that shows raw events) and
// materials as a list (they travel one name per line).
nlohmann::json masked_body(const Event& e, bool full);

}  // namespace casesync
