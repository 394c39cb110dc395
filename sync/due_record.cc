#include "sync/due_record.h"

#include <cstdio>

namespace casesync {

DueRecord advance_due_record(const std::optional<DueRecord>& was, std::uint64_t version,
                             std::uint64_t due_ms) {
  if (!was || was->policy_version > version) return {version, due_ms, 0, 0};
  if (was->due_ms == due_ms) return {version, due_ms, was->moved_by, was->before_ms};
  if (was->policy_version == version) return {version, due_ms, 0, 0};
  return {version, due_ms, version, was->due_ms};
}

std::string due_key(const std::string& case_id, const std::string& hop, const std::string& stage) {
  return case_id + "/" + hop + "/" + stage;
}

std::string encode_due_record(const DueRecord& r) {
  return "v" + std::to_string(r.policy_version) + " due " + std::to_string(r.due_ms) + " moved " +
         std::to_string(r.moved_by) + " before " + std::to_string(r.before_ms);
}

std::optional<DueRecord> decode_due_record(const std::string& text) {
  DueRecord r;
  unsigned long long v = 0, due = 0, moved = 0, before = 0;
  int used = 0;
  if (std::sscanf(text.c_str(), "v%llu due %llu moved %llu before %llu%n", &v, &due, &moved,
                  &before, &used) != 4 ||
      static_cast<std::size_t>(used) != text.size()) {
    return std::nullopt;
  }
  r.policy_version = v;
  r.due_ms = due;
  r.moved_by = moved;
  r.before_ms = before;
  return r;
}

}  // namespace casesync
