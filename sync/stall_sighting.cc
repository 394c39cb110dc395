#include "sync/stall_sighting.h"

#include <charconv>

#include "sync/case_kinds.h"

namespace casesync {

namespace {

using namespace kinds;

std::string field(const Event& e, std::string_view k) { return e.field(std::string(k)); }

std::optional<std::int64_t> parse_i64(const std::string& text) {
  std::int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end) return std::nullopt;
  return v;
}

bool known_stage(const std::string& stage) {
  return stage == "delivery" || stage == "accept" || stage == "answer" || stage == "case";
}

}  // namespace

std::optional<StallSighting> read_sighting(const Event& e) {
  StallSighting x{.event = e.origin + ":" + std::to_string(e.seq), .reporter = e.origin,
                  .hop = field(e, kHop), .stage = field(e, kStage)};
  const auto step = parse_u64(field(e, kStep));
  const auto due = parse_u64(field(e, kDueAt));
  const auto seen = parse_u64(field(e, kSeenAt));
  const auto late = parse_i64(field(e, kOverdueBy));
  if (!known_stage(x.stage) || !step || *step > kStepEscalatedTwice || !due || !seen || !late) {
    return std::nullopt;
  }
  if ((x.stage == "case") != x.hop.empty()) return std::nullopt;
  x.step = static_cast<std::uint32_t>(*step);
  x.due_ms = *due;
  x.seen_ms = *seen;
  x.overdue_by_ms = *late;
  return x;
}

Verdict check_stall_seen(const Event& e, const CaseState& s) {
  const auto x = read_sighting(e);
  if (!x) {
    return Verdict::malformed(
        ui_text("a stall_seen needs stage (delivery|accept|answer|case), hop (empty only for "
                "case), step 0..3, due_at, seen_at and overdue_by_ms as numbers"),
        std::string(kStage));
  }
  if (x->stage == "case") {
    if (e.origin == s.receiving_node) return Verdict::allow();
    return Verdict::forbidden(ui_text("unauthorized: only %s, which received case %s, may record "
                                      "a stall of the whole case, not %s",
                                      s.receiving_node, s.id, e.origin));
  }
  const Hop* hop = s.find_hop(x->hop);
  if (!hop) {
    return Verdict::not_found(ui_text("case %s has no hop \"%s\" for stall_seen", s.id, x->hop),
                              std::string(kHop));
  }
  if (e.origin != hop->from && e.origin != hop->to) {
    return Verdict::forbidden(ui_text("unauthorized: only the ends of hop %s (%s, %s) may record a "
                                      "stall of it, not %s",
                                      hop->id, hop->from, hop->to, e.origin));
  }
  return Verdict::allow();
}

std::map<std::string, std::string> sighting_body(const StallSighting& x) {
  return {{std::string(kHop), x.hop},
          {std::string(kStage), x.stage},
          {std::string(kStep), std::to_string(x.step)},
          {std::string(kDueAt), std::to_string(x.due_ms)},
          {std::string(kSeenAt), std::to_string(x.seen_ms)},
          {std::string(kOverdueBy), std::to_string(x.overdue_by_ms)}};
}

}  // namespace casesync
