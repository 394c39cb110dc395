#include "sync/health_book.h"

namespace casesync {

bool HealthBook::record(HealthReport report, std::uint64_t received_ms) {
  auto it = entries_.find(report.node);
  if (it != entries_.end() && it->second.report.generated_ms >= report.generated_ms) return false;
  std::string node = report.node;
  entries_[node] = {std::move(report), received_ms};
  return true;
}

const HealthEntry* HealthBook::find(const std::string& node) const {
  auto it = entries_.find(node);
  return it == entries_.end() ? nullptr : &it->second;
}

std::optional<std::uint64_t> HealthBook::in_step_at(const std::string& node, const std::string& self,
                                                    const Roster& roster) const {
  const HealthEntry* e = find(node);
  if (!e || !e->report.upward_in_step()) return std::nullopt;
  const std::uint64_t at = e->report.generated_ms;
  // Every relay between the node and us must have been in step after it, or what the node sent
  // may still sit in a relay's outbox.
  for (const auto& a : roster.ancestors_of(node)) {
    if (a == self) return at;
    const HealthEntry* r = find(a);
    if (!r || !r->report.upward_in_step() || r->report.generated_ms < at) return std::nullopt;
  }
  return node == self ? std::optional<std::uint64_t>(at) : std::nullopt;
}

}  // namespace casesync
