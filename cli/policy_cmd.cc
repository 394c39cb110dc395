#include "cli/policy_cmd.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/cli_common.h"
#include "common/bytes.h"
#include "common/translate.h"
#include "config/matters_csv.h"
#include "config/policy_bundle.h"
#include "config/toml_errors.h"

namespace casesync {

using nlohmann::json;

namespace {

#define REJECT_LEFTOVER(cli, command) \
  if (auto problem = (cli).leftover_flag(command)) return usage_error(cli, *problem)

std::uint64_t wall_now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

int publish(Cli& cli) {
  const std::string calendar = cli.flag("--calendar"), matters = cli.flag("--matters");
  const std::string key = cli.flag("--root-key"), version_flag = cli.flag("--version");
  REJECT_LEFTOVER(cli, "policy publish");
  if (calendar.empty() || matters.empty() || key.empty() || !cli.args.empty()) {
    return usage_error(cli, tr("policy publish --calendar FILE --matters FILE --root-key KEY "
                               "(with --config of the district)"));
  }
  if (cli.config.empty() && cli.api.empty()) {
    return usage_error(
        cli, tr("policy publish needs the district: --config DISTRICT.toml or --api URL"));
  }
  if (Status st = crypto::init(); !st.is_ok()) return fail(cli, st);
  auto root = crypto::load_keypair(key);
  if (!root.is_ok()) return fail(cli, root.status());
  // The district's current version: the new bundle is the next one, unless told (--version, for
  // re-publishing after a district database was replaced).
  std::uint64_t version = 0;
  if (!version_flag.empty()) {
    char* end = nullptr;
    version = std::strtoull(version_flag.c_str(), &end, 10);
    if (*end != '\0' || version == 0 || version_flag[0] == '-') {
      return usage_error(cli, format_text(tr("--version takes a whole number from 1, not %s"),
                                          version_flag.c_str()));
    }
  } else {
    auto current = call(cli, "GET", "/api/policy");
    if (!current.is_ok()) return fail(cli, current.status());
    version = current->value("version", std::uint64_t{0}) + 1;
  }
  auto s = make_signed_policy(calendar, matters, version, wall_now_ms(), root->secret);
  if (!s.is_ok()) return fail(cli, s.status().with_context(tr("nothing was published")));
  auto r = call(cli, "POST", "/api/policy",
                {{"version", s->version}, {"text", s->text}, {"signature", to_hex(s->signature)}});
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), 0;
  std::printf("%llu\n", static_cast<unsigned long long>(s->version));
  std::fprintf(stderr,
               tr("policy version %llu (digest %s) installed at the district; it propagates to "
                  "every node (`casesyncctl health` shows each node's version)\n"),
               static_cast<unsigned long long>(s->version), r->value("digest", "").c_str());
  return 0;
}

int show(Cli& cli) {
  REJECT_LEFTOVER(cli, "policy show");
  if (!cli.args.empty()) return usage_error(cli, tr("policy show takes no arguments"));
  auto r = call(cli, "GET", "/api/policy");
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), 0;
  std::string years;
  for (const auto& y : (*r)["calendar_years"]) years += (years.empty() ? "" : ", ") + y.dump();
  const std::uint64_t version = r->value("version", std::uint64_t{0});
  const auto u = [](std::uint64_t n) { return static_cast<unsigned long long>(n); };
  std::printf(tr("policy version %llu%s\n"), u(version),
              version == 0 ? tr(" (built in: this node's own calendar and matters files)") : "");
  if (version > 0) {
    std::printf(tr("signed at      %s\ndigest         %s\n"),
                (*r)["signed_at"].is_string() ? (*r)["signed_at"].get<std::string>().c_str() : "-",
                r->value("digest", "").c_str());
  }
  std::printf(tr("calendar years %s\nmatters        %llu\n"),
              years.empty() ? tr("none") : years.c_str(), u(r->value("matters", std::uint64_t{0})));
  // The deadline defaults the policy sets over each node's own [deadlines] (docs/POLICY.md).
  std::string deadlines;
  const json set = r->contains("deadlines") ? (*r)["deadlines"] : json::object();
  for (const auto& [key, value] : set.items()) {
    deadlines += (deadlines.empty() ? "" : ", ") + key + " " +
                 (value.is_string() ? value.get<std::string>() : value.dump());
  }
  std::printf(tr("deadlines      %s\n"),
              deadlines.empty() ? tr("the node's own ([deadlines] in its config)") : deadlines.c_str());
  if (auto refused = r->value("refused", std::uint64_t{0})) {
    std::printf(tr("refused        %llu bundle(s) since start (older, or not signed by the root key)\n"),
                u(refused));
  }
  return 0;
}

}  // namespace

int cmd_policy(Cli& cli) {
  const std::string sub = cli.args.empty() ? "" : cli.args[0];
  if (!cli.args.empty()) cli.args.erase(cli.args.begin());
  if (sub == "publish") return publish(cli);
  if (sub == "show") return show(cli);
  return usage_error(cli, tr("policy publish --calendar FILE --matters FILE --root-key KEY | "
                             "policy show [--json]"));
}

int cmd_matters_import(Cli& cli) {
  cli.args.erase(cli.args.begin());  // "import"
  const std::string out = cli.flag("--out");
  REJECT_LEFTOVER(cli, "matters import");
  if (cli.args.size() != 1 || out.empty()) {
    return usage_error(cli, tr("matters import FILE.csv --out matters.toml"));
  }
  auto csv = read_text_file(cli.args[0], tr("catalogue export"));
  if (!csv.is_ok()) return fail(cli, csv.status());
  auto toml = matters_csv_to_toml(*csv, cli.args[0]);
  if (!toml.is_ok()) return fail(cli, toml.status().with_context(tr("nothing written")));
  const std::string tmp = out + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << *toml;
    if (!f.flush()) {
      return fail(cli, Status::error(Code::kIoError, format_text(tr("%s: cannot write"), tmp.c_str())));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out, ec);
  if (ec) {
    return fail(cli, Status::error(Code::kIoError, format_text(tr("%s: cannot write: %s"),
                                                               out.c_str(), ec.message().c_str())));
  }
  std::printf(tr("%s: written; publish it with `casesyncctl --config DISTRICT.toml policy publish "
                 "--calendar CALENDAR.toml --matters %s --root-key ROOT.key`\n"),
              out.c_str(), out.c_str());
  return 0;
}

}  // namespace casesync
