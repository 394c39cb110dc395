// casesyncctl: the operator's and clerk's command line for a casesync node. Every command that
// talks to a node is a client of that node's local API; every read command has --json.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/table.h"
#include "cli/testbed.h"
#include "config/node_config.h"
#include "config/roster_file.h"
#include "crypto/crypto.h"

using namespace casesync;
using nlohmann::json;

namespace {

constexpr const char* kUsage = R"(Usage: casesyncctl [--config FILE | --api URL] COMMAND [ARGS] [--json]

Node selection: --config FILE reads the API address from that node's config
(default /etc/casesync/casesyncd.toml); --api URL talks to http://HOST:PORT directly.

Commands:
  keygen --secret FILE [--public FILE]   make an Ed25519 identity (secret file 0600)
  config check FILE                      validate a node config (and its roster)
  case create --matter CODE --applicant NAME [--field KEY=VALUE ...] [--json]
  case show ID [--json]                  the case and its events in canonical order
  case forward ID --to NODE [--json]     send the case to another node
  cases [--json]                         the cases this node holds
  status [--json]                        this node: links, backlog, counters
  testbed init|up|down|list|start|stop|kill ...   a local loopback district (see testbed --help)

Exit status: 0 ok, 1 the node refused or failed, 2 bad usage or input, 3 node unreachable.
)";

struct Cli {
  std::string config;
  std::string api;
  bool as_json = false;
  std::vector<std::string> args;  // positional and command flags, global options removed
};

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "casesyncctl: %s\n\n%s", msg.c_str(), kUsage);
  return 2;
}

// Returns the value of "--name VALUE" in args (removing both), or "" when absent.
std::string take_flag(std::vector<std::string>& args, const std::string& name) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == name) {
      std::string v = args[i + 1];
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      return v;
    }
  }
  return "";
}

std::vector<std::string> take_all(std::vector<std::string>& args, const std::string& name) {
  std::vector<std::string> out;
  for (std::string v = take_flag(args, name); !v.empty(); v = take_flag(args, name)) {
    out.push_back(v);
  }
  return out;
}

int fail(const Status& st) {
  std::fprintf(stderr, "casesyncctl: %s\n", st.message().c_str());
  return st.code() == Code::kUnavailable ? 3 : st.code() == Code::kInvalidArgument ? 2 : 1;
}

// Calls the API and turns HTTP errors into the node's own message.
Result<json> call(const Cli& cli, const std::string& method, const std::string& path,
                  const json& body = json()) {
  ASSIGN_OR_RETURN(ApiClient client, ApiClient::from_options(cli.api, cli.config));
  ASSIGN_OR_RETURN(ApiResponse r, method == "GET" ? client.get(path) : client.post(path, body));
  if (r.status >= 400) {
    std::string msg = r.body.is_object() ? r.body.value("error", r.body.dump()) : r.body.dump();
    return Status::error(r.status == 400 ? Code::kInvalidArgument
                         : r.status == 404 ? Code::kNotFound
                                           : Code::kInternal,
                         msg);
  }
  return r.body;
}

void print_case(const json& c) {
  std::printf("case %s  matter=%s  applicant=%s  status=%s\n", c.value("id", "").c_str(),
              c.value("matter", "").c_str(), c.value("applicant", "").c_str(),
              c.value("status", "").c_str());
  std::printf("state_hash %s\n", c.value("state_hash", "").c_str());
  TextTable t({"TIME", "ORIGIN", "SEQ", "KIND", "DETAIL"});
  for (const auto& e : c.value("events", json::array())) {
    std::string detail;
    for (const auto& [k, v] : e["body"].items()) {
      detail += (detail.empty() ? "" : " ") + k + "=" + v.get<std::string>();
    }
    t.add({e.value("time", ""), e.value("origin", ""), std::to_string(e.value("seq", 0ull)),
           e.value("kind", ""), detail});
  }
  t.print();
}

int cmd_keygen(Cli& cli) {
  std::string secret = take_flag(cli.args, "--secret");
  std::string pub = take_flag(cli.args, "--public");
  if (secret.empty()) return usage_error("keygen needs --secret FILE");
  if (pub.empty()) pub = secret + ".pub";
  if (Status st = crypto::init(); !st.is_ok()) return fail(st);
  auto pair = crypto::generate_keypair();
  if (Status st = crypto::write_keypair(secret, pub, pair); !st.is_ok()) return fail(st);
  std::printf("%s\n", to_hex(pair.public_key).c_str());
  std::fprintf(stderr, "secret key written to %s (mode 0600), public key to %s\n", secret.c_str(),
               pub.c_str());
  return 0;
}

int cmd_config_check(Cli& cli) {
  if (cli.args.size() != 1) return usage_error("config check needs exactly one FILE");
  auto cfg = load_node_config(cli.args[0]);
  if (!cfg.is_ok()) {
    std::fprintf(stderr, "%s\n", cfg.status().message().c_str());
    return 2;
  }
  auto roster = load_roster(cfg->roster_file);
  if (!roster.is_ok()) {
    std::fprintf(stderr, "%s\n", roster.status().message().c_str());
    return 2;
  }
  if (!roster->find(cfg->node_id)) {
    std::fprintf(stderr, "%s: node.id %s is not in the roster %s\n", cli.args[0].c_str(),
                 cfg->node_id.c_str(), cfg->roster_file.c_str());
    return 2;
  }
  std::printf("%s: ok (node %s, role %s, roster of %zu nodes)\n", cli.args[0].c_str(),
              cfg->node_id.c_str(), role_name(cfg->role), roster->nodes().size());
  return 0;
}

int cmd_case(Cli& cli) {
  if (cli.args.empty()) return usage_error("case needs a subcommand");
  std::string sub = cli.args[0];
  cli.args.erase(cli.args.begin());
  Result<json> r = Status::error(Code::kInvalidArgument, "unknown case subcommand " + sub);
  if (sub == "create") {
    json body = json::object();
    body["matter"] = take_flag(cli.args, "--matter");
    body["applicant"] = take_flag(cli.args, "--applicant");
    if (body["matter"] == "" || body["applicant"] == "") {
      return usage_error("case create needs --matter CODE and --applicant NAME");
    }
    for (const auto& kv : take_all(cli.args, "--field")) {
      auto eq = kv.find('=');
      if (eq == std::string::npos) return usage_error("--field takes KEY=VALUE, got " + kv);
      body[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    r = call(cli, "POST", "/api/cases", body);
    if (r.is_ok() && !cli.as_json) {
      std::printf("%s\n", r->value("id", "").c_str());
      return 0;
    }
  } else if (sub == "show" && cli.args.size() == 1) {
    r = call(cli, "GET", "/api/cases/" + cli.args[0]);
    if (r.is_ok() && !cli.as_json) return print_case(*r), 0;
  } else if (sub == "forward") {
    std::string to = take_flag(cli.args, "--to");
    if (to.empty() || cli.args.size() != 1) return usage_error("case forward ID --to NODE");
    r = call(cli, "POST", "/api/cases/" + cli.args[0] + "/forward", {{"to", to}});
    if (r.is_ok() && !cli.as_json) return print_case(*r), 0;
  }
  if (!r.is_ok()) return fail(r.status());
  std::printf("%s\n", r->dump(2).c_str());
  return 0;
}

int cmd_cases(Cli& cli) {
  auto r = call(cli, "GET", "/api/cases?limit=100000");
  if (!r.is_ok()) return fail(r.status());
  if (cli.as_json) return std::printf("%s\n", r->dump(2).c_str()), 0;
  TextTable t({"CASE", "ORIGIN", "MATTER", "APPLICANT", "STATUS", "EVENTS"});
  for (const auto& c : *r) {
    t.add({c.value("id", ""), c.value("origin", ""), c.value("matter", ""),
           c.value("applicant", ""), c.value("status", ""),
           std::to_string(c.value("event_count", 0))});
  }
  t.print();
  return 0;
}

int cmd_status(Cli& cli) {
  auto r = call(cli, "GET", "/api/status");
  if (!r.is_ok()) return fail(r.status());
  if (cli.as_json) return std::printf("%s\n", r->dump(2).c_str()), 0;
  const json& s = *r;
  std::printf("node %s (%s)  parent %s  uptime %llus  events %llu  last_seq %llu%s\n",
              s.value("node", "").c_str(), s.value("role", "").c_str(),
              s.value("parent", "").empty() ? "-" : s.value("parent", "").c_str(),
              s.value("uptime_s", 0ull), s["store"].value("events", 0ull),
              s.value("last_seq", 0ull), s.value("disk_trouble", false) ? "  DISK TROUBLE" : "");
  TextTable t({"PEER", "DIR", "STATE", "BACKLOG", "OLDEST_MS", "IN_FLIGHT", "RTT_MS", "HEARD_MS_AGO"});
  for (const auto& l : s["links"]) {
    t.add({l.value("peer", ""), l.value("direction", ""), l.value("state", ""),
           std::to_string(l.value("backlog_events", 0ull)),
           std::to_string(l.value("backlog_oldest_age_ms", 0ull)),
           std::to_string(l.value("in_flight_batches", 0ull)),
           std::to_string(l.value("rtt_ms", 0ull)),
           std::to_string(l.value("last_heard_ms_ago", -1ll))});
  }
  t.print();
  const json& rejects = s["counters"]["rejects"];
  if (!rejects.empty()) std::printf("rejected input: %s\n", rejects.dump().c_str());
  return 0;
}

std::string exe_dir(const char* argv0) {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) p = std::filesystem::absolute(argv0);
  return p.parent_path().string();
}

}  // namespace

int main(int argc, char** argv) {
  Cli cli;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      cli.config = argv[++i];
    } else if (a == "--api" && i + 1 < argc) {
      cli.api = argv[++i];
    } else if (a == "--json") {
      cli.as_json = true;
    } else {
      cli.args.push_back(a);
    }
  }
  if (cli.args.empty() || cli.args[0] == "--help" || cli.args[0] == "-h" || cli.args[0] == "help") {
    std::fputs(kUsage, cli.args.empty() ? stderr : stdout);
    return cli.args.empty() ? 2 : 0;
  }
  std::string cmd = cli.args[0];
  cli.args.erase(cli.args.begin());
  if (cmd == "keygen") return cmd_keygen(cli);
  if (cmd == "config" && !cli.args.empty() && cli.args[0] == "check") {
    cli.args.erase(cli.args.begin());
    return cmd_config_check(cli);
  }
  if (cmd == "case") return cmd_case(cli);
  if (cmd == "cases") return cmd_cases(cli);
  if (cmd == "status") return cmd_status(cli);
  if (cmd == "testbed") {
    if (cli.as_json) cli.args.push_back("--json");
    return testbed_main(cli.args, exe_dir(argv[0]));
  }
  return usage_error("unknown command " + cmd);
}
