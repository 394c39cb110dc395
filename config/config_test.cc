// Proves that node configs and rosters load with every value, and that each kind of bad file is
// refused with a message naming the file, line, key and what is allowed, all problems at once.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "config/fallback_check.h"
#include "config/node_config.h"
#include "config/roster_file.h"
#include "config/webhook_config.h"

namespace casesync {
namespace {

namespace fs = std::filesystem;

const std::string kData = CASESYNC_TEST_DATA;

// A valid street config; tests swap single lines, so the line numbers below matter.
const std::vector<std::string> kBaseLines = {
    "[node]",                                // 1
    "id = \"s03\"",                          // 2
    "role = \"street\"",                     // 3
    "listen = \"tcp://127.0.0.1:7003\"",     // 4
    "parents = [\"tcp://127.0.0.1:7000\"]",  // 5
    "[paths]",                               // 6
    "data_dir = \"data\"",                   // 7
    "key_file = \"node.key\"",               // 8
    "roster = \"roster.toml\"",              // 9
    "[api]",                                 // 10
    "listen = \"127.0.0.1:8003\"",           // 11
    "[sync]",                                // 12
    "batch_events_max = 512",                // 13
    "heartbeat_interval_ms = 1000",          // 14
    "peer_timeout_ms = 5000",                // 15
};

// A fresh directory per process, removed at exit, so runs never see each other's files.
const fs::path& temp_dir() {
  static const struct Dir {
    fs::path path =
        fs::temp_directory_path() / ("casesync_config_test." + std::to_string(getpid()));
    Dir() { fs::create_directories(path); }
    ~Dir() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } dir;
  return dir.path;
}

std::string write_file(const std::string& name, const std::string& text) {
  fs::path path = temp_dir() / name;
  std::ofstream(path) << text;
  return path.string();
}

// The base config with line `number` (1-based) replaced; an empty replacement drops the text but
// keeps the line so later line numbers stay put.
std::string base_with(std::vector<std::pair<int, std::string>> edits, std::string extra = "") {
  std::vector<std::string> lines = kBaseLines;
  for (const auto& [number, text] : edits) lines.at(static_cast<std::size_t>(number - 1)) = text;
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out + extra;
}

// Loads `text` as casesyncd.toml and returns the error message (failing the test if it loaded).
std::string load_error(const std::string& text, std::string* path_out = nullptr) {
  std::string path = write_file("casesyncd.toml", text);
  if (path_out) *path_out = path;
  auto config = load_node_config(path);
  REQUIRE_FALSE(config.is_ok());
  CHECK(config.status().code() == Code::kInvalidArgument);
  return config.status().message();
}

// Asserts the single error for `text` is exactly "PATH" + `rest`.
void check_error(const std::string& text, const std::string& rest) {
  std::string path;
  std::string message = load_error(text, &path);
  CHECK(message == path + rest);
}

}  // namespace

TEST_CASE("a good node config loads with every value, relative paths resolved") {
  auto config = load_node_config(kData + "/node_street.toml");
  REQUIRE_MESSAGE(config.is_ok(), config.status().to_string());
  CHECK(config->source_path == kData + "/node_street.toml");
  CHECK(config->node_id == "s01");
  CHECK(config->role == Role::kStreet);
  CHECK(config->listen_endpoint == "tcp://127.0.0.1:7101");
  CHECK(config->parent_endpoints ==
        std::vector<std::string>{"tcp://127.0.0.1:7000", "tcp://127.0.0.1:7102"});
  CHECK(config->data_dir == kData + "/data/s01");
  CHECK(config->key_file == kData + "/keys/s01.key");
  CHECK(config->roster_file == "/etc/casesync/roster.toml");  // absolute stays as written
  CHECK(config->api_address == "127.0.0.1:8101");
  CHECK(config->log_level == "debug");
  CHECK(config->sync.batch_events_max == 256);
  CHECK(config->sync.batch_bytes_max == 524288);
  CHECK(config->sync.window_batches_max == 8);
  CHECK(config->sync.resend_timeout_ms == 2000);
  CHECK(config->sync.heartbeat_interval_ms == 500);
  CHECK(config->sync.peer_timeout_ms == 2500);
  REQUIRE(config->webhooks.size() == 1);
  CHECK(config->webhooks[0].port == 8080);
}

TEST_CASE("optional keys take their defaults; a community needs no listen endpoint") {
  std::string path = write_file("community.toml",
                                "[node]\nid = \"s03-c01\"\nrole = \"community\"\n"
                                "parents = [\"tcp://[::1]:7003\"]\n"
                                "[paths]\ndata_dir = \"./d/../data\"\nkey_file = \"/k/node.key\"\n"
                                "roster = \"roster.toml\"\n[api]\nlisten = \"[::1]:8004\"\n");
  auto config = load_node_config(path);
  REQUIRE_MESSAGE(config.is_ok(), config.status().to_string());
  CHECK(config->listen_endpoint.empty());
  CHECK(config->data_dir == (temp_dir() / "data").string());
  CHECK(config->log_level == "info");
  SyncLimits defaults;
  CHECK(config->sync.batch_events_max == defaults.batch_events_max);
  CHECK(config->sync.peer_timeout_ms == defaults.peer_timeout_ms);
}

TEST_CASE("a path relative to the working directory still resolves against the file") {
  fs::path old_cwd = fs::current_path();
  fs::current_path(temp_dir());
  write_file("casesyncd.toml", base_with({}));
  auto config = load_node_config("casesyncd.toml");
  fs::current_path(old_cwd);
  REQUIRE_MESSAGE(config.is_ok(), config.status().to_string());
  CHECK(config->source_path == "casesyncd.toml");
  CHECK(config->roster_file == (temp_dir() / "roster.toml").string());
}

TEST_CASE("a missing config file is NotFound with the path and the reason") {
  std::string path = (temp_dir() / "absent.toml").string();
  auto config = load_node_config(path);
  REQUIRE_FALSE(config.is_ok());
  CHECK(config.status().code() == Code::kNotFound);
  CHECK(config.status().message() == path + ": cannot read config file: No such file or directory");
}

TEST_CASE("unknown keys and unknown tables are refused, listing the allowed keys") {
  check_error(base_with({{5, "parents = [\"tcp://127.0.0.1:7000\"]\ncolour = \"red\""}}),
              ":6: node.colour: unknown key (allowed: id, role, listen, parents)");
  check_error(base_with({}, "[metrics]\nport = 9100\n"),
              ":16: metrics: unknown key (allowed: node, paths, api, log, sync, calendar, deadlines, stall, health, penalty, trust, privacy, webhook, policy)");
  check_error(base_with({{13, "batch_event_max = 512"}}),
              ":13: sync.batch_event_max: unknown key (allowed: batch_events_max, "
              "batch_bytes_max, window_batches_max, resend_timeout_ms, heartbeat_interval_ms, "
              "peer_timeout_ms, outbox_retain_events, fallback_after_ms, outbox_bytes_max, "
              "outbox_age_max_ms)");
}

TEST_CASE("a missing required key is named without a line") {
  check_error(base_with({{8, ""}}), ": paths.key_file: required key is missing");
  check_error(base_with({{10, ""}, {11, ""}}), ": api.listen: required key is missing");
  check_error(base_with({{4, ""}}), ": node.listen: required key is missing for role street");
}

TEST_CASE("a value of the wrong type names both types") {
  check_error(base_with({{13, "batch_events_max = \"512\""}}),
              ":13: sync.batch_events_max: expected an integer, found a string");
  check_error(base_with({{5, "parents = \"tcp://127.0.0.1:7000\""}}),
              ":5: node.parents: expected an array, found a string");
  check_error(base_with({{5, "parents = [\"tcp://127.0.0.1:7000\", 7001]"}}),
              ":5: node.parents[1]: expected a string, found an integer");
  // A table of the wrong type reads as empty, so its required keys are named as well. (Keys
  // before the first [table] header belong to the root table.)
  std::string path;
  std::string message = load_error("api = 8003\n" + base_with({{10, ""}, {11, ""}}), &path);
  CHECK(message == path + ":1: api: expected a table, found an integer\n" + path +
                       ": api.listen: required key is missing");
}

TEST_CASE("an out-of-range integer names the range") {
  check_error(base_with({{13, "batch_events_max = 70000"}}),
              ":13: sync.batch_events_max: 70000 is out of range (1..10000)");
  check_error(base_with({{13, "batch_bytes_max = 100"}}),
              ":13: sync.batch_bytes_max: 100 is out of range (4096..16777216)");
  check_error(base_with({{13, "window_batches_max = -1"}}),
              ":13: sync.window_batches_max: -1 is out of range (1..64)");
  check_error(base_with({{13, "outbox_age_max_ms = 999"}}),
              ":13: sync.outbox_age_max_ms: 999 is out of range (10000..2592000000)");
  check_error(base_with({{13, "outbox_bytes_max = 4294967296"}}),
              ":13: sync.outbox_bytes_max: 4294967296 is out of range (4096..4294967295)");
}

TEST_CASE("policy.lag_alert: a duration, 10 minutes by default, 5s..30d") {
  auto config = load_node_config(write_file("casesyncd.toml", base_with({})));
  REQUIRE(config.is_ok());
  CHECK(config->health.policy_lag_alert_ms == 10 * 60 * 1000);
  config = load_node_config(write_file("casesyncd.toml", base_with({}, "[policy]\nlag_alert = \"30s\"\n")));
  REQUIRE(config.is_ok());
  CHECK(config->health.policy_lag_alert_ms == 30 * 1000);
  CHECK(load_error(base_with({}, "[policy]\nlag_alert = \"1s\"\n")).find(":17: policy.lag_alert") !=
        std::string::npos);
  CHECK(load_error(base_with({}, "[policy]\nlag = \"1m\"\n")).find(":17: policy.lag: unknown key") !=
        std::string::npos);
}

TEST_CASE("bad ids, roles and log levels list what is allowed") {
  check_error(base_with({{3, "role = \"hub\""}}),
              ":3: node.role: \"hub\" is not a role (allowed: district, street, community)");
  check_error(base_with({{2, "id = \"S 03\""}}),
              ":2: node.id: \"S 03\" is not a valid id (allowed: 1..64 characters of a-z, 0-9, "
              "'-', '_')");
  check_error(base_with({}, "[log]\nlevel = \"verbose\"\n"),
              ":17: log.level: \"verbose\" is not a log level (allowed: debug, info, warning, "
              "error)");
}

TEST_CASE("endpoints must be tcp://HOST:PORT") {
  const std::string allowed =
      " is not an endpoint (allowed: tcp://HOST:PORT, port 1..65535, "
      "IPv6 in brackets)";
  check_error(base_with({{4, "listen = \"udp://127.0.0.1:7003\""}}),
              ":4: node.listen: \"udp://127.0.0.1:7003\"" + allowed);
  check_error(base_with({{5, "parents = [\"tcp://127.0.0.1:7000\", \"tcp://127.0.0.1\"]"}}),
              ":5: node.parents[1]: \"tcp://127.0.0.1\"" + allowed);
  check_error(base_with({{4, "listen = \"tcp://127.0.0.1:70000\""}}),
              ":4: node.listen: \"tcp://127.0.0.1:70000\"" + allowed);
  check_error(base_with({{4, "listen = \"tcp://::1:7003\""}}),
              ":4: node.listen: \"tcp://::1:7003\"" + allowed);
}

TEST_CASE("the API listens on loopback only") {
  const std::string allowed =
      " is not a loopback address (allowed: 127.x.x.x, ::1, [::1], "
      "localhost); for other hosts use api.tls_listen";
  check_error(base_with({{11, "listen = \"0.0.0.0:8003\""}}),
              ":11: api.listen: \"0.0.0.0:8003\"" + allowed);
  check_error(base_with({{11, "listen = \"192.168.1.5:8003\""}}),
              ":11: api.listen: \"192.168.1.5:8003\"" + allowed);
  check_error(base_with({{11, "listen = \"127.0.0.1.5:8003\""}}),
              ":11: api.listen: \"127.0.0.1.5:8003\"" + allowed);
  check_error(base_with({{11, "listen = \"localhost\""}}),
              ":11: api.listen: \"localhost\" is not HOST:PORT (port 1..65535)");
  for (const char* good : {"localhost:8003", "127.1.2.3:1", "[::1]:8003", "::1:65535"}) {
    auto config = load_node_config(
        write_file("api.toml", base_with({{11, "listen = \"" + std::string(good) + "\""}})));
    CHECK_MESSAGE(config.is_ok(), good, ": ", config.status().to_string());
  }
}

// The [api] table with `extra` lines after its listen (line 11), which start at line 12.
std::string api_with(const std::string& extra) {
  return base_with({{11, "listen = \"127.0.0.1:8003\"\n" + extra}});
}

TEST_CASE("api access keys: TLS only with its certificate, origins and hosts checked") {
  auto good = load_node_config(write_file(
      "tls.toml", api_with("tls_listen = \"0.0.0.0:8443\"\ntls_cert = \"api.crt\"\n"
                           "tls_key = \"/etc/ssl/api.key\"\n"
                           "allowed_origins = [\"https://portal.example\", \"http://10.0.0.5:8080\"]\n"
                           "allowed_hosts = [\"street.example\"]\nadmin_token = \"tokens/admin\"\n"
                           "[privacy]\nsensitive_fields = [\"id_number\", \"phone\", \"bank\"]")));
  REQUIRE_MESSAGE(good.is_ok(), good.status().to_string());
  CHECK(good->api_access.tls_listen == "0.0.0.0:8443");
  CHECK(good->api_access.tls_cert == (temp_dir() / "api.crt").string());
  CHECK(good->api_access.tls_key == "/etc/ssl/api.key");
  CHECK(good->api_access.allowed_origins.size() == 2);
  CHECK(good->api_access.allowed_hosts == std::vector<std::string>{"street.example"});
  CHECK(good->api_access.admin_token_file == (temp_dir() / "tokens/admin").string());
  CHECK(good->privacy.sensitive_fields.size() == 3);
  std::string path;
  const std::string need = " (a PEM file): the API never serves plain HTTP off loopback";
  const std::string message = load_error(api_with("tls_listen = \"0.0.0.0:8443\""), &path);
  CHECK(message == path + ":12: api.tls_listen: needs api.tls_cert" + need + "\n" + path +
                       ":12: api.tls_listen: needs api.tls_key" + need);
  check_error(api_with("tls_cert = \"api.crt\""), ":12: api.tls_cert: is used only with api.tls_listen");
  check_error(api_with("allowed_origins = [\"evil.example\"]"),
              ":12: api.allowed_origins[0]: \"evil.example\" is not an origin (scheme://host[:port], "
              "e.g. \"https://portal.example\")");
  check_error(api_with("allowed_hosts = [\"a b\"]"),
              ":12: api.allowed_hosts[0]: \"a b\" is not a host name (host or host:port)");
  check_error(api_with("[privacy]\nsensitive_fields = [\"\"]"),
              ":13: privacy.sensitive_fields[0]: \"\" is not a field name (1..64 of a-z A-Z 0-9 _ "
              "- ., e.g. \"id_number\")");
}

TEST_CASE("the data key and the admin token default to files beside the key and the config") {
  auto config = load_node_config(write_file(
      "casesyncd.toml", base_with({{8, "key_file = \"/etc/casesync/node.key\""}})));
  REQUIRE_MESSAGE(config.is_ok(), config.status().to_string());
  CHECK(config->data_key_file == "/etc/casesync/data.key");
  CHECK(config->api_access.admin_token_file == (temp_dir() / "admin.token").string());
  CHECK(config->privacy.sensitive_fields == std::vector<std::string>{"id_number", "phone"});
  auto moved = load_node_config(write_file(
      "casesyncd.toml", base_with({{9, "roster = \"roster.toml\"\ndata_key = \"keys/data.key\""}})));
  REQUIRE_MESSAGE(moved.is_ok(), moved.status().to_string());
  CHECK(moved->data_key_file == (temp_dir() / "keys/data.key").string());
}

TEST_CASE("the role decides listen and parents") {
  check_error(base_with({{2, "id = \"district\""}, {3, "role = \"district\""}}),
              ":5: node.parents: must be absent or empty for role district (the district is the "
              "root)");
  CHECK(load_node_config(write_file("district.toml",
                                    base_with({{3, "role = \"district\""}, {5, "parents = []"}})))
            .is_ok());
  check_error(base_with({{3, "role = \"community\""}, {5, ""}}),
              ": node.parents: required key is missing for role community");
  check_error(base_with({{3, "role = \"community\""}, {5, "parents = []"}}),
              ":5: node.parents: must not be empty for role community (primary parent first, "
              "then fallbacks)");
}

TEST_CASE("the peer timeout must exceed the heartbeat interval, naming both keys") {
  check_error(base_with({{14, "heartbeat_interval_ms = 5000"}}),
              ":15: sync.peer_timeout_ms: 5000 must be greater than sync.heartbeat_interval_ms "
              "(5000)");
  // With only the heartbeat written, the default timeout is compared and the line is the
  // heartbeat's.
  check_error(base_with({{14, "heartbeat_interval_ms = 6000"}, {15, ""}}),
              ":14: sync.peer_timeout_ms: 5000 must be greater than sync.heartbeat_interval_ms "
              "(6000)");
  // An out-of-range value is reported alone, not also compared.
  check_error(base_with({{14, "heartbeat_interval_ms = 99999"}}),
              ":14: sync.heartbeat_interval_ms: 99999 is out of range (100..60000)");
}

TEST_CASE("a TOML syntax error names the file and line") {
  std::string path;
  std::string message = load_error(base_with({{8, "key_file = \"node.key"}}), &path);
  CHECK(message.rfind(path + ":8: TOML syntax error: ", 0) == 0);
}

TEST_CASE("every problem is reported at once, in line order") {
  std::string path;
  std::string message = load_error(base_with({{13, "batch_events_max = 0"},
                                              {3, "role = \"hub\""},
                                              {9, ""},
                                              {11, "listen = \"10.0.0.1:8003\""}}),
                                   &path);
  std::vector<std::string> lines;
  std::istringstream in(message);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == path +
                        ":3: node.role: \"hub\" is not a role (allowed: district, street, "
                        "community)");
  CHECK(lines[1].rfind(path + ":11: api.listen: \"10.0.0.1:8003\" is not a loopback", 0) == 0);
  CHECK(lines[2] == path + ":13: sync.batch_events_max: 0 is out of range (1..10000)");
  CHECK(lines[3] == path + ": paths.roster: required key is missing");
}

// --- Roster ---

namespace {

const std::string kKeyHex(64, 'a');

// One [[node]] block of five lines: header, id, role, parent, sign_public_key.
std::string node_block(const std::string& id, const std::string& role, const std::string& parent,
                       const std::string& key_hex = kKeyHex) {
  return "[[node]]\nid = \"" + id + "\"\nrole = \"" + role + "\"\nparent = \"" + parent +
         "\"\nsign_public_key = \"" + key_hex + "\"\n";
}

// "version = 1" on line 1, then the blocks: block i starts on line 2 + 5 * i.
std::string roster_text(const std::vector<std::string>& blocks) {
  std::string out = "version = 1\n";
  for (const auto& block : blocks) out += block;
  return out;
}

std::string roster_error(const std::string& text) {
  auto roster = parse_roster(text, "roster.toml");
  REQUIRE_FALSE(roster.is_ok());
  CHECK(roster.status().code() == Code::kInvalidArgument);
  return roster.status().message();
}

void check_same(const Roster& a, const Roster& b) {
  CHECK(a.version == b.version);
  REQUIRE(a.nodes().size() == b.nodes().size());
  for (const auto& [id, x] : a.nodes()) {
    const RosterNode* y = b.find(id);
    REQUIRE(y != nullptr);
    CHECK(x.name == y->name);
    CHECK(x.role == y->role);
    CHECK(x.parent == y->parent);
    CHECK(x.fallback_parents == y->fallback_parents);
    CHECK(x.sign_public_key == y->sign_public_key);
    CHECK(x.endpoint == y->endpoint);
    CHECK(x.api == y->api);
    CHECK(x.revoked == y->revoked);
  }
}

}  // namespace

TEST_CASE("a good roster loads with every field") {
  auto roster = load_roster(kData + "/roster.toml");
  REQUIRE_MESSAGE(roster.is_ok(), roster.status().to_string());
  CHECK(roster->version == 3);
  CHECK(roster->nodes().size() == 5);
  const RosterNode* district = roster->find("district");
  REQUIRE(district != nullptr);
  CHECK(district->role == Role::kDistrict);
  CHECK(district->parent.empty());
  CHECK(district->name == "District approval centre");
  CHECK(district->endpoint == "tcp://127.0.0.1:7000");
  CHECK(district->api == "http://127.0.0.1:8000");
  CHECK(to_hex(district->sign_public_key) ==
        "5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9");
  const RosterNode* terminal = roster->find("s01-c01");
  REQUIRE(terminal != nullptr);
  CHECK(terminal->role == Role::kCommunity);
  CHECK(terminal->sign_public_key.size() == 32);
  CHECK(terminal->fallback_parents == std::vector<std::string>{"s02"});
  CHECK(terminal->name == "Community terminal, Street 1 \"north\"");
  CHECK_FALSE(terminal->revoked);
  CHECK(roster->find("s01-c02")->revoked);
  CHECK(roster->children_of("s01") == std::vector<std::string>{"s01-c01", "s01-c02"});
}

TEST_CASE("the packaged example roster loads: a district, a street, a terminal with a fallback") {
  auto roster = load_roster(CASESYNC_EXAMPLE_ROSTER);
  REQUIRE_MESSAGE(roster.is_ok(), roster.status().to_string());
  CHECK(roster->nodes().size() == 4);
  REQUIRE(roster->find("s01-c01") != nullptr);
  CHECK(roster->find("s01-c01")->fallback_parents == std::vector<std::string>{"s02"});
}

TEST_CASE("node.parents beyond the roster's fallback_parents is refused with FILE:LINE") {
  auto roster = load_roster(kData + "/roster.toml");  // s01-c01 falls back to s02, s01 to none
  REQUIRE(roster.is_ok());
  const std::string street = "[node]\nid = \"s01\"\nrole = \"street\"\nlisten = \"tcp://127.0.0.1:7101\"\n"
                             "parents = [\n  \"tcp://127.0.0.1:7000\",\n  \"tcp://127.0.0.1:7102\",\n]\n";
  const std::string rest = "[paths]\ndata_dir = \"d\"\nkey_file = \"k\"\nroster = \"r\"\n"
                           "[api]\nlisten = \"127.0.0.1:8003\"\n";
  std::string path = write_file("fallback.toml", street + rest);
  auto config = load_node_config(path);
  REQUIRE_MESSAGE(config.is_ok(), config.status().to_string());
  Status st = check_fallbacks_in_roster(*config, *roster);
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK(st.message() == path + ":7: node.parents[1]: \"tcp://127.0.0.1:7102\" is a fallback parent "
                               "the roster does not name (fallback_parents of s01 in the roster: "
                               "none); at the district add the parent's id to fallback_parents of "
                               "s01, raise version and sign the roster again, or remove this endpoint");
  // The terminal's one fallback is named; a second endpoint is not.
  const std::string terminal = "[node]\nid = \"s01-c01\"\nrole = \"community\"\nparents = "
                               "[\"tcp://127.0.0.1:7101\", \"tcp://127.0.0.1:7102\"]\n";
  config = load_node_config(write_file("fallback.toml", terminal + rest));
  REQUIRE(config.is_ok());
  CHECK(check_fallbacks_in_roster(*config, *roster).is_ok());
  config = load_node_config(write_file("fallback.toml", terminal.substr(0, terminal.size() - 2) +
                                                            ", \"tcp://127.0.0.1:7000\"]\n" + rest));
  REQUIRE(config.is_ok());
  st = check_fallbacks_in_roster(*config, *roster);
  CHECK(st.message().find(":4: node.parents[2]: \"tcp://127.0.0.1:7000\"") != std::string::npos);
  CHECK(st.message().find("(fallback_parents of s01-c01 in the roster: s02)") != std::string::npos);
}

TEST_CASE("a missing roster file is NotFound") {
  auto roster = load_roster((temp_dir() / "absent-roster.toml").string());
  REQUIRE_FALSE(roster.is_ok());
  CHECK(roster.status().code() == Code::kNotFound);
  CHECK(roster.status().message().find("cannot read roster file") != std::string::npos);
}

TEST_CASE("render_roster round-trips through parse_roster") {
  auto original = load_roster(kData + "/roster.toml");
  REQUIRE(original.is_ok());
  std::string rendered = render_roster(*original);
  auto reparsed = parse_roster(rendered, "rendered.toml");
  REQUIRE_MESSAGE(reparsed.is_ok(), reparsed.status().to_string(), "\n", rendered);
  check_same(*original, *reparsed);
  CHECK(render_roster(*reparsed) == rendered);
  // Names with characters TOML must escape survive too.
  Roster odd = *original;
  RosterNode node = *odd.find("s02");
  node.name = "tab\there \\ \"quote\" \x01 ünïcode";
  odd.add(node);
  auto odd_back = parse_roster(render_roster(odd), "odd.toml");
  REQUIRE_MESSAGE(odd_back.is_ok(), odd_back.status().to_string());
  check_same(odd, *odd_back);
}

TEST_CASE("roster: a duplicate id names both nodes") {
  std::string text =
      roster_text({node_block("district", "district", ""), node_block("s01", "street", "district"),
                   node_block("s01", "street", "district")});
  CHECK(roster_error(text) ==
        "roster.toml:13: node[2].id: \"s01\" is already used by node[1] (ids must be unique)");
}

TEST_CASE("roster: a parent or fallback that is not in the roster") {
  std::string text =
      roster_text({node_block("district", "district", ""), node_block("s01", "street", "s09")});
  CHECK(roster_error(text) ==
        "roster.toml:10: node[1].parent: \"s09\" is not a node in this roster");
  text = roster_text({node_block("district", "district", ""),
                      node_block("s01", "street", "district") + "fallback_parents = [\"s07\"]\n"});
  CHECK(roster_error(text) ==
        "roster.toml:12: node[1].fallback_parents[0]: \"s07\" is not a node in this roster");
}

TEST_CASE("roster: exactly one root, and it is the district") {
  std::string text =
      roster_text({node_block("district", "district", ""), node_block("s01", "street", "")});
  CHECK(roster_error(text) ==
        "roster.toml:10: node[1].parent: empty, but node[0] (\"district\") is already the root "
        "(exactly one node may have an empty parent)");
  text = roster_text({node_block("s01", "street", "")});
  CHECK(roster_error(text) ==
        "roster.toml:4: node[0].role: the root (empty parent) must have role district, found "
        "street");
  text = roster_text({node_block("s01", "street", "s02"), node_block("s02", "street", "s01")});
  CHECK(roster_error(text).find(
            "roster.toml: node: no node has an empty parent (exactly one root, the district, is "
            "required)") != std::string::npos);
}

TEST_CASE("roster: a parent cycle is reported once with its chain") {
  std::string text =
      roster_text({node_block("district", "district", ""), node_block("s01", "street", "s02"),
                   node_block("s02", "street", "s01"), node_block("s01-c01", "community", "s01")});
  CHECK(roster_error(text) ==
        "roster.toml:10: node[1].parent: cycle s01 -> s02 -> s01 (every parent chain must end at "
        "the district)");
  text = roster_text({node_block("district", "district", ""), node_block("s01", "street", "s01")});
  CHECK(roster_error(text) ==
        "roster.toml:10: node[1].parent: cycle s01 -> s01 (every parent chain must end at the "
        "district)");
}

TEST_CASE("roster: a fallback below the node itself is refused") {
  std::string text =
      roster_text({node_block("district", "district", ""),
                   node_block("s01", "street", "district") + "fallback_parents = [\"s01-c01\"]\n",
                   node_block("s01-c01", "community", "s01")});
  CHECK(roster_error(text) ==
        "roster.toml:12: node[1].fallback_parents[0]: \"s01-c01\" lies below \"s01\" (a "
        "fallback parent must not be a descendant)");
}

TEST_CASE("roster: a public key must be 64 hex characters") {
  std::string text = roster_text({node_block("district", "district", "", "abc")});
  CHECK(roster_error(text) ==
        "roster.toml:6: node[0].sign_public_key: \"abc\" is not a public key (expected 64 hex "
        "characters, 32 bytes; found 3 characters)");
  std::string not_hex(64, 'z');
  text = roster_text({node_block("district", "district", "", not_hex)});
  CHECK(roster_error(text) == "roster.toml:6: node[0].sign_public_key: \"" + not_hex +
                                  "\" is not a public key (expected 64 hex characters, 32 bytes; "
                                  "found 64 characters)");
}

TEST_CASE("roster: bad fields are all reported with node index and key") {
  std::string text = "version = 0\n" + node_block("district", "district", "") +
                     node_block("S1", "hub", "district") + "colour = 1\nendpoint = \"tcp://x\"\n";
  std::string message = roster_error(text);
  CHECK(message ==
        "roster.toml:1: version: 0 is out of range (1 or more)\n"
        "roster.toml:8: node[1].id: \"S1\" is not a valid id (allowed: 1..64 characters of a-z, "
        "0-9, '-', '_')\n"
        "roster.toml:9: node[1].role: \"hub\" is not a role (allowed: district, street, "
        "community)\n"
        "roster.toml:12: node[1].colour: unknown key (allowed: id, name, role, parent, "
        "fallback_parents, sign_public_key, endpoint, api, revoked)\n"
        "roster.toml:13: node[1].endpoint: \"tcp://x\" is not an endpoint (allowed: "
        "tcp://HOST:PORT, port 1..65535, IPv6 in brackets)");
  CHECK(roster_error("version = 1\n[[node]\n").rfind("roster.toml:2: TOML syntax error: ", 0) == 0);
}

TEST_CASE("supervision and health keys: durations with units, fractions, relations") {
  const std::string good = R"(
calendar = "always"
[node]
id = "s01"
role = "street"
listen = "tcp://127.0.0.1:7001"
parents = ["tcp://127.0.0.1:7000"]
[paths]
data_dir = "data"
key_file = "node.key"
roster = "roster.toml"
[api]
listen = "127.0.0.1:8001"
[deadlines]
delivery = "30s"
accept = "4h"
answer = "3d"
[stall]
warn_fraction = 0.5
check_interval = "2s"
[health]
interval = "2s"
offline_after = "10s"
)";
  auto cfg = load_node_config(write_file("casesyncd.toml", good));
  REQUIRE(cfg.is_ok());
  CHECK(cfg->supervision.calendar == "always");
  CHECK(cfg->supervision.delivery_ms == 30000);
  CHECK(cfg->supervision.accept_ms == 4 * 3600 * 1000ull);
  CHECK(cfg->supervision.answer_ms == 3 * 24 * 3600 * 1000ull);
  CHECK(cfg->supervision.warn_fraction == doctest::Approx(0.5));
  CHECK(cfg->health.offline_after_ms == 10000);
  std::string bad = good;
  bad.replace(bad.find("\"30s\""), 5, "\"30x\"");
  bad.replace(bad.find("0.5"), 3, "2.5");
  bad.replace(bad.find("\"10s\""), 5, "\"1s\" ");
  auto r = load_node_config(write_file("bad.toml", bad));
  REQUIRE_FALSE(r.is_ok());
  const std::string& m = r.status().message();
  CHECK(m.find("deadlines.delivery: \"30x\" is not a duration") != std::string::npos);
  CHECK(m.find("stall.warn_fraction: 2.500000 is out of range") != std::string::npos);
  CHECK(m.find("health.offline_after: must be longer than health.interval") != std::string::npos);
}

TEST_CASE("penalty keys: a limit, durations, and ban_max not below ban") {
  auto defaults = load_node_config(write_file("casesyncd.toml", base_with({})));
  REQUIRE(defaults.is_ok());
  CHECK(defaults->penalty.rejects_max == 20);
  CHECK(defaults->penalty.ban_ms == 30000);
  auto cfg = load_node_config(write_file("casesyncd.toml", base_with({}, R"([penalty]
rejects_max = 5
window = "2s"
ban = "4s"
ban_max = "1m"
forgive_after = "10m"
)")));
  REQUIRE(cfg.is_ok());
  CHECK(cfg->penalty.rejects_max == 5);
  CHECK(cfg->penalty.window_ms == 2000);
  CHECK(cfg->penalty.ban_ms == 4000);
  CHECK(cfg->penalty.ban_max_ms == 60000);
  CHECK(cfg->penalty.forgive_after_ms == 600000);
  const std::string m = load_error(base_with({}, R"([penalty]
rejects_max = 0
window = "2x"
ban = "1h"
ban_max = "1m"
)"));
  CHECK(m.find(":17: penalty.rejects_max: 0 is out of range (1..10000)") != std::string::npos);
  CHECK(m.find(":18: penalty.window: \"2x\" is not a duration") != std::string::npos);
  CHECK(m.find(":20: penalty.ban_max: 1m is shorter than penalty.ban (1h)") != std::string::npos);
  check_error(base_with({}, "[penalty]\nban = \"2h\"\n"),
              ":17: penalty.ban: 2h is longer than penalty.ban_max (1h, its default)");
}

TEST_CASE("api limits and the backup folder: defaults, ranges with FILE:LINE, relations") {
  auto defaults = load_node_config(write_file("casesyncd.toml", base_with({})));
  REQUIRE(defaults.is_ok());
  CHECK(defaults->api.max_body_bytes == 8u << 20);
  CHECK(defaults->api.read_timeout_ms == 10000);
  CHECK(defaults->api.idle_timeout_ms == 5000);
  CHECK(defaults->api.max_connections == 1024);
  CHECK(defaults->api.max_connections_per_client == 512);
  CHECK(defaults->backup_dir == defaults->data_dir + "/backup");

  auto cfg = load_node_config(write_file("casesyncd.toml", base_with(
      {{9, "roster = \"roster.toml\"\nbackup_dir = \"/srv/backups/\""},
       {11, "listen = \"127.0.0.1:8003\"\nmax_body_bytes = 65536\nread_timeout = \"2s\"\n"
            "write_timeout = \"1m\"\nidle_timeout = \"1s\"\nmax_connections = 16\n"
            "max_connections_per_client = 16"}})));
  REQUIRE(cfg.is_ok());
  CHECK(cfg->backup_dir == "/srv/backups");
  CHECK(cfg->api.max_body_bytes == 65536);
  CHECK(cfg->api.read_timeout_ms == 2000);
  CHECK(cfg->api.write_timeout_ms == 60000);
  CHECK(cfg->api.idle_timeout_ms == 1000);
  CHECK(cfg->api.max_connections_per_client == 16);

  // Lines: 11 listen, 12.. the limits.
  const std::string m = load_error(base_with(
      {{11, "listen = \"127.0.0.1:8003\"\nmax_body_bytes = 1073741824\nread_timeout = \"0s\"\n"
            "max_connections = 8"}}));
  CHECK(m.find(":12: api.max_body_bytes: 1073741824 is out of range (65536..67108864)") !=
        std::string::npos);
  CHECK(m.find(":13: api.read_timeout: \"0s\" is out of range") != std::string::npos);
  CHECK(m.find(":14: api.max_connections: 8 is out of range (16..65536)") != std::string::npos);
  check_error(base_with({{11, "listen = \"127.0.0.1:8003\"\nmax_connections_per_client = 2000"}}),
              ":12: api.max_connections_per_client: max_connections_per_client (2000) must not "
              "exceed api.max_connections (1024)");
  // A backup folder that is the data folder could hold a backup named like the live database.
  std::string path;
  const std::string same = load_error(
      base_with({{9, "roster = \"roster.toml\"\nbackup_dir = \"./data/\""}}), &path);
  CHECK(same == path + ":10: paths.backup_dir: \"./data/\" is the data folder itself; use a "
                       "folder of its own (the default is the data folder's backup/)");
  check_error(base_with({{9, "roster = \"roster.toml\"\nbackup_dir = \"\""}}),
              ":10: paths.backup_dir: must not be empty (leave it out for the data folder's "
              "backup/)");
}

TEST_CASE("webhooks: every key read, defaults, and bad ones named with FILE:LINE") {
  auto cfg = load_node_config(write_file("casesyncd.toml", base_with({},
      "[[webhook]]\n"                                         // 16
      "name = \"archive\"\n"                                 // 17
      "url = \"http://10.1.2.3:8080/hooks/casesync?x=1\"\n"  // 18
      "secret = \"0123456789abcdef0123\"\n"                  // 19
      "events = [\"case_created\", \"completed\"]\n"         // 20
      "timeout = \"2s\"\nmax_attempts = 5\nbackoff = \"50ms\"\nbackoff_max = \"1s\"\n"
      "[[webhook]]\nname = \"dept\"\nurl = \"http://[::1]/\"\n"
      "secret = \"0123456789abcdef\"\n")));
  REQUIRE(cfg.is_ok());
  REQUIRE(cfg->webhooks.size() == 2);
  const WebhookConfig& a = cfg->webhooks[0];
  CHECK(a.name == "archive");
  CHECK(a.scheme == "http");
  CHECK(a.host == "10.1.2.3");
  CHECK(a.port == 8080);
  CHECK(a.path == "/hooks/casesync?x=1");
  CHECK(a.events == std::vector<std::string>{"case_created", "completed"});
  CHECK(a.timeout_ms == 2000);
  CHECK(a.max_attempts == 5);
  CHECK(a.backoff_ms == 50);
  CHECK(a.backoff_max_ms == 1000);
  const WebhookConfig& b = cfg->webhooks[1];
  CHECK(b.host == "::1");
  CHECK(b.port == 80);
  CHECK(b.events.empty());  // every kind
  CHECK(b.max_attempts == 12);

  // One bad value per line, all reported at once.
  const std::string m = load_error(base_with({},
      "[[webhook]]\n"                                  // 16
      "name = \"Bad Name\"\n"                          // 17
      "url = \"ftp://example.org/x\"\n"                // 18
      "secret = \"short\"\n"                           // 19
      "events = [\"case_created\", \"exploded\"]\n"    // 20
      "max_attempts = 0\n"                             // 21
      "[[webhook]]\n"                                  // 22
      "name = \"b\"\n"                                 // 23
      "url = \"not a url\"\n"                          // 24
      "[[webhook]]\n"                                  // 25
      "name = \"b\"\n"                                 // 26
      "url = \"https://example.org/\"\n"               // 27
      "secret = \"0123456789abcdef\"\n"));
  CHECK(m.find(":17: webhook[0].name: \"Bad Name\" is not a webhook name") != std::string::npos);
  CHECK(m.find(":18: webhook[0].url: \"ftp://example.org/x\": scheme \"ftp\" is not http") !=
        std::string::npos);
  CHECK(m.find(":19: webhook[0].secret: must be 16..1024 characters") != std::string::npos);
  CHECK(m.find(":20: webhook[0].events[1]: \"exploded\" is not an event kind") !=
        std::string::npos);
  CHECK(m.find(":21: webhook[0].max_attempts: 0 is out of range (1..1000)") != std::string::npos);
  CHECK(m.find(":24: webhook[1].url: \"not a url\" is not a URL") != std::string::npos);
  CHECK(m.find("webhook[1].secret: required key is missing") != std::string::npos);
  CHECK(m.find(":26: webhook[2].name: \"b\" names another webhook already") != std::string::npos);
#ifndef CASESYNC_HTTPS_CLIENT
  CHECK(m.find(":27: webhook[2].url: \"https://example.org/\": this build has no TLS client") !=
        std::string::npos);
#endif
  WebhookConfig parsed;
  CHECK(parse_webhook_url("http://host:0/", parsed).has_value());
  CHECK(parse_webhook_url("http://user:pw@host/", parsed).has_value());
  CHECK(parse_webhook_url("http://host/a b", parsed).has_value());
  CHECK(parse_webhook_url("http:///x", parsed).has_value());
  CHECK_FALSE(parse_webhook_url("http://receiver.local", parsed).has_value());
  CHECK(parsed.path == "/");
}

// Issue 17: the words of a configuration error follow the reader's language; the file, line, key
// and allowed range stay exactly as written, so either reads back to the same place.
TEST_CASE("configuration errors read in Chinese with FILE:LINE, key and range kept") {
  const std::string path = write_file("casesyncd.toml", base_with({{13, "batch_events_max = 0"}}));
  auto config = load_node_config(path);
  REQUIRE_FALSE(config.is_ok());
  CHECK(config.status().message() ==
        path + ":13: sync.batch_events_max: 0 is out of range (1..10000)");
  CHECK(config.status().text().render(UiLanguage::kEnglish) == config.status().message());
  const std::string zh = config.status().text().render(UiLanguage::kChinese);
  CHECK_MESSAGE(zh == path + ":13: sync.batch_events_max: 0 超出范围（1..10000）",
                zh << " (no Chinese catalogue beside the test? build po/ first)");
}

TEST_CASE("log.language is zh or en; absent, the locale decides") {
  auto plain = load_node_config(write_file("casesyncd.toml", base_with({})));
  REQUIRE(plain.is_ok());
  CHECK(plain->log_language.empty());
  std::string path;
  const std::string message = load_error(base_with({}, "[log]\nlanguage = \"fr\"\n"), &path);
  CHECK(message.find(": log.language: \"fr\" is not a language (allowed: zh, en)") !=
        std::string::npos);
  auto en =
      load_node_config(write_file("casesyncd.toml", base_with({}, "[log]\nlanguage = \"en\"\n")));
  REQUIRE(en.is_ok());
  CHECK(en->log_language == "en");
}

}  // namespace casesync
