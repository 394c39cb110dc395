#include "daemon/stall_monitor.h"

#include "common/duration.h"
#include "daemon/log.h"
#include "sync/case_fold.h"
#include "sync/case_kinds.h"
#include "sync/stall_fold.h"
#include "sync/stall_sighting.h"

namespace casesync {

namespace {
constexpr std::size_t kFeedPageMax = 5000;
constexpr std::uint64_t kCalendarLookAheadMs = 60ull * WorkCalendar::kDayMs;  // deadlines reach this far
}  // namespace

StallMonitor::StallMonitor(SyncNode* core, Store* store, const MattersCatalogue* matters,
                           WorkCalendar calendar, StallPolicy policy,
                           std::uint64_t check_interval_ms)
    : core_(core),
      store_(store),
      matters_(matters),
      calendar_(std::move(calendar)),
      policy_(std::move(policy)),
      check_interval_ms_(check_interval_ms),
      ledger_(store) {}

std::vector<std::string> StallMonitor::calendar_warnings(std::uint64_t now_ms) const {
  std::vector<std::string> out;
  for (int y : calendar_.missing_years(now_ms, now_ms + kCalendarLookAheadMs)) {
    out.push_back(std::string(kCalendarWarningPrefix) + "no holiday schedule for " +
                  std::to_string(y) +
                  "; deadlines there count Monday-Friday less the statutory holidays, without "
                  "make-up working days. Add the State Council schedule to the district's "
                  "calendar file and publish it (casesyncctl policy publish, docs/POLICY.md)");
  }
  return out;
}

void StallMonitor::replace_policy(WorkCalendar calendar, StallPolicy policy,
                                  std::uint64_t version) {
  calendar_ = std::move(calendar);
  policy_ = std::move(policy);
  policy_version_ = version;
}

void StallMonitor::remember_dues(const CaseState& s, const DeadlineInputs& in) const {
  for (const auto& h : s.hops) {
    if (auto d = hop_deadline(h, s, in)) in.remember_due(due_key(s.id, h.id, d->stage), d->due_ms);
  }
  if (auto d = case_deadline(s, in)) in.remember_due(due_key(s.id, "", "case"), d->due_ms);
}

void StallMonitor::refresh_open_cases() {
  for (;;) {
    auto page = store_->events_after(feed_pos_, kFeedPageMax);
    if (!page.is_ok() || page->empty()) return;
    for (const auto& r : *page) open_cases_.insert(r.case_id);
    feed_pos_ = page->back().local_seq;
  }
}

DeadlineInputs StallMonitor::deadline_inputs() const {
  DeadlineInputs in;
  in.roster = &core_->roster();
  in.calendar = &calendar_;
  in.policy = &policy_;
  in.policy_version = policy_version_;
  in.remember_due = [this](const std::string& key, std::uint64_t due_ms) {
    return ledger_.remember(key, policy_version_, due_ms);
  };
  in.matter_limit_days = [this](const std::string& code) {
    const Matter* m = matters_->find(code);
    return m ? m->limit_working_days : 0u;
  };
  return in;
}

StallInputs StallMonitor::inputs(std::uint64_t now_ms) const {
  StallInputs in;
  static_cast<DeadlineInputs&>(in) = deadline_inputs();
  in.self = core_->self();
  in.now_ms = now_ms;
  return in;
}

// Records what this node sees late on its own clock (one stall_seen per step reached), then
// folds every open case's stalls from its events: what every node holding them prints alike.
std::optional<CaseState> StallMonitor::report_and_fold(const std::string& case_id,
                                                       const StallInputs& in) {
  auto s = core_->case_state(case_id);
  if (!s.is_ok() || !s->exists || is_terminal(s->status)) return std::nullopt;
  const auto due = sightings_due(*s, in);
  if (due.empty()) return std::move(s).value();
  for (const auto& x : due) {
    EventDraft d{case_id, std::string(kinds::kStallSeen), sighting_body(x)};
    auto r = core_->author(std::move(d), in.now_ms);
    // Refused (a restore in progress, a full disk): seen again at the next check.
    if (!r.is_ok()) log_warning("stall_seen not recorded for case " + case_id + ": " + r.status().message());
  }
  s = core_->case_state(case_id);
  if (!s.is_ok()) return std::nullopt;
  return std::move(s).value();
}

bool StallMonitor::tick(std::uint64_t now_ms, bool force) {
  if (!force && last_check_ms_ != 0 && now_ms - last_check_ms_ < check_interval_ms_) return false;
  last_check_ms_ = now_ms;
  refresh_open_cases();
  const StallInputs in = inputs(now_ms);
  std::vector<Stall> found;
  for (auto it = open_cases_.begin(); it != open_cases_.end();) {
    auto s = report_and_fold(*it, in);
    if (!s) {
      it = open_cases_.erase(it);  // a later event re-opens it through the feed
      continue;
    }
    for (auto& st : fold_stalls(*s, core_->roster())) found.push_back(std::move(st));
    remember_dues(*s, in);
    ++it;
  }
  if (Status st = ledger_.flush(); !st.is_ok() && st.message() != ledger_error_) {
    ledger_error_ = st.message();  // said once, not every check
    log_warning("due times not recorded (a policy change may not show which it moved): " +
                st.message());
  }
  for (const auto& st : found) log_stall(st);
  stalls_ = std::move(found);
  publish_health_extras(now_ms);
  return true;
}

void StallMonitor::log_stall(const Stall& st) {
  if (!logged_.insert(st.alert_id + "|" + st.level + "|" + st.escalated_to).second) return;
  std::string line = "stall=" + st.level + " case=" + st.case_id + " hop=" + st.hop +
                     " stage=" + st.stage + " sender=" + st.sender + " receiver=" + st.receiver +
                     " escalated_to=" + st.escalated_to + " seen_by=" + st.seen_by;
  if (st.level == "overdue") {
    log_warning(line + " attribution=" + st.attribution + " overdue_by=" +
                format_duration_ms(static_cast<std::uint64_t>(st.overdue_by_ms)));
  } else {
    log_info(line + " due_in=" + format_duration_ms(static_cast<std::uint64_t>(-st.overdue_by_ms)));
  }
}

void StallMonitor::set_extra_warnings(std::vector<std::string> warnings, std::uint64_t now_ms) {
  if (warnings == extra_warnings_) return;
  extra_warnings_ = std::move(warnings);
  publish_health_extras(now_ms);
}

void StallMonitor::publish_health_extras(std::uint64_t now_ms) {
  std::uint32_t overdue = 0;
  for (const auto& st : stalls_) overdue += st.level == "overdue";
  std::vector<std::string> warnings = calendar_warnings(now_ms);
  warnings.insert(warnings.end(), extra_warnings_.begin(), extra_warnings_.end());
  core_->set_health_extras(overdue, std::move(warnings));
}

std::vector<Stall> StallMonitor::stalls_of_case(const std::string& case_id) const {
  std::vector<Stall> out;
  for (const auto& s : stalls_) {
    if (s.case_id == case_id) out.push_back(s);
  }
  return out;
}

}  // namespace casesync
