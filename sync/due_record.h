// DueRecord: what a node remembers of a due time it showed — the policy version it was computed
// with and, when a newer district policy (calendar, a matter's limit, the deadline defaults) moved
// it, the due time before and the version that moved it. Kept per deadline (a hop's stage, or the
// case as a whole) by daemon/due_ledger.h, so `case trace` says "moved by policy v2, was ..."
// after a restart too (docs/POLICY.md). Pure: no storage here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace casesync {

struct DueRecord {
  std::uint64_t policy_version = 0;  // the version `due_ms` was computed with
  std::uint64_t due_ms = 0;
  std::uint64_t moved_by = 0;        // 0: no policy change moved it
  std::uint64_t before_ms = 0;       // the due time before that change

  bool operator==(const DueRecord&) const = default;
};

// The record once `due_ms` was computed with `version`. A newer version that gives another due
// time moved it; the same version giving another one is the case itself (a pause for the
// applicant's materials) and clears an earlier note, which would no longer be the whole story.
DueRecord advance_due_record(const std::optional<DueRecord>& was, std::uint64_t version,
                             std::uint64_t due_ms);

// The key of a deadline: "<case>/<hop>/<stage>", "<case>//case" for the case's own (the stall
// alert's id, sync/stall_detector.h).
std::string due_key(const std::string& case_id, const std::string& hop, const std::string& stage);

// "v1 due 1700000000000 moved 2 before 1690000000000"; nullopt for any other text.
std::string encode_due_record(const DueRecord& r);
std::optional<DueRecord> decode_due_record(const std::string& text);

}  // namespace casesync
