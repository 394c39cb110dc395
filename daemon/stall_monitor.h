// StallMonitor: every stall.check_interval, on the loop thread, records what this node sees late
// on its own clock (sync/stall_detector.h: a signed stall_seen per step) and folds the stalls of
// every open case from its events (sync/stall_fold.h). It learns which cases changed from the store's
// local changes feed, so a check costs a fold per open case, not per case ever held. New alerts
// (and escalations) are logged once each.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/work_calendar.h"
#include "config/matters_file.h"
#include "daemon/due_ledger.h"
#include "storage/store.h"
#include "sync/stall_detector.h"
#include "sync/sync_node.h"

namespace casesync {

// What every calendar warning starts with (the health page shows them once, not per node).
inline constexpr std::string_view kCalendarWarningPrefix = "calendar: ";

class StallMonitor {
 public:
  // The pointers must remain live while this monitor is in use.
  StallMonitor(SyncNode* core, Store* store, const MattersCatalogue* matters,
               WorkCalendar calendar, StallPolicy policy, std::uint64_t check_interval_ms);

  // Checks when the interval has passed (or `force`). Returns true when it ran.
  bool tick(std::uint64_t now_ms, bool force = false);
  const std::vector<Stall>& stalls() const { return stalls_; }
  std::vector<Stall> stalls_of_case(const std::string& case_id) const;
  const WorkCalendar& calendar() const { return calendar_; }
  // The district policy version deadlines are computed with (daemon/policy_keeper.h).
  void set_policy_version(std::uint64_t version) { policy_version_ = version; }
  // A newer district policy's calendar and deadline defaults: deadlines follow them from now; the
  // due times they moved show so (daemon/due_ledger.h).
  void replace_policy(WorkCalendar calendar, StallPolicy policy, std::uint64_t version);
  const StallPolicy& policy() const { return policy_; }
  // What deadlines depend on (calendar, policy, matters' limits), for the case views' due times;
  // each due time asked for is remembered (daemon/due_ledger.h). Valid while this monitor lives.
  DeadlineInputs deadline_inputs() const;
  // Calendar years missing around now: a loud warning in the log and in health.
  std::vector<std::string> calendar_warnings(std::uint64_t now_ms) const;
  // Warnings from outside the stall check (the API's security alert) for the health report,
  // sent with the next one when they changed.
  void set_extra_warnings(std::vector<std::string> warnings, std::uint64_t now_ms);

 private:
  void publish_health_extras(std::uint64_t now_ms);
  void refresh_open_cases();
  // Records every pending due time of the case, so a later policy change shows which it moved.
  void remember_dues(const CaseState& s, const DeadlineInputs& in) const;
  StallInputs inputs(std::uint64_t now_ms) const;
  std::optional<CaseState> report_and_fold(const std::string& case_id, const StallInputs& in);
  void log_stall(const Stall& st);

  SyncNode* core_;
  Store* store_;
  const MattersCatalogue* matters_;
  WorkCalendar calendar_;
  std::uint64_t policy_version_ = 0;
  StallPolicy policy_;
  std::uint64_t check_interval_ms_;
  std::uint64_t last_check_ms_ = 0;
  std::uint64_t feed_pos_ = 0;             // local_seq read so far
  std::set<std::string> open_cases_;       // cases that may stall
  std::vector<Stall> stalls_;
  std::set<std::string> logged_;           // alert_id + level already logged
  std::vector<std::string> extra_warnings_;
  mutable DueLedger ledger_;  // the case views remember due times too
  std::string ledger_error_;  // the last failure to record them, logged once
};

}  // namespace casesync
