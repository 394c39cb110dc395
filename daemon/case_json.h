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

namespace casesync {

struct CaseViewOptions {
  bool full = false;             // unmasked ID number
  bool with_events = true;
  const MattersCatalogue* matters = nullptr;
};

nlohmann::json case_state_json(const CaseState& s, const std::vector<OrderedEvent>& ordered,
                               const CaseViewOptions& opt);
nlohmann::json case_summary_json(const CaseState& s, const MattersCatalogue* matters);
nlohmann::json case_trace_json(const CaseState& s);
nlohmann::json conflicts_json(const CaseState& s);
// An event body with the ID number masked (for every API answer that shows raw events).
nlohmann::json masked_body(const Event& e, bool full);

}  // namespace casesync
