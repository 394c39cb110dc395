// HealthReporter: this node's signed health report, sent to its current parent every interval,
// and the reports of its subtree relayed up to the district (sync/health_report.h), kept in a
// HealthBook. Stall attribution asks it when a node was last known to be in step.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sync/health_book.h"
#include "sync/node_core.h"

namespace casesync {

class HealthReporter {
 public:
  // `fill` adds what only the whole core knows (links, restore, holds) to a report.
  HealthReporter(NodeCore* state, std::function<void(HealthReport&, std::uint64_t)> fill)
      : state_(state), fill_(std::move(fill)) {}

  void start(std::uint64_t now_ms) { started_ms_ = now_ms; }
  void set_options(std::uint64_t interval_ms, std::string software_version) {
    interval_ms_ = interval_ms;
    software_version_ = std::move(software_version);
  }
  void set_extras(std::uint32_t stalled_hops, std::vector<std::string> warnings) {
    stalled_hops_ = stalled_hops;
    warnings_ = std::move(warnings);
  }
  HealthReport own(std::uint64_t now_ms);
  // Every interval: our own report, signed, to `parent` (when its link is up).
  void tick(const std::string& parent, std::uint64_t now_ms);
  // A report from a child's subtree: verified, kept if newer, relayed to `parent`.
  void received(PeerLink& from, const HealthMsg& m, const std::string& parent, std::uint64_t now_ms);
  const HealthBook& book() const { return book_; }
  // The latest time (our clock) `node` was known in step; see HealthBook::in_step_at.
  std::optional<std::uint64_t> in_step_at(const std::string& node) const;

 private:
  NodeCore* state_;
  std::function<void(HealthReport&, std::uint64_t)> fill_;
  HealthBook book_;
  std::uint64_t interval_ms_ = 5000;
  std::uint64_t last_ms_ = 0;
  std::uint64_t started_ms_ = 0;
  std::string software_version_ = "dev";
  std::uint32_t stalled_hops_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace casesync
