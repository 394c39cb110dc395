#include "cli/trust_cmds.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/api_client.h"
#include "cli/cli_common.h"
#include "cli/command_help.h"
#include "common/bytes.h"
#include "common/translate.h"
#include "config/enrollment.h"
#include "config/node_config.h"
#include "config/roster_file.h"
#include "config/signed_roster.h"
#include "config/toml_errors.h"
#include "crypto/crypto.h"

namespace casesync {

namespace {

int fail(const Status& st) {
  std::fprintf(stderr, "casesyncctl: %s\n", st.message().c_str());
  return st.code() == Code::kInvalidArgument ? kExitUsage : kExitRefused;
}

// The help topic of this invocation ("roster sign"), for the see-line of a usage error.
std::string usage_topic;

int usage(const std::string& m) {
  print_usage_error(usage_topic, m);
  return kExitUsage;
}

// The flags a trust command takes are all taken before this: anything else is a usage error.
#define REJECT_LEFTOVER(cli, command) \
  if (auto problem = (cli).leftover_flag(command)) return usage(*problem)

// Signs and writes the roster, then gives it to the daemon when one was named.
int publish(const std::string& path, const Roster& roster, const crypto::SecretKey& root,
            const ApiClient* node) {
  auto signed_roster = write_signed_roster(path, roster, root);
  if (!signed_roster.is_ok()) return fail(signed_roster.status());
  std::printf(tr("%s: roster version %llu signed (%zu nodes)\n"), path.c_str(),
              static_cast<unsigned long long>(roster.version), roster.nodes().size());
  if (node == nullptr) {
    // Without a node, signing only wrote the files: say how to install them.
    std::printf(tr("a node reads it at start (paths.roster); a running district takes it with: "
                   "casesyncctl --config DISTRICT.toml roster push %s\n"),
                path.c_str());
    return 0;
  }
  auto r = node->post("/api/roster", {{"version", signed_roster->version}, {"text", signed_roster->text},
                                  {"signature", to_hex(signed_roster->signature)}});
  if (!r.is_ok()) return fail(r.status());
  if (r->status >= 400) {
    return fail(Status::error(Code::kInternal, "the node refused the roster: " +
                                                   r->body.value("message", r->body.dump())));
  }
  std::printf(tr("roster version %llu installed at %s; it propagates to every node (no roster push "
                 "needed)\n"),
              static_cast<unsigned long long>(roster.version), node->base_url().c_str());
  return 0;
}

// A push the node refused because it already runs that version (`roster sign --config` or
// `enroll approve` installed it) is not an error: the admin's goal is reached.
bool already_holds(const ApiClient& node, std::uint64_t version) {
  auto st = node.get("/api/status");
  if (!st.is_ok() || st->status != 200) return false;
  if (st->body.value("roster_version", std::uint64_t{0}) != version) return false;
  std::printf(
      tr("roster version %llu is already installed at %s; nothing to do (to change the roster, "
         "raise its version and sign it again)\n"),
      static_cast<unsigned long long>(version), node.base_url().c_str());
  return true;
}

struct Admin {
  std::string roster_path;
  Roster roster;
  crypto::KeyPair root;
};

constexpr const char* kAdminFlagsMissing = "needs --roster ROSTER.toml and --root-key ROOT.key";

Result<Admin> load_admin(Cli& cli) {
  std::string roster_path = cli.flag("--roster"), key = cli.flag("--root-key");
  if (roster_path.empty() || key.empty()) return Status::error(Code::kInvalidArgument, kAdminFlagsMissing);
  RETURN_IF_ERROR(crypto::init());
  Admin ad;
  ad.roster_path = roster_path;
  ASSIGN_OR_RETURN(ad.root, crypto::load_keypair(key));
  ASSIGN_OR_RETURN(auto signed_roster, read_signed_roster(roster_path, ad.root.public_key));
  ASSIGN_OR_RETURN(ad.roster, parse_roster(signed_roster.text, roster_path));
  return ad;
}

// Missing flags are a usage error (with the see-line); a bad roster or key is that file's error.
int admin_failure(const Status& st) {
  return st.message() == kAdminFlagsMissing ? usage(st.message()) : fail(st);
}

int root_init(Cli& cli) {
  std::string dir = cli.flag("--out");
  REJECT_LEFTOVER(cli, "root init");
  if (dir.empty()) dir = ".";
  // The root key usually goes to a fresh folder on a USB key: make it (owner only) rather
  // than send the admin back to mkdir.
  std::error_code error;
  if (std::filesystem::create_directories(dir, error)) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, error);
  }
  if (error) {
    return fail(Status::error(Code::kIoError, dir + ": cannot create the folder: " + error.message() +
                                                  " (choose another --out)"));
  }
  if (Status st = crypto::init(); !st.is_ok()) return fail(st);
  auto pair = crypto::generate_keypair();
  std::string key = dir + "/root.key", pub = dir + "/root.pub";
  if (Status st = crypto::write_keypair(key, pub, pair); !st.is_ok()) return fail(st);
  std::printf("%s\n", to_hex(pair.public_key).c_str());
  std::fprintf(stderr,
               tr("district root key written to %s (0600; keep it offline) and %s.\n"
                  "Pin it in every node's config:  [trust] root_public_key = \"%s\"\n"),
               key.c_str(), pub.c_str(), to_hex(pair.public_key).c_str());
  return 0;
}

int roster_cmd(Cli& cli, const ApiClient* node) {
  std::string sub = cli.args.empty() ? "" : cli.args[0];
  if (sub == "sign" && cli.args.size() >= 2) {
    std::string path = cli.args[1];
    cli.args.erase(cli.args.begin(), cli.args.begin() + 2);
    std::string key = cli.flag("--root-key");
    REJECT_LEFTOVER(cli, "roster sign");
    if (key.empty()) return usage("roster sign ROSTER.toml --root-key ROOT.key");
    if (Status st = crypto::init(); !st.is_ok()) return fail(st);
    auto root = crypto::load_keypair(key);
    if (!root.is_ok()) return fail(root.status());
    auto roster = load_roster(path);
    if (!roster.is_ok()) return fail(roster.status());
    return publish(path, *roster, root->secret, node);
  }
  REJECT_LEFTOVER(cli, "roster " + sub);
  if (sub == "push" && cli.args.size() == 2) {
    std::string path = cli.args[1];
    auto text = read_text_file(path, "roster");
    auto sig = read_text_file(path + ".sig", "roster signature");
    if (!text.is_ok()) return fail(text.status());
    if (!sig.is_ok()) return fail(sig.status());
    auto roster = parse_roster(*text, path);
    if (!roster.is_ok()) return fail(roster.status());
    std::string hex = *sig;
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
    if (node == nullptr)
      return usage(tr("roster push needs the district: --config FILE or --api URL"));
    auto r = node->post("/api/roster", {{"version", roster->version}, {"text", *text}, {"signature", hex}});
    if (!r.is_ok()) return fail(r.status());
    if (r->status >= 400) {
      if (already_holds(*node, roster->version)) return 0;
      return fail(Status::error(Code::kInternal, r->body.value("message", r->body.dump())));
    }
    std::printf(tr("roster version %llu installed\n"),
                static_cast<unsigned long long>(roster->version));
    return 0;
  }
  return usage("roster sign ROSTER.toml --root-key ROOT.key | roster push ROSTER.toml");
}

int enroll_request(Cli& cli, const std::string& config) {
  std::string id = cli.flag("--id"), role = cli.flag("--role"), key = cli.flag("--key");
  std::string parent = cli.flag("--parent"), out = cli.flag("--out"), name = cli.flag("--name");
  std::string endpoint = cli.flag("--endpoint");
  REJECT_LEFTOVER(cli, "enroll request");
  if (!config.empty()) {
    auto cfg = load_node_config(config);
    if (!cfg.is_ok()) return fail(cfg.status());
    id = id.empty() ? cfg->node_id : id;
    role = role.empty() ? role_name(cfg->role) : role;
    key = key.empty() ? cfg->key_file : key;
    endpoint = endpoint.empty() ? cfg->listen_endpoint : endpoint;
  }
  if (id.empty() || role.empty() || key.empty() || parent.empty()) {
    return usage(
        tr("enroll request needs --parent NODE and --config FILE (or --id, --role, --key)"));
  }
  if (Status st = crypto::init(); !st.is_ok()) return fail(st);
  auto pair = crypto::load_keypair(key);
  if (!pair.is_ok()) return fail(pair.status());
  EnrollmentRequest r;
  r.node = {.id = id, .name = name.empty() ? id : name, .parent = parent, .endpoint = endpoint};
  auto parsed_role = role_from_name(role);
  if (!parsed_role) return usage(tr("--role must be street or community"));
  r.node.role = *parsed_role;
  r.node.sign_public_key = pair->public_key;
  r.curve_public_key = crypto::curve_public_from_sign_public(pair->public_key);
  const std::string text = render_enrollment(r);
  if (Status st = parse_enrollment(text, "request").status(); !st.is_ok()) return fail(st);
  if (out.empty()) out = id + ".enroll.json";
  std::ofstream(out) << text;
  std::printf(
      tr("%s: enrollment request for %s (no secrets inside); give it to the district admin\n"),
      out.c_str(), id.c_str());
  return 0;
}

int enroll_approve(Cli& cli, const ApiClient* node) {
  auto admin = load_admin(cli);
  if (!admin.is_ok()) return admin_failure(admin.status());
  REJECT_LEFTOVER(cli, "enroll approve");
  if (cli.args.empty()) return usage("enroll approve REQUEST.json --roster ROSTER.toml --root-key ROOT.key");
  auto text = read_text_file(cli.args[0], "enrollment request");
  if (!text.is_ok()) return fail(text.status());
  auto req = parse_enrollment(*text, cli.args[0]);
  if (!req.is_ok()) return fail(req.status());
  if (Status st = approve_enrollment(admin->roster, *req); !st.is_ok()) return fail(st);
  return publish(admin->roster_path, admin->roster, admin->root.secret, node);
}

// Marks the node revoked: its key is refused at every ZAP handler and its future events are
// rejected once the roster has propagated; its past events stay.
int revoke(Cli& cli, const ApiClient* node) {
  auto admin = load_admin(cli);
  if (!admin.is_ok()) return admin_failure(admin.status());
  REJECT_LEFTOVER(cli, "revoke");
  if (cli.args.size() != 1) return usage("revoke NODE --roster ROSTER.toml --root-key ROOT.key");
  const RosterNode* n = admin->roster.find(cli.args[0]);
  if (!n) return usage("node " + cli.args[0] + " is not in the roster");
  if (n->role == Role::kDistrict) return usage(tr("the district cannot revoke itself"));
  RosterNode changed = *n;
  changed.revoked = true;
  admin->roster.add(changed);
  admin->roster.version++;
  return publish(admin->roster_path, admin->roster, admin->root.secret, node);
}

}  // namespace

int trust_main(std::vector<std::string> args, const ApiClient* node,
               const std::string& config) {
  const std::string cmd = args.front();
  Cli cli;
  cli.args.assign(args.begin() + 1, args.end());
  usage_topic = help_topic(cmd, cli.args);
  if (cmd == "root" && !cli.args.empty() && cli.args[0] == "init") {
    cli.args.erase(cli.args.begin());
    return root_init(cli);
  }
  if (cmd == "roster") return roster_cmd(cli, node);
  if (cmd == "revoke") return revoke(cli, node);
  if (cmd == "enroll" && !cli.args.empty()) {
    std::string sub = cli.args[0];
    cli.args.erase(cli.args.begin());
    if (sub == "request") return enroll_request(cli, config);
    if (sub == "approve") return enroll_approve(cli, node);
  }
  return usage("root init | roster sign|push | enroll request|approve | revoke");
}

}  // namespace casesync
