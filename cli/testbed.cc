#include "cli/testbed.h"

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>
#include <utility>

#include "cli/admin_token.h"
#include "cli/cli_common.h"
#include "cli/table.h"
#include "common/roster.h"
#include "common/status.h"
#include "common/translate.h"
#include "config/node_config.h"
#include "config/roster_file.h"
#include "config/signed_roster.h"
#include "crypto/crypto.h"
#include "crypto/key_file.h"
#include "data/embedded_data.h"

namespace casesync {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

// Exit codes come from cli/cli_common.h; a failed testbed step is 1.
constexpr int kExitFailure = 1;

// Ids carry two-digit numbers (s07, s07-c12), so 99 is the most either count can be.
constexpr int kStreetsMax = 99;
constexpr int kCommunitiesPerStreetMax = 99;
constexpr int kBasePortDefault = 17000;
// A node's API port is its sync port plus this; more nodes than this would overlap the ranges.
constexpr int kApiPortOffset = 1000;
constexpr int kPortMin = 1024;  // below: privileged ports
constexpr int kPortMax = 65535;

constexpr auto kUpTimeout = std::chrono::seconds(30);    // every node answering /healthz
constexpr auto kStopTimeout = std::chrono::seconds(10);  // draining after SIGTERM
constexpr auto kKillTimeout = std::chrono::seconds(5);   // the kernel tearing down after SIGKILL
constexpr auto kPollInterval = std::chrono::milliseconds(100);
// Loopback answers or refuses at once; longer waits only slow `up` down when a node hangs.
constexpr auto kHealthConnectTimeout = std::chrono::milliseconds(200);
constexpr auto kHealthReadTimeout = std::chrono::milliseconds(1000);
constexpr int kLogTailLines = 20;
constexpr std::streamoff kLogTailBytesMax = 64 * 1024;  // ample for 20 lines of any sane log

constexpr const char* kManifestName = "testbed.json";
constexpr const char* kRosterName = "roster.toml";
constexpr const char* kMattersName = "matters.toml";  // the sample catalogue, shared by all nodes
constexpr const char* kConfigName = "casesyncd.toml";
constexpr const char* kAdminTokenName = "admin.token";  // the default api.admin_token
constexpr const char* kPidName = "casesyncd.pid";
constexpr const char* kLogName = "casesyncd.log";
constexpr const char* kDaemonName = "casesyncd";

constexpr const char* kUsage = R"(Usage: casesyncctl testbed SUBCOMMAND ...

A district of casesyncd processes on 127.0.0.1, for trials and integration tests.

  init DIR --streets N --communities M [--base-port P] [--set KEY=VALUE ...]
       [--community-fallback district]
        Write keys, one config per node and a shared roster under DIR. Nodes are district,
        s01..sNN (streets) and s01-c01.. (M communities per street). Node i, in that order,
        syncs on port P+i and serves its API on 127.0.0.1:P+1000+i (P defaults to 17000).
        --set adds or overrides a config key on every node; VALUE is written as an integer
        if all digits, a boolean if true/false, else a string:
          --set sync.batch_events_max=100 --set log.level=debug
        --community-fallback district names the district as every community's fallback
        parent (roster fallback_parents), used after sync.fallback_after_ms without its street.
  up DIR              start every node that is not running; wait until all answer /healthz
  down DIR            stop every node (SIGTERM, SIGKILL after 10 s)
  list DIR [--json]   show the nodes with their API URLs and pids
  start DIR NODE      start one node and wait until it answers /healthz
  stop DIR NODE       stop one node (SIGTERM, SIGKILL after 10 s)
  kill DIR NODE       SIGKILL one node, as a crash would

casesyncd is looked up next to casesyncctl, then in $CASESYNCD, then in ../daemon/ (a build
tree), then on PATH.
Exit status: 0 done, 1 a node failed to start or stop or I/O failed, 2 bad usage or testbed.
)";

// ---- small helpers ---------------------------------------------------------------------------

Status invalid(std::string message) {
  return Status::error(Code::kInvalidArgument, std::move(message));
}

std::string quote_text(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string two_digits(int n) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%02d", n);
  return buffer;
}

// Absolute and without a trailing slash, so paths built from it read cleanly in messages.
fs::path absolute_path(const std::string& dir) {
  std::error_code error;
  fs::path path = fs::absolute(dir, error).lexically_normal();
  if (error) path = fs::path(dir).lexically_normal();
  if (!path.has_filename() && path.has_parent_path() && path != path.root_path()) {
    path = path.parent_path();
  }
  return path;
}

Status write_text_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    return Status::error(Code::kIoError,
                         "cannot write " + path.string() + ": " + std::strerror(errno));
  }
  return Status::ok();
}

// The last `lines` lines of a log, reading at most kLogTailBytesMax from its end.
std::string log_tail(const fs::path& path, int lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "(no log at " + path.string() + ")\n";
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  in.seekg(std::max<std::streamoff>(0, size - kLogTailBytesMax));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!text.empty() && text.back() != '\n') text += '\n';
  std::size_t start = text.size() > 0 ? text.size() - 1 : 0;  // skip the final newline
  for (int seen = 0; start > 0; --start) {
    if (text[start - 1] == '\n' && ++seen == lines) break;
  }
  return text.empty() ? "(the log is empty)\n" : text.substr(start);
}

// ---- TOML writing ----------------------------------------------------------------------------

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A TOML document as ordered tables of already-rendered values, so --set can replace a default in
// place and the file keeps its usual order. Table "" holds top-level keys, which TOML requires
// before the first [table] header, so it always comes first.
struct TomlTable {
  std::string name;
  std::vector<std::pair<std::string, std::string>> entries;  // key, rendered value
};
using TomlDoc = std::vector<TomlTable>;

void set_value(TomlDoc& doc, const std::string& table, const std::string& key,
               std::string rendered) {
  auto t =
      std::find_if(doc.begin(), doc.end(), [&](const TomlTable& x) { return x.name == table; });
  if (t == doc.end()) t = doc.insert(doc.end(), TomlTable{table, {}});
  auto e = std::find_if(t->entries.begin(), t->entries.end(),
                        [&](const auto& entry) { return entry.first == key; });
  if (e == t->entries.end()) {
    t->entries.emplace_back(key, std::move(rendered));
  } else {
    e->second = std::move(rendered);
  }
}

std::string render_toml(const TomlDoc& doc, const std::string& header) {
  std::string out = header;
  for (const TomlTable& table : doc) {
    if (!table.name.empty()) out += "\n[" + table.name + "]\n";
    for (const auto& [key, value] : table.entries) out += key + " = " + value + "\n";
  }
  return out;
}

// ---- init: options ---------------------------------------------------------------------------

// One --set KEY=VALUE, split into its table ("" for a top-level key) and key.
struct Override {
  std::string table;
  std::string key;
  std::string rendered;
};

// Keys the testbed derives per node; one value on every node would break the tree or the ports.
constexpr std::string_view kPerNodeKeys[] = {"node.id",      "node.role",      "node.listen",
                                             "node.parents", "paths.data_dir", "paths.key_file",
                                             "paths.roster", "api.listen"};

bool is_bare_key(std::string_view part) {
  return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

std::string render_override_value(const std::string& value) {
  bool digits = !value.empty() && std::all_of(value.begin(), value.end(),
                                              [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    // TOML forbids leading zeros in integers.
    std::size_t first = std::min(value.find_first_not_of('0'), value.size() - 1);
    return value.substr(first);
  }
  if (value == "true" || value == "false") return value;
  return toml_string(value);
}

Result<Override> parse_override(const std::string& text) {
  std::size_t eq = text.find('=');
  if (eq == std::string::npos) {
    return invalid("--set " + quote_text(text) +
                   ": expected KEY=VALUE, e.g. --set log.level=debug");
  }
  std::string dotted = text.substr(0, eq);
  std::size_t dot = dotted.rfind('.');
  Override result;
  result.table = dot == std::string::npos ? "" : dotted.substr(0, dot);
  result.key = dot == std::string::npos ? dotted : dotted.substr(dot + 1);
  bool well_formed = !dotted.empty() && dotted.back() != '.';
  std::stringstream parts(dotted);
  for (std::string part; well_formed && std::getline(parts, part, '.');) {
    well_formed = is_bare_key(part);
  }
  if (!well_formed) {
    return invalid("--set " + quote_text(text) + ": " + quote_text(dotted) +
                   " is not a KEY or TABLE.KEY (letters, digits, '_' and '-' between dots)");
  }
  if (std::find(std::begin(kPerNodeKeys), std::end(kPerNodeKeys), dotted) !=
      std::end(kPerNodeKeys)) {
    return invalid("--set " + dotted +
                   ": the testbed sets this per node; edit DIR/<id>/casesyncd.toml after init");
  }
  result.rendered = render_override_value(text.substr(eq + 1));
  return result;
}

struct InitOptions {
  std::string dir;
  int streets = -1;
  int communities = -1;
  int base_port = kBasePortDefault;
  std::vector<Override> overrides;
  bool community_fallback_district = false;
};

// Accepts "--flag VALUE" and "--flag=VALUE" alike by splitting the latter.
std::vector<std::string> split_flag_values(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const std::string& arg : args) {
    std::size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      out.push_back(arg.substr(0, eq));
      out.push_back(arg.substr(eq + 1));
    } else {
      out.push_back(arg);
    }
  }
  return out;
}

Status apply_init_flag(const std::string& flag, const std::string& value, InitOptions& options) {
  if (flag == "--streets") {
    ASSIGN_OR_RETURN(options.streets, parse_count(flag, value, 0, kStreetsMax));
  } else if (flag == "--communities") {
    ASSIGN_OR_RETURN(options.communities, parse_count(flag, value, 0, kCommunitiesPerStreetMax));
  } else if (flag == "--base-port") {
    ASSIGN_OR_RETURN(options.base_port, parse_count(flag, value, kPortMin, kPortMax));
  } else if (flag == "--community-fallback") {
    if (value != "district") {
      return invalid(flag + " " + quote_text(value) + ": the only fallback parent a testbed "
                     "offers is \"district\"");
    }
    options.community_fallback_district = true;
  } else {
    ASSIGN_OR_RETURN(Override override_value, parse_override(value));
    options.overrides.push_back(std::move(override_value));
  }
  return Status::ok();
}

Result<InitOptions> parse_init(const std::vector<std::string>& raw_args) {
  constexpr std::string_view kFlags[] = {"--streets", "--communities", "--base-port", "--set",
                                         "--community-fallback"};
  std::vector<std::string> args = split_flag_values(raw_args);
  InitOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("-", 0) != 0) {
      if (!options.dir.empty()) return invalid("init takes one DIR; unexpected " + quote_text(arg));
      options.dir = arg;
      continue;
    }
    if (std::find(std::begin(kFlags), std::end(kFlags), arg) == std::end(kFlags)) {
      return invalid("init: unknown option " + arg);
    }
    if (i + 1 >= args.size()) return invalid("init: " + arg + " needs a value");
    RETURN_IF_ERROR(apply_init_flag(arg, args[++i], options));
  }
  if (options.dir.empty()) return invalid("init needs a DIR");
  if (options.streets < 0) return invalid("init needs --streets N");
  if (options.communities < 0) return invalid("init needs --communities M");
  return options;
}

// ---- init: the plan --------------------------------------------------------------------------

struct PlannedNode {
  std::string id;
  std::string name;
  Role role = Role::kCommunity;
  int parent_index = -1;  // into the plan; -1 for the district
  int sync_port = 0;
  int api_port = 0;
};

// Roster order: district, streets, then communities street by street. A node's index in this
// order picks its ports, so the order is part of the testbed's contract.
std::vector<PlannedNode> plan_nodes(const InitOptions& options) {
  std::vector<PlannedNode> nodes;
  auto add = [&](std::string id, std::string name, Role role, int parent_index) {
    int index = static_cast<int>(nodes.size());
    nodes.push_back({std::move(id), std::move(name), role, parent_index, options.base_port + index,
                     options.base_port + kApiPortOffset + index});
  };
  add("district", "District approval centre", Role::kDistrict, -1);
  for (int s = 1; s <= options.streets; ++s) {
    add("s" + two_digits(s), "Street " + two_digits(s), Role::kStreet, 0);
  }
  for (int s = 1; s <= options.streets; ++s) {
    for (int c = 1; c <= options.communities; ++c) {
      add("s" + two_digits(s) + "-c" + two_digits(c),
          "Street " + two_digits(s) + " community " + two_digits(c), Role::kCommunity, s);
    }
  }
  return nodes;
}

Status check_ports(int base_port, std::size_t node_count) {
  int count = static_cast<int>(node_count);
  if (count > kApiPortOffset) {
    return invalid(std::to_string(count) + " nodes are too many: API ports sit " +
                   std::to_string(kApiPortOffset) + " above sync ports, so at most " +
                   std::to_string(kApiPortOffset) + " nodes fit; use fewer streets or communities");
  }
  int last_port = base_port + kApiPortOffset + count - 1;
  if (last_port > kPortMax) {
    return invalid("--base-port " + std::to_string(base_port) + ": " + std::to_string(count) +
                   " nodes need ports up to " + std::to_string(last_port) + ", above " +
                   std::to_string(kPortMax) + "; choose --base-port at most " +
                   std::to_string(kPortMax - kApiPortOffset - count + 1));
  }
  return Status::ok();
}

std::string tcp_endpoint(int port) { return "tcp://127.0.0.1:" + std::to_string(port); }
std::string api_url(int port) { return "http://127.0.0.1:" + std::to_string(port); }

TomlDoc node_config_doc(const PlannedNode& node, const std::vector<PlannedNode>& plan,
                        const std::vector<Override>& overrides, const std::string& root_pub_hex) {
  TomlDoc doc{TomlTable{"", {}}};
  set_value(doc, "node", "id", toml_string(node.id));
  set_value(doc, "node", "role", toml_string(role_name(node.role)));
  if (node.role != Role::kCommunity) {
    set_value(doc, "node", "listen", toml_string(tcp_endpoint(node.sync_port)));
  }
  if (node.parent_index >= 0) {
    const PlannedNode& parent = plan[static_cast<std::size_t>(node.parent_index)];
    set_value(doc, "node", "parents", "[" + toml_string(tcp_endpoint(parent.sync_port)) + "]");
  }
  set_value(doc, "paths", "data_dir", toml_string("data"));
  set_value(doc, "paths", "key_file", toml_string("node.key"));
  set_value(doc, "paths", "roster", toml_string("../" + std::string(kRosterName)));
  set_value(doc, "paths", "matters", toml_string("../" + std::string(kMattersName)));
  set_value(doc, "api", "listen", toml_string("127.0.0.1:" + std::to_string(node.api_port)));
  set_value(doc, "log", "level", toml_string("info"));
  set_value(doc, "trust", "root_public_key", toml_string(root_pub_hex));
  for (const Override& o : overrides) set_value(doc, o.table, o.key, o.rendered);
  return doc;
}

// ---- init: writing ---------------------------------------------------------------------------

// Refuses to overwrite a testbed; an empty testbed.json (an interrupted write) does not count.
Status prepare_dir(const fs::path& dir) {
  fs::path manifest = dir / kManifestName;
  std::error_code error;
  if (fs::exists(manifest, error) && fs::file_size(manifest, error) > 0) {
    return invalid(dir.string() + " already holds a testbed (" + manifest.string() +
                   "); stop it with `casesyncctl testbed down " + dir.string() +
                   "` and remove the directory, or choose another DIR");
  }
  fs::create_directories(dir, error);
  if (error)
    return Status::error(Code::kIoError, "cannot create " + dir.string() + ": " + error.message());
  return Status::ok();
}

Status make_node_dir(const fs::path& node_dir) {
  std::error_code error;
  if (fs::exists(node_dir / "node.key", error)) {
    return invalid((node_dir / "node.key").string() +
                   " already exists (left by an earlier init?); remove the testbed directory or "
                   "choose another DIR");
  }
  fs::create_directories(node_dir / "data", error);
  if (error) {
    return Status::error(Code::kIoError,
                         "cannot create " + (node_dir / "data").string() + ": " + error.message());
  }
  return Status::ok();
}

// Written and validated before any key exists, so a bad --set can be fixed by running init again.
Status write_configs(const fs::path& dir, const std::vector<PlannedNode>& plan,
                     const std::vector<Override>& overrides, const std::string& root_pub_hex) {
  for (const PlannedNode& node : plan) {
    RETURN_IF_ERROR(make_node_dir(dir / node.id));
    fs::path path = dir / node.id / kConfigName;
    std::string header = "# Testbed node " + node.id + " (" + role_name(node.role) +
                         "), written by `casesyncctl testbed init`.\n";
    RETURN_IF_ERROR(
        write_text_file(path, render_toml(node_config_doc(node, plan, overrides, root_pub_hex), header)));
    Result<NodeConfig> loaded = load_node_config(path.string());
    if (!loaded.is_ok()) {
      std::string hint = overrides.empty() ? "" : "\n(the --set values go to every node's config)";
      return invalid("the config written for " + node.id + " is invalid:\n" +
                     loaded.status().message() + hint);
    }
  }
  return Status::ok();
}

Result<Roster> write_keys(const fs::path& dir, const std::vector<PlannedNode>& plan,
                          const InitOptions& options) {
  RETURN_IF_ERROR(crypto::init());
  Roster roster;
  roster.version = 1;
  for (const PlannedNode& node : plan) {
    crypto::KeyPair pair = crypto::generate_keypair();
    fs::path node_dir = dir / node.id;
    RETURN_IF_ERROR(crypto::write_keypair((node_dir / "node.key").string(),
                                          (node_dir / "node.pub").string(), pair));
    // The node's admin token, where its config looks (api.admin_token): casesyncctl --config
    // finds it there. The daemon writes its data key beside node.key at first start.
    RETURN_IF_ERROR(crypto::key_file::create((node_dir / kAdminTokenName).string(),
                                             new_admin_token(), 0600,
                                             crypto::key_file::Existing::kRefuse));
    RosterNode entry;
    entry.id = node.id;
    entry.name = node.name;
    entry.role = node.role;
    if (node.parent_index >= 0) entry.parent = plan[static_cast<std::size_t>(node.parent_index)].id;
    if (node.role == Role::kCommunity && options.community_fallback_district) {
      entry.fallback_parents = {plan.front().id};
    }
    entry.sign_public_key = pair.public_key;
    if (node.role != Role::kCommunity) entry.endpoint = tcp_endpoint(node.sync_port);
    entry.api = api_url(node.api_port);
    roster.add(std::move(entry));
  }
  return roster;
}

// Signed by the testbed's own district root key, as `casesyncctl roster sign` would.
Status write_roster(const fs::path& path, const Roster& roster, const crypto::SecretKey& root) {
  RETURN_IF_ERROR(write_signed_roster(path.string(), roster, root).status());
  // The daemons will refuse a roster the parser rejects; better to learn it here.
  Result<Roster> loaded = load_roster(path.string());
  if (!loaded.is_ok()) {
    return Status::error(Code::kInternal, "the roster written to " + path.string() +
                                              " does not load (a bug in testbed init):\n" +
                                              loaded.status().message());
  }
  return Status::ok();
}

// ---- testbed.json ----------------------------------------------------------------------------

struct TestbedNode {
  std::string id;
  std::string role;
  std::string parent;  // "" for the district, as in the roster
  std::string config;  // absolute path
  std::string api;     // "http://127.0.0.1:PORT"
};

struct Testbed {
  fs::path dir;
  std::vector<TestbedNode> nodes;  // roster order: district, streets, communities

  fs::path node_file(const TestbedNode& node, const char* name) const {
    return dir / node.id / name;
  }
};

Json node_json(const TestbedNode& node) {
  return Json{{"id", node.id},
              {"role", node.role},
              {"parent", node.parent},
              {"config", node.config},
              {"api", node.api},
              {"token_file", (fs::path(node.config).parent_path() / kAdminTokenName).string()}};
}

Status write_manifest(const fs::path& dir, const std::vector<PlannedNode>& plan) {
  Json nodes = Json::array();
  for (const PlannedNode& node : plan) {
    std::string parent =
        node.parent_index >= 0 ? plan[static_cast<std::size_t>(node.parent_index)].id : "";
    nodes.push_back(node_json({node.id, role_name(node.role), parent,
                               (dir / node.id / kConfigName).string(), api_url(node.api_port)}));
  }
  return write_text_file(dir / kManifestName, Json{{"nodes", nodes}}.dump(2) + "\n");
}

// "http://HOST:PORT" -> (HOST, PORT); the only form init writes.
std::optional<std::pair<std::string, int>> api_host_port(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return std::nullopt;
  std::string rest = url.substr(kScheme.size());
  std::size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  int port = 0;
  const char* begin = rest.data() + colon + 1;
  const char* end = rest.data() + rest.size();
  auto [ptr, error] = std::from_chars(begin, end, port);
  if (error != std::errc() || ptr != end || port < 1 || port > kPortMax) return std::nullopt;
  return std::make_pair(rest.substr(0, colon), port);
}

Status check_manifest_node(const TestbedNode& node) {
  // The id becomes a path component under DIR; anything else would point outside it.
  bool id_ok = is_bare_key(node.id) && node.id.find('.') == std::string::npos;
  if (!id_ok) return invalid("node id " + quote_text(node.id) + " is not a testbed node id");
  if (!api_host_port(node.api)) {
    return invalid("node " + node.id + ": api " + quote_text(node.api) +
                   " is not http://HOST:PORT");
  }
  return Status::ok();
}

Result<Testbed> load_testbed(const std::string& dir_arg) {
  Testbed testbed;
  testbed.dir = absolute_path(dir_arg);
  fs::path manifest = testbed.dir / kManifestName;
  std::ifstream in(manifest);
  if (!in) {
    return invalid("no " + manifest.string() + ": " + dir_arg +
                   " is not a testbed; create one with `casesyncctl testbed init " + dir_arg +
                   " --streets N --communities M`");
  }
  try {
    Json root = Json::parse(in);
    for (const Json& entry : root.at("nodes")) {
      TestbedNode node{entry.at("id").get<std::string>(), entry.at("role").get<std::string>(),
                       entry.at("parent").get<std::string>(), entry.at("config").get<std::string>(),
                       entry.at("api").get<std::string>()};
      testbed.nodes.push_back(std::move(node));
    }
  } catch (const Json::exception& e) {
    return invalid(manifest.string() + ": " + e.what() +
                   " (the file is written by `testbed init`; run init again in a new DIR)");
  }
  if (testbed.nodes.empty()) return invalid(manifest.string() + " lists no nodes");
  for (const TestbedNode& node : testbed.nodes) {
    RETURN_IF_ERROR(check_manifest_node(node).with_context(manifest.string()));
  }
  return testbed;
}

Result<const TestbedNode*> find_node(const Testbed& testbed, const std::string& id) {
  for (const TestbedNode& node : testbed.nodes) {
    if (node.id == id) return &node;
  }
  return invalid("no node " + quote_text(id) + " in " + (testbed.dir / kManifestName).string() +
                 "; `casesyncctl testbed list " + testbed.dir.string() + "` shows the ids");
}

// ---- init: the whole -------------------------------------------------------------------------

std::string count_of(int n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

void print_init_summary(const fs::path& dir, const InitOptions& options, std::size_t count) {
  int last = static_cast<int>(count) - 1;
  std::printf("Wrote a testbed of %zu nodes in %s: 1 district, %s, %s\n", count, dir.c_str(),
              count_of(options.streets, "street", "streets").c_str(),
              count_of(options.streets * options.communities, "community", "communities").c_str());
  std::printf("  roster:  %s\n", (dir / kRosterName).c_str());
  std::printf("  configs: %s/<id>/%s\n", dir.c_str(), kConfigName);
  std::printf("  ports:   sync %d..%d, API %d..%d\n", options.base_port, options.base_port + last,
              options.base_port + kApiPortOffset, options.base_port + kApiPortOffset + last);
  std::printf("Start it with: casesyncctl testbed up %s\n", dir.c_str());
}

Status init_testbed(const InitOptions& options) {
  std::vector<PlannedNode> plan = plan_nodes(options);
  RETURN_IF_ERROR(check_ports(options.base_port, plan.size()));
  fs::path dir = absolute_path(options.dir);
  RETURN_IF_ERROR(prepare_dir(dir));
  RETURN_IF_ERROR(crypto::init());
  // The district root of trust for this testbed: every config pins its public key.
  crypto::KeyPair root = crypto::generate_keypair();
  RETURN_IF_ERROR(write_configs(dir, plan, options.overrides, to_hex(root.public_key)));
  RETURN_IF_ERROR(crypto::write_keypair((dir / "root.key").string(), (dir / "root.pub").string(), root));
  ASSIGN_OR_RETURN(Roster roster, write_keys(dir, plan, options));
  RETURN_IF_ERROR(write_roster(dir / kRosterName, roster, root.secret));
  RETURN_IF_ERROR(write_text_file(dir / kMattersName, std::string(sample_matters_toml())));
  // Last: its presence marks a complete testbed, and a later init refuses the directory.
  RETURN_IF_ERROR(write_manifest(dir, plan));
  print_init_summary(dir, options, plan.size());
  return Status::ok();
}

// ---- processes -------------------------------------------------------------------------------

std::string read_cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::replace(text.begin(), text.end(), '\0', ' ');
  return text;
}

// A pid file outlives its process (a crash, a reboot) and the kernel reuses pids, so a pid counts
// only while it is a casesyncd started with this node's config. A zombie has an empty cmdline and
// so counts as gone.
bool is_node_process(pid_t pid, const TestbedNode& node) {
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  std::string cmdline = read_cmdline(pid);
  return cmdline.find(kDaemonName) != std::string::npos &&
         cmdline.find(node.config) != std::string::npos;
}

std::optional<pid_t> read_pid_file(const fs::path& path) {
  std::ifstream in(path);
  long long value = 0;
  if (!(in >> value) || value <= 0 || value > INT_MAX) return std::nullopt;
  return static_cast<pid_t>(value);
}

std::optional<pid_t> running_pid(const Testbed& testbed, const TestbedNode& node) {
  std::optional<pid_t> pid = read_pid_file(testbed.node_file(node, kPidName));
  if (!pid || !is_node_process(*pid, node)) return std::nullopt;
  return pid;
}

void remove_pid_file(const Testbed& testbed, const TestbedNode& node) {
  std::error_code ignored;  // already gone is as good as removed
  fs::remove(testbed.node_file(node, kPidName), ignored);
}

bool is_executable_file(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error) && ::access(path.c_str(), X_OK) == 0;
}

Result<fs::path> find_daemon(const std::string& self_exe_dir) {
  std::vector<fs::path> candidates;
  if (!self_exe_dir.empty()) candidates.push_back(fs::path(self_exe_dir) / kDaemonName);
  const char* env = std::getenv("CASESYNCD");
  if (env != nullptr && *env != '\0') candidates.push_back(env);
  // In a build tree casesyncctl sits in cli/ and casesyncd in daemon/; after $CASESYNCD so that
  // a test can still point a build tree's casesyncctl at another daemon.
  if (!self_exe_dir.empty()) {
    candidates.push_back(fs::path(self_exe_dir) / ".." / "daemon" / kDaemonName);
  }
  const char* path = std::getenv("PATH");
  std::stringstream path_list(path != nullptr ? path : "");
  for (std::string entry; std::getline(path_list, entry, ':');) {
    candidates.push_back(fs::path(entry.empty() ? "." : entry) / kDaemonName);
  }
  for (const fs::path& candidate : candidates) {
    // Absolute: the child changes into the node's directory before exec.
    if (is_executable_file(candidate)) return absolute_path(candidate.string());
  }
  return Status::error(Code::kNotFound,
                       "cannot find casesyncd (looked next to casesyncctl in " + self_exe_dir +
                           ", in $CASESYNCD and on PATH); build it (cmake --build BUILD --target "
                           "casesyncd) or set CASESYNCD=/path/to/casesyncd");
}

// In the child between fork and exec: only async-signal-safe calls from here on.
[[noreturn]] void exec_in_child(const char* daemon, char* const* argv, const char* dir,
                                const char* log) {
  ::setsid();  // its own session: a Ctrl-C in the shell that ran `up` must not reach it
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int log_fd = ::open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);  // names, ID numbers
  if (null_fd < 0 || log_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 ||
      ::dup2(log_fd, 2) < 0) {
    ::_exit(126);
  }
  ::close_range(3, ~0U, 0);
  ::signal(SIGPIPE, SIG_DFL);  // an ignored disposition would survive exec
  if (::chdir(dir) == 0) ::execv(daemon, argv);
  // Only reached on failure; the line lands in the node's log, which `up` then prints.
  constexpr char kMessage[] = "casesyncctl testbed: cannot chdir to the node directory or exec ";
  ssize_t ignored = ::write(2, kMessage, sizeof kMessage - 1);
  ignored = ::write(2, daemon, std::strlen(daemon));
  ignored = ::write(2, "\n", 1);
  (void)ignored;
  ::_exit(127);
}

Result<pid_t> spawn_node(const fs::path& daemon, const Testbed& testbed, const TestbedNode& node) {
  // Everything the child needs is built before fork; the child may not allocate.
  std::string daemon_path = daemon.string();
  std::string dir = (testbed.dir / node.id).string();
  std::string log = testbed.node_file(node, kLogName).string();
  std::vector<std::string> args = {daemon_path, "--config", node.config};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::fflush(nullptr);  // or buffered output would be written twice
  pid_t pid = ::fork();
  if (pid < 0) return Status::error(Code::kIoError, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) exec_in_child(daemon_path.c_str(), argv.data(), dir.c_str(), log.c_str());
  RETURN_IF_ERROR(write_text_file(testbed.node_file(node, kPidName), std::to_string(pid) + "\n"));
  return pid;
}

// ---- up / start ------------------------------------------------------------------------------

struct Launch {
  const TestbedNode* node = nullptr;
  pid_t pid = 0;
  bool ours = false;  // started by this process, so waitpid can see it exit
  bool healthy = false;
};

bool answers_healthz(const std::string& url) {
  auto host_port = api_host_port(url);
  if (!host_port) return false;
  httplib::Client client(host_port->first, host_port->second);
  client.set_connection_timeout(kHealthConnectTimeout);
  client.set_read_timeout(kHealthReadTimeout);
  httplib::Result response = client.Get("/healthz");
  return response && response->status == 200;
}

// How the process ended, or nullopt while it runs. Our own children are judged by waitpid alone:
// between fork and exec a child's cmdline still names casesyncctl.
std::optional<std::string> exit_description(const Launch& launch) {
  if (!launch.ours) {
    if (is_node_process(launch.pid, *launch.node)) return std::nullopt;
    return std::string("exited");
  }
  int status = 0;
  pid_t waited = ::waitpid(launch.pid, &status, WNOHANG);
  if (waited == 0) return std::nullopt;
  if (waited < 0) return std::string("vanished");
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return std::string("stopped");
}

Status node_died(const Testbed& testbed, const Launch& launch, const std::string& how) {
  remove_pid_file(testbed, *launch.node);
  fs::path log = testbed.node_file(*launch.node, kLogName);
  return Status::error(Code::kUnavailable,
                       "node " + launch.node->id + " (pid " + std::to_string(launch.pid) + ") " +
                           how + " before answering /healthz; the last " +
                           std::to_string(kLogTailLines) + " lines of " + log.string() + ":\n" +
                           log_tail(log, kLogTailLines) +
                           "(nodes that did start keep running; `casesyncctl testbed down " +
                           testbed.dir.string() + "` stops them)");
}

Status health_timeout(const Testbed& testbed, const std::vector<Launch>& launches) {
  std::string pending;
  for (const Launch& launch : launches) {
    if (launch.healthy) continue;
    pending +=
        "\n  " + launch.node->id + ": see " + testbed.node_file(*launch.node, kLogName).string();
  }
  return Status::error(Code::kUnavailable, "these nodes still do not answer GET /healthz after " +
                                               std::to_string(kUpTimeout.count()) +
                                               " s:" + pending);
}

// Polls until every node answers /healthz. A node whose process is gone fails `up` at once:
// waiting out the deadline would only delay the same answer.
Status wait_healthy(const Testbed& testbed, std::vector<Launch>& launches) {
  const Clock::time_point deadline = Clock::now() + kUpTimeout;
  for (;;) {
    bool all_healthy = true;
    for (Launch& launch : launches) {
      if (launch.healthy) continue;
      if (auto how = exit_description(launch)) return node_died(testbed, launch, *how);
      launch.healthy = answers_healthz(launch.node->api);
      all_healthy = all_healthy && launch.healthy;
    }
    if (all_healthy) return Status::ok();
    if (Clock::now() >= deadline) return health_timeout(testbed, launches);
    std::this_thread::sleep_for(kPollInterval);
  }
}

int id_width(const std::vector<const TestbedNode*>& nodes) {
  std::size_t width = 0;
  for (const TestbedNode* node : nodes) width = std::max(width, node->id.size());
  return static_cast<int>(width);
}

// Starts every node first and only then waits, so a large testbed boots in parallel.
Status start_nodes(const Testbed& testbed, const std::vector<const TestbedNode*>& nodes,
                   const std::string& self_exe_dir) {
  std::optional<fs::path> daemon;  // looked up only when needed: a running testbed needs none
  // An ignored SIGCHLD, inherited from whoever ran us, would hide our children's exits.
  ::signal(SIGCHLD, SIG_DFL);
  std::vector<Launch> launches;
  int width = id_width(nodes);
  for (const TestbedNode* node : nodes) {
    Launch launch{node, 0, false, false};
    if (std::optional<pid_t> pid = running_pid(testbed, *node)) {
      launch.pid = *pid;
    } else {
      if (!daemon) {
        ASSIGN_OR_RETURN(daemon, find_daemon(self_exe_dir));
      }
      ASSIGN_OR_RETURN(launch.pid, spawn_node(*daemon, testbed, *node));
      launch.ours = true;
    }
    std::printf("%-*s  pid %-7d  %s  %s\n", width, node->id.c_str(), static_cast<int>(launch.pid),
                node->api.c_str(), launch.ours ? "started" : "already running");
    launches.push_back(launch);
  }
  std::fflush(stdout);
  RETURN_IF_ERROR(wait_healthy(testbed, launches));
  std::printf("%zu node%s up: GET /healthz answered\n", launches.size(),
              launches.size() == 1 ? " is" : "s are");
  return Status::ok();
}

// ---- down / stop / kill ----------------------------------------------------------------------

struct Running {
  const TestbedNode* node = nullptr;
  pid_t pid = 0;
  bool gone = false;
  bool killed = false;  // needed SIGKILL after SIGTERM
};

// The running nodes among `nodes`; stale pid files of the others are removed on the way.
std::vector<Running> collect_running(const Testbed& testbed,
                                     const std::vector<const TestbedNode*>& nodes) {
  std::vector<Running> running;
  for (const TestbedNode* node : nodes) {
    if (std::optional<pid_t> pid = running_pid(testbed, *node)) {
      running.push_back({node, *pid, false, false});
    } else {
      remove_pid_file(testbed, *node);
    }
  }
  return running;
}

void signal_all(std::vector<Running>& targets, int signal_number, bool mark_killed) {
  for (Running& target : targets) {
    if (target.gone) continue;
    ::kill(target.pid, signal_number);
    target.killed = target.killed || mark_killed;
  }
}

void wait_all_gone(std::vector<Running>& targets, Clock::duration grace) {
  const Clock::time_point deadline = Clock::now() + grace;
  for (;;) {
    bool all_gone = true;
    for (Running& target : targets) {
      if (target.gone) continue;
      ::waitpid(target.pid, nullptr, WNOHANG);  // reaps it if it happens to be our child
      target.gone = !is_node_process(target.pid, *target.node);
      all_gone = all_gone && target.gone;
    }
    if (all_gone || Clock::now() >= deadline) return;
    std::this_thread::sleep_for(kPollInterval);
  }
}

const char* stop_outcome(const Running& target, bool crash) {
  if (!target.gone) return "STILL RUNNING after SIGKILL";
  if (crash) return "killed";
  if (target.killed) return "killed (did not stop within 10 s of SIGTERM)";
  return "stopped";
}

// SIGTERM lets casesyncd drain and close its database cleanly; SIGKILL is the fallback for a
// node that hangs. With `crash`, SIGKILL comes first, as a power cut would.
Status stop_nodes(const Testbed& testbed, const std::vector<const TestbedNode*>& nodes,
                  bool crash) {
  std::vector<Running> targets = collect_running(testbed, nodes);
  if (targets.empty()) {
    std::printf("%s\n", nodes.size() == 1 ? (nodes[0]->id + " is not running").c_str()
                                          : "no node was running");
    if (crash) return Status::error(Code::kNotFound, "nothing to kill");
    return Status::ok();
  }
  signal_all(targets, crash ? SIGKILL : SIGTERM, crash);
  wait_all_gone(targets, crash ? Clock::duration(kKillTimeout) : Clock::duration(kStopTimeout));
  signal_all(targets, SIGKILL, true);
  wait_all_gone(targets, kKillTimeout);
  std::string stuck;
  std::vector<const TestbedNode*> stopped;
  for (const Running& target : targets) stopped.push_back(target.node);
  int width = id_width(stopped);
  for (const Running& target : targets) {
    std::printf("%-*s  pid %-7d  %s\n", width, target.node->id.c_str(),
                static_cast<int>(target.pid), stop_outcome(target, crash));
    if (target.gone) remove_pid_file(testbed, *target.node);
    if (!target.gone) stuck += " " + std::to_string(target.pid);
  }
  if (!stuck.empty()) {
    return Status::error(Code::kUnavailable,
                         "processes survived SIGKILL (stuck in the kernel?): check `ps -o pid,stat,"
                         "cmd -p" +
                             stuck + "`");
  }
  return Status::ok();
}

// ---- list ------------------------------------------------------------------------------------

void list_nodes(const Testbed& testbed, bool as_json) {
  if (as_json) {
    Json out = Json::array();
    for (const TestbedNode& node : testbed.nodes) {
      Json entry = node_json(node);
      std::optional<pid_t> pid = running_pid(testbed, node);
      entry["pid"] = pid ? Json(static_cast<int>(*pid)) : Json(nullptr);
      out.push_back(std::move(entry));
    }
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  TextTable table({"ID", "ROLE", "PARENT", "PID", "API"});
  for (const TestbedNode& node : testbed.nodes) {
    std::optional<pid_t> pid = running_pid(testbed, node);
    table.add({node.id, node.role, node.parent.empty() ? "-" : node.parent,
               pid ? std::to_string(*pid) : "-", node.api});
  }
  table.print();
}

// ---- dispatch --------------------------------------------------------------------------------

// The subcommands that act on an existing testbed, and whether they name one node.
struct CommandSpec {
  std::string_view name;
  bool takes_node;
};
constexpr CommandSpec kCommands[] = {{"up", false},   {"down", false}, {"list", false},
                                     {"start", true}, {"stop", true},  {"kill", true}};

struct Target {
  std::string dir;
  std::string node;  // empty: every node
  bool json = false;
};

Result<Target> parse_target(const CommandSpec& spec, const std::vector<std::string>& args) {
  Target target;
  std::vector<std::string> positional;
  for (const std::string& arg : args) {
    if (arg == "--json" && spec.name == "list") {
      target.json = true;
    } else if (arg.rfind("-", 0) == 0) {
      return invalid(std::string(spec.name) + ": unknown option " + arg);
    } else {
      positional.push_back(arg);
    }
  }
  const std::size_t wanted = spec.takes_node ? 2 : 1;
  if (positional.size() != wanted) {
    return invalid(std::string(spec.name) + " takes " + (spec.takes_node ? "DIR NODE" : "DIR") +
                   ", got " + std::to_string(positional.size()) + " argument(s)");
  }
  target.dir = positional[0];
  if (spec.takes_node) target.node = positional[1];
  return target;
}

Status run_on_testbed(const CommandSpec& spec, const Target& target,
                      const std::string& self_exe_dir) {
  ASSIGN_OR_RETURN(Testbed testbed, load_testbed(target.dir));
  std::vector<const TestbedNode*> nodes;
  if (spec.takes_node) {
    ASSIGN_OR_RETURN(const TestbedNode* node, find_node(testbed, target.node));
    nodes.push_back(node);
  } else {
    for (const TestbedNode& node : testbed.nodes) nodes.push_back(&node);
  }
  const std::string_view name = spec.name;
  if (name == "up" || name == "start") return start_nodes(testbed, nodes, self_exe_dir);
  // Leaves first, so parents do not log a storm of lost children before going themselves.
  std::reverse(nodes.begin(), nodes.end());
  if (name == "down" || name == "stop") return stop_nodes(testbed, nodes, /*crash=*/false);
  if (name == "kill") return stop_nodes(testbed, nodes, /*crash=*/true);
  list_nodes(testbed, target.json);
  return Status::ok();
}

int usage_failure(const Status& status) {
  std::fprintf(stderr, "casesyncctl testbed: %s\n%s casesyncctl testbed --help\n",
               status.message().c_str(), tr("see:"));
  return kExitUsage;
}

int exit_code(const Status& status) {
  if (status.is_ok()) return kExitOk;
  std::fprintf(stderr, "casesyncctl testbed: %s\n", status.message().c_str());
  return status.code() == Code::kInvalidArgument ? kExitUsage : kExitFailure;
}

bool wants_help(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(),
                     [](const std::string& arg) { return arg == "--help" || arg == "-h"; }) ||
         (!args.empty() && args[0] == "help");
}

}  // namespace

int testbed_main(const std::vector<std::string>& args, const std::string& self_exe_dir) {
  if (wants_help(args)) {
    std::printf("%s", kUsage);
    return kExitOk;
  }
  if (args.empty()) return usage_failure(invalid("missing SUBCOMMAND"));
  const std::string& command = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "init") {
    Result<InitOptions> options = parse_init(rest);
    if (!options.is_ok()) return usage_failure(options.status());
    return exit_code(init_testbed(*options));
  }
  for (const CommandSpec& spec : kCommands) {
    if (command != spec.name) continue;
    Result<Target> target = parse_target(spec, rest);
    if (!target.is_ok()) return usage_failure(target.status());
    return exit_code(run_on_testbed(spec, *target, self_exe_dir));
  }
  return usage_failure(invalid("unknown subcommand " + quote_text(command)));
}

}  // namespace casesync
