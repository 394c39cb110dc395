#include "sync/health_book.h"

namespace casesync {

bool HealthBook::record(HealthReport report, std::uint64_t received_ms) {
  auto it = entries_.find(report.node);
  // The HLC orders one node's reports even when its wall clock steps back.
  if (it != entries_.end() && it->second.report.hlc >= report.hlc) return false;
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
  // Times on OUR clock (when each report arrived): the nodes' own clocks may be skewed, and a
  // relay ahead of the node would otherwise look in step after it when it was not.
  const std::uint64_t at = e->received_ms;
  // Every relay between the node and us must have been in step after it, or what the node sent
  // may still sit in a relay's outbox. A relay's report that reached us after the node's was
  // sent after the relay passed the node's on.
  for (const auto& a : roster.ancestors_of(node)) {
    if (a == self) return at;
    const HealthEntry* r = find(a);
    if (!r || !r->report.upward_in_step() || r->received_ms < at) return std::nullopt;
  }
  return node == self ? std::optional<std::uint64_t>(at) : std::nullopt;
}

}  // namespace casesync
