#include "cli/health_cmd.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/api_client.h"
#include "cli/cli_common.h"
#include "cli/labels.h"
#include "cli/table.h"
#include "cli/webhook_cmds.h"
#include "common/translate.h"

namespace casesync {

namespace {

using nlohmann::json;

constexpr int kExitAllInStep = 0;
constexpr int kExitNotAllInStep = 1;

// A member of a JSON object, or null when missing (operator[] on a const object must not miss).
const json& field(const json& obj, const char* key) {
  static const json kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::string text_or(const json& v, const std::string& dflt) {
  return v.is_string() ? v.get<std::string>() : dflt;
}

std::string seen_text(const json& ago) {
  if (!ago.is_number()) return tr("never");
  const double s = ago.get<double>();
  char buf[32];
  if (s < 1) return tr("now");
  if (s < 90) {
    std::snprintf(buf, sizeof(buf), tr("%.0fs ago"), s);
  } else if (s < 5400) {
    std::snprintf(buf, sizeof(buf), tr("%.0fm ago"), s / 60);
  } else {
    std::snprintf(buf, sizeof(buf), tr("%.0fh ago"), s / 3600);
  }
  return buf;
}

std::string lag_text(const json& age) {
  if (!age.is_number() || age.get<double>() <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0fs", age.get<double>());
  return buf;
}

std::string offset_text(const json& ms) {
  if (!ms.is_number()) return "-";
  const long long tenths = std::llround(static_cast<double>(ms.get<std::int64_t>()) / 100.0);
  if (tenths == 0) return "0.0s";  // no "-0.0s" for a few milliseconds of jitter
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%+.1fs", static_cast<double>(tenths) / 10.0);
  return buf;
}

void print_tree(const json& h) {
  TextTable t({N_("NODE"), N_("STATE"), N_("LAST SEEN"), N_("BACKLOG"), N_("LAG"), N_("CLOCK"),
               N_("REASON")});
  for (const auto& n : h.value("nodes", json::array())) {
    const int depth = n.value("depth", 0);
    const json& backlog = field(n, "backlog");
    t.add({std::string(static_cast<std::size_t>(2 * std::max(depth, 0)), ' ') + n.value("id", "?"),
           label(n.value("state", "?")), seen_text(field(n, "last_seen_ago_s")),
           backlog.is_number() ? std::to_string(backlog.get<std::uint64_t>()) : "-",
           lag_text(field(n, "backlog_oldest_age_s")), offset_text(field(n, "clock_offset_ms")),
           text_or(field(n, "reason"), "")});
  }
  t.print();
  std::string summary;
  const json& counts = field(h, "counts");
  for (const auto& [state, count] : counts.items()) {
    if (count.is_number() && count.get<int>() > 0) {
      summary +=
          (summary.empty() ? "" : ", ") + std::to_string(count.get<int>()) + " " + label(state);
    }
  }
  std::printf(tr("\n%zu nodes seen from %s: %s\n"), h.value("nodes", json::array()).size(),
              text_or(field(h, "node"), "?").c_str(), summary.c_str());
  const std::size_t stalls = h.value("stalls", json::array()).size();
  const std::size_t alerts = h.value("security_alerts", json::array()).size();
  if (stalls) std::printf(tr("%zu stalled hops (casesyncctl stalled)\n"), stalls);
  if (alerts) std::printf(tr("%zu security alerts (casesyncctl health --json)\n"), alerts);
}

}  // namespace

// A failure as text on stderr, or with --json as {"error", "message"} on stdout.
int health_failure(bool as_json, const char* code, const std::string& message, int exit_code) {
  if (as_json) {
    std::printf("%s\n", json{{"error", code}, {"message", message}, {"field", ""}}
                            .dump(2, ' ', false, json::error_handler_t::replace)
                            .c_str());
  } else {
    std::fprintf(stderr, tr("casesyncctl health: %s\n"), message.c_str());
  }
  return exit_code;
}

int cmd_health(const ApiClient& node, bool as_json) {
  const std::string& api_url = node.base_url();
  auto r = node.get("/api/health");
  if (!r.is_ok()) return health_failure(as_json, "unreachable", r.status().message(), kExitUnreachable);
  const json& h = r->body;
  if (!h.is_object()) {
    return health_failure(as_json, "failed",
                          api_url + "/api/health answered " + std::to_string(r->status) +
                              " with no JSON",
                          kExitNotAllInStep);
  }
  if (r->status != 200 || !field(h, "nodes").is_array()) {
    std::string why = field(h, "message").is_string() ? field(h, "message").get<std::string>()
                                                      : field(h, "message").dump();
    if (r->status == 401) why += " (" + node.token_note() + ")";
    return health_failure(as_json, "failed",
                          api_url + "/api/health answered " + std::to_string(r->status) + ": " + why,
                          kExitNotAllInStep);
  }
  if (as_json) {
    std::printf("%s\n", h.dump(2).c_str());
  } else {
    print_tree(h);
    print_webhooks(h.value("webhooks", json::array()));
  }
  for (const auto& n : field(h, "nodes")) {
    if (n.value("state", "") != "in_step") return kExitNotAllInStep;
  }
  return kExitAllInStep;
}

int cmd_security_alert(Cli& cli) {
  const std::string reason = cli.flag("--reason");
  if (auto p = cli.leftover_flag("security-alert clear")) return usage_error(cli, *p);
  if (cli.args.size() != 2 || cli.args[0] != "clear" || reason.empty()) {
    return usage_error(cli,
                       tr("security-alert clear NODE --reason TEXT (why the alert is understood)"));
  }
  auto r = call(cli, "POST", "/api/health/clear", {{"node", cli.args[1]}, {"reason", reason}});
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), kExitOk;
  std::string counts;
  for (const auto& f : r->value("cleared", nlohmann::json::array())) {
    counts += (counts.empty() ? "" : ", ") + f.value("reject_reason", "") + " (" +
              std::to_string(f.value("count", std::uint64_t{0})) + ")";
  }
  std::printf(
      tr("security_alert of %s cleared by %s (%s); recorded. New refusals raise it again.\n"),
      r->value("node", "").c_str(), r->value("by", "").c_str(), counts.c_str());
  return kExitOk;
}

}  // namespace casesync
