#include "cli/clerk_cmds.h"

#include <cstdio>

#include "cli/table.h"
#include "common/bytes.h"
#include "common/translate.h"
#include "config/node_config.h"
#include "crypto/crypto.h"
#include "crypto/data_key.h"
#include "crypto/key_file.h"

namespace casesync {

using nlohmann::json;

namespace {

constexpr const char* kDefaultAdminToken = "/etc/casesync/admin.token";

int clerk_add(Cli& cli) {
  const std::string name = cli.flag("--name"), role = cli.flag("--role");
  if (auto p = cli.leftover_flag("clerk add")) return usage_error(cli, *p);
  if (cli.args.size() != 1 || name.empty() || role.empty()) {
    return usage_error(cli, "clerk add ID --name NAME --role window|reviewer|admin|system");
  }
  auto r = call(cli, "POST", "/api/clerks", {{"id", cli.args[0]}, {"name", name}, {"role", role}});
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), kExitOk;
  std::printf("%s\n", r->value("token", "").c_str());
  std::fprintf(stderr,
               tr("clerk %s (%s, %s) added. The token above is shown once and stored only as a "
                  "hash: hand it to %s (CASESYNC_TOKEN or --token-file).\n"),
               r->value("id", "").c_str(), r->value("name", "").c_str(),
               r->value("role", "").c_str(), r->value("name", "").c_str());
  return kExitOk;
}

int clerk_list(Cli& cli) {
  if (auto p = cli.leftover_flag("clerk list")) return usage_error(cli, *p);
  if (!cli.args.empty()) return usage_error(cli, tr("clerk list takes no arguments"));
  auto r = call(cli, "GET", "/api/clerks");
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), kExitOk;
  TextTable t({N_("ID"), N_("NAME"), N_("ROLE"), N_("STATE"), N_("CREATED")});
  for (const auto& c : *r) {
    t.add({c.value("id", ""), c.value("name", ""), c.value("role", ""),
           c.value("disabled", false) ? "disabled" : "active",
           c.value("created", json()).is_string() ? c.value("created", "") : "-"});
  }
  t.print();
  return kExitOk;
}

int clerk_disable(Cli& cli) {
  if (auto p = cli.leftover_flag("clerk disable")) return usage_error(cli, *p);
  if (cli.args.size() != 1) return usage_error(cli, "clerk disable ID");
  auto r = call(cli, "POST", "/api/clerks/" + url_encode(cli.args[0]) + "/disable", json::object());
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), kExitOk;
  std::printf(tr("clerk %s disabled: its token is refused from now on\n"),
              r->value("id", "").c_str());
  return kExitOk;
}

}  // namespace

std::string new_admin_token() { return "csk_admin_" + to_hex(crypto::random_bytes(24)) + "\n"; }

int cmd_clerk(Cli& cli) {
  const std::string sub = cli.args.empty() ? "" : cli.args[0];
  if (!cli.args.empty()) cli.args.erase(cli.args.begin());
  if (sub == "add") return clerk_add(cli);
  if (sub == "list") return clerk_list(cli);
  if (sub == "disable") return clerk_disable(cli);
  return usage_error(cli, "clerk add|list|disable");
}

// The admin token is written locally, never through the node: it is what lets one talk to it.
int cmd_admin_token(Cli& cli) {
  std::string out = cli.flag("--out");
  const bool replace = cli.has("--replace");
  if (auto p = cli.leftover_flag("admin-token new")) return usage_error(cli, *p);
  if (cli.args.size() != 1 || cli.args[0] != "new") {
    return usage_error(cli, "admin-token new [--out FILE] [--replace]");
  }
  if (out.empty() && !cli.config.empty()) {
    auto cfg = load_node_config(cli.config);
    if (!cfg.is_ok()) return fail(cli, cfg.status());
    out = cfg->api_access.admin_token_file;
  }
  if (out.empty()) out = kDefaultAdminToken;
  if (Status st = crypto::init(); !st.is_ok()) return fail(cli, st);
  const std::string token = new_admin_token();
  // 0640: root writes it, the daemon's group (casesync) reads it, nobody else.
  const Status st = replace ? crypto::key_file::replace(out, token, 0640)
                            : crypto::key_file::create(out, token, 0640,
                                                       crypto::key_file::Existing::kRefuse);
  if (!st.is_ok()) {
    return fail(cli, Status::error(st.code(), st.message() +
                                                  (replace ? "" : " (--replace makes a new one)")));
  }
  std::fprintf(stderr,
               tr("admin token written to %s (0640). Give it to the daemon's group "
                  "(chgrp casesync %s) and tell a running node: systemctl reload casesyncd\n"),
               out.c_str(), out.c_str());
  return kExitOk;
}

int cmd_keygen_data_key(Cli& cli, const std::string& path) {
  if (Status st = crypto::init(); !st.is_ok()) return fail(cli, st);
  if (Status st = crypto::write_data_key(path, crypto::DataKey::generate()); !st.is_ok()) {
    return fail(cli, st);
  }
  std::fprintf(stderr,
               tr("data key written to %s (mode 0600): the node's events are sealed under it. Give "
                  "it to the daemon's user (chown casesync %s) and keep a copy with the node key: "
                  "without it, the database and its backups cannot be read.\n"),
               path.c_str(), path.c_str());
  return kExitOk;
}

}  // namespace casesync
