// The printable papers of a case, for the applicant: the acceptance receipt (受理回执) and the
// one-time notice of every missing material (一次性告知书). One renderer serves the daemon's
// route (GET /api/cases/{id}/receipt and /notice, daemon/paper_api.h) and so `casesyncctl case
// receipt|notice`, which fetches what the route renders: the node alone holds everything a
// paper shows (the fold, the district's catalogue and calendar, the roster's office names), so
// the CLI never computes a due date of its own.
//
// paper_view() decides what a paper says (pure, from the fold); render_paper() lays it out as
// HTML for A4 from daemon/paper.html, in Chinese or English (the pages' catalogue,
// daemon/page_text.h), every value HTML-escaped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/message_catalog.h"
#include "common/roster.h"
#include "common/translate.h"
#include "config/matters_file.h"
#include "sync/case_state.h"
#include "sync/stall_detector.h"

namespace casesync {

enum class PaperKind { kReceipt, kNotice };
const char* paper_kind_name(PaperKind kind);  // "receipt" | "notice"
std::optional<PaperKind> paper_kind_from_name(std::string_view name);

// Everything a paper shows, decided. Times are the node calendar's local time.
struct PaperView {
  PaperKind kind = PaperKind::kReceipt;
  std::string case_id;
  std::string matter_code, matter_name;
  std::string applicant;  // masked (daemon/case_json.h: masked_value)
  std::string id_number;  // masked; empty when the case has none
  std::string received_at;  // "2026-12-04 10:15"
  std::string node, node_name;  // the office that acted
  std::string clerk;            // "王芳 (w01)", or empty when the node acted by itself
  std::uint32_t limit_working_days = 0;  // 0: the matter is not in the catalogue
  std::string due;              // "2026-12-09 17:30", or empty (see due_paused)
  bool due_paused = false;      // the clock waits for the applicant's materials
  std::vector<std::string> received, missing;
  std::string date;             // "2026-12-04": the paper's own date
};

// The receipt is the receiving office's, by the clerk who created the case, dated the day it was
// received; the notice is by the clerk and office of the latest supplement request (the
// receiving office's create when there is none), dated then. `matter` may be null (a matter
// not in this node's catalogue: no limit, nothing known missing).
PaperView paper_view(PaperKind kind, const CaseState& s, const Matter* matter, const Roster& roster,
                     const DeadlineInputs& deadlines);

// A4 HTML in `language` (`chinese`: the catalogue the Chinese text comes from).
std::string render_paper(const PaperView& view, UiLanguage language, const MessageCatalog& chinese);

// "2026-12-04 10:15" in the calendar's local time.
std::string local_time_text(const WorkCalendar& calendar, std::uint64_t utc_ms);

}  // namespace casesync
