#include "cli/webhook_cmds.h"

#include <cstdio>

#include "cli/cli_common.h"
#include "cli/table.h"
#include "common/translate.h"

namespace casesync {

using nlohmann::json;

void print_webhooks(const json& webhooks) {
  if (!webhooks.is_array() || webhooks.empty()) return;
  TextTable t({N_("WEBHOOK"), N_("STATE"), N_("DELIVERED_THROUGH"), N_("BACKLOG"), N_("DELIVERED"),
               N_("DEAD_LETTERS"), N_("LAST_ERROR")});
  for (const auto& w : webhooks) {
    t.add({w.value("name", ""), w.value("state", ""),
           std::to_string(w.value("delivered_through", 0ull)),
           std::to_string(w.value("backlog_events", 0ull)),
           std::to_string(w.value("delivered", 0ull)),
           std::to_string(w.value("dead_letters", 0ull)), w.value("last_error", "")});
  }
  t.print();
  for (const auto& w : webhooks) {
    if (w.value("dead_letters", 0ull) == 0) continue;
    std::printf(tr("webhook %s has %llu dead letters: fix the receiver, then `casesyncctl webhook "
                   "retry %s`\n"),
                w.value("name", "").c_str(), w.value("dead_letters", 0ull),
                w.value("name", "").c_str());
  }
}

int cmd_webhook(Cli& cli) {
  if (cli.args.empty())
    return usage_error(cli, tr("webhook needs a subcommand: list or retry NAME"));
  const std::string sub = cli.args[0];
  cli.args.erase(cli.args.begin());
  if (auto p = cli.leftover_flag("webhook " + sub)) return usage_error(cli, *p);
  if (sub == "list") {
    if (!cli.args.empty()) return usage_error(cli, tr("webhook list takes no arguments"));
    auto r = call(cli, "GET", "/api/webhooks");
    if (!r.is_ok()) return fail(cli, r.status());
    if (cli.as_json) return print_json(*r), kExitOk;
    if (r->empty())
      std::fputs(tr("no webhooks: add [[webhook]] tables to the node's config\n"), stdout);
    print_webhooks(*r);
    return kExitOk;
  }
  if (sub != "retry") return usage_error(cli, tr("unknown webhook subcommand ") + sub);
  if (cli.args.size() != 1) return usage_error(cli, tr("webhook retry takes one webhook NAME"));
  auto r = call(cli, "POST", "/api/webhooks/" + url_encode(cli.args[0]) + "/retry",
                json::object());
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), kExitOk;
  std::printf(tr("webhook %s: %llu dead letters queued for another round\n"), cli.args[0].c_str(),
              r->value("dead_letters_queued", 0ull));
  return kExitOk;
}

}  // namespace casesync
