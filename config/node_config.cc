#include "config/node_config.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "common/bytes.h"
#include "common/duration.h"
#include "config/api_config.h"
#include "config/deadline_defaults.h"
#include "config/toml_errors.h"
#include "config/webhook_config.h"

namespace casesync {
namespace {

constexpr std::string_view kTopKeys[] = {"node", "paths", "api", "log", "sync", "calendar",
                                         "deadlines", "stall", "health", "penalty", "trust",
                                         "privacy", "webhook", "policy"};
constexpr std::string_view kPolicyKeys[] = {"lag_alert"};
constexpr std::string_view kTrustKeys[] = {"root_public_key"};
constexpr std::string_view kStallKeys[] = {"warn_fraction", "check_interval", "escalate_fraction"};
constexpr std::string_view kHealthKeys[] = {"interval", "offline_after", "lag_events", "lag_age",
                                            "clock_skew"};
constexpr std::string_view kPenaltyKeys[] = {"rejects_max", "window", "ban", "ban_max",
                                             "forgive_after"};
constexpr std::uint64_t kSecondMs = 1000;
constexpr std::uint64_t kDayMs = 24 * 3600 * kSecondMs;
constexpr std::string_view kNodeKeys[] = {"id", "role", "listen", "parents"};
constexpr std::string_view kLogKeys[] = {"level", "language"};
constexpr std::string_view kLogLanguages[] = {"zh", "en"};
constexpr std::string_view kLogLevels[] = {"debug", "info", "warning", "error"};

struct PathSpec {
  std::string_view key;
  std::string NodeConfig::*field;
  std::string_view default_value;  // empty: the key is required
};
constexpr PathSpec kPaths[] = {
    {"data_dir", &NodeConfig::data_dir, ""},
    {"key_file", &NodeConfig::key_file, ""},
    {"roster", &NodeConfig::roster_file, ""},
    {"matters", &NodeConfig::matters_file, "matters.toml"},
    {"data_key", &NodeConfig::data_key_file, "data.key"},  // default: beside key_file
};
// Read after the others: its default follows data_dir (config/api_config.cc).
constexpr std::string_view kBackupDirKey = "backup_dir";

struct LimitSpec {
  std::string_view key;
  std::uint32_t SyncLimits::*field;
  std::uint32_t min;
  std::uint32_t max;
};
// The ranges documented beside SyncLimits (node_config.h); keep the two in step.
constexpr LimitSpec kLimits[] = {
    {"batch_events_max", &SyncLimits::batch_events_max, 1, 10000},
    {"batch_bytes_max", &SyncLimits::batch_bytes_max, 4u << 10, 16u << 20},
    {"window_batches_max", &SyncLimits::window_batches_max, 1, 64},
    {"resend_timeout_ms", &SyncLimits::resend_timeout_ms, 100, 600000},
    {"heartbeat_interval_ms", &SyncLimits::heartbeat_interval_ms, 100, 60000},
    {"peer_timeout_ms", &SyncLimits::peer_timeout_ms, 300, 600000},
    {"outbox_retain_events", &SyncLimits::outbox_retain_events, 0, 100000000},
    {"fallback_after_ms", &SyncLimits::fallback_after_ms, 1000, 604800000},
    {"outbox_bytes_max", &SyncLimits::outbox_bytes_max, 4096, 4294967295u},
    {"outbox_age_max_ms", &SyncLimits::outbox_age_max_ms, 10000, 2592000000u},
};

template <typename Spec, std::size_t N>
constexpr std::array<std::string_view, N> keys_of(const Spec (&specs)[N]) {
  std::array<std::string_view, N> keys{};
  for (std::size_t i = 0; i < N; ++i) keys[i] = specs[i].key;
  return keys;
}
constexpr auto kPathKeyList = keys_of(kPaths);
constexpr auto kPathKeys = [] {
  std::array<std::string_view, kPathKeyList.size() + 1> keys{};
  for (std::size_t i = 0; i < kPathKeyList.size(); ++i) keys[i] = kPathKeyList[i];
  keys.back() = kBackupDirKey;
  return keys;
}();
constexpr auto kSyncKeys = keys_of(kLimits);

// A file without [sync] gets the defaults, so they must pass the same checks as a written value.
constexpr bool defaults_are_valid() {
  SyncLimits defaults;
  for (const LimitSpec& spec : kLimits) {
    std::uint32_t value = defaults.*spec.field;
    if (value < spec.min || value > spec.max) return false;
  }
  return defaults.heartbeat_interval_ms < defaults.peer_timeout_ms;
}
static_assert(defaults_are_valid(), "SyncLimits defaults must lie in their documented ranges");

// The tree's shape depends on the role: the district is the root and every other node has a
// parent to sync with; district and street serve children, so they must listen.
void check_role_links(TableReader& node, Role role) {
  std::string for_role = "for role " + std::string(role_name(role));
  if (role != Role::kCommunity && node.node("listen") == nullptr) {
    node.errors().missing(node.full_key("listen"), for_role);
  }
  const toml::node* parents_node = node.node("parents");
  const toml::array* parents = parents_node ? parents_node->as_array() : nullptr;
  if (role == Role::kDistrict) {
    if (parents && !parents->empty()) {
      node.error("parents", "must be absent or empty for role district (the district is the root)");
    }
  } else if (parents_node == nullptr) {
    node.errors().missing(node.full_key("parents"), for_role);
  } else if (parents && parents->empty()) {
    node.error("parents",
               "must not be empty " + for_role + " (primary parent first, then fallbacks)");
  }
}

void read_node(TableReader node, NodeConfig& config) {
  node.allow_only(kNodeKeys);
  if (auto id = node.string("id", Presence::kRequired)) {
    if (auto problem = node_id_problem(*id)) node.error("id", *problem);
    config.node_id = *id;
  }
  std::optional<Role> role;
  if (auto name = node.string("role", Presence::kRequired)) {
    role = role_from_name(*name);
    if (role) config.role = *role;
    if (!role) node.error("role", not_a_role(*name));
  }
  if (auto listen = node.string("listen", Presence::kOptional)) {
    if (auto problem = endpoint_problem(*listen)) node.error("listen", *problem);
    config.listen_endpoint = *listen;
  }
  if (auto parents = node.strings("parents", Presence::kOptional)) {
    for (std::size_t i = 0; i < parents->size(); ++i) {
      if (auto problem = endpoint_problem((*parents)[i])) {
        node.error_at(node.element("parents", i), "parents[" + std::to_string(i) + "]", *problem);
      }
    }
    config.parent_endpoints = *parents;
    for (std::size_t i = 0; i < parents->size(); ++i) {
      const toml::node* element = node.element("parents", i);
      config.parent_lines.push_back(element ? element->source().begin.line : 0);
    }
  }
  if (role) check_role_links(node, *role);
}

void read_paths(TableReader paths, const std::filesystem::path& base_dir, NodeConfig& config) {
  paths.allow_only(kPathKeys);
  for (const PathSpec& spec : kPaths) {
    const bool required = spec.default_value.empty();
    auto value = paths.string(spec.key, required ? Presence::kRequired : Presence::kOptional);
    if (!value && !required && !paths.node(spec.key)) value = std::string(spec.default_value);
    if (!value) continue;
    if (value->empty()) {
      paths.error(spec.key, "must not be empty");
      continue;
    }
    config.*spec.field = resolve_path(base_dir, *value);
  }
  // The data key sits beside the identity key unless the config says otherwise.
  if (paths.node("data_key") == nullptr && !config.key_file.empty()) {
    config.data_key_file =
        resolve_path(std::filesystem::path(config.key_file).parent_path(), "data.key");
  }
  read_backup_dir(paths, base_dir, config);
}

void read_log(TableReader log, NodeConfig& config) {
  log.allow_only(kLogKeys);
  if (auto language = log.string("language", Presence::kOptional)) {
    if (std::find(std::begin(kLogLanguages), std::end(kLogLanguages), *language) ==
        std::end(kLogLanguages)) {
      log.error("language", ui_text("%s is not a language (allowed: %s)", in_quotes(*language),
                                    join_names(kLogLanguages)));
    }
    config.log_language = *language;
  }
  auto level = log.string("level", Presence::kOptional);
  if (!level) return;
  if (std::find(std::begin(kLogLevels), std::end(kLogLevels), *level) == std::end(kLogLevels)) {
    log.error("level",
              ui_text("%s is not a log level (allowed: %s)", in_quotes(*level),
                      join_names(kLogLevels)));
  }
  config.log_level = *level;
}

void read_sync(TableReader sync, SyncLimits& limits) {
  sync.allow_only(kSyncKeys);
  bool all_valid = true;
  for (const LimitSpec& spec : kLimits) {
    auto value = sync.integer(spec.key, Presence::kOptional);
    if (!value) {
      all_valid = all_valid && sync.node(spec.key) == nullptr;
      continue;
    }
    if (*value < spec.min || *value > spec.max) {
      sync.error(spec.key, out_of_range(*value, spec.min, spec.max));
      all_valid = false;
      continue;
    }
    limits.*spec.field = static_cast<std::uint32_t>(*value);
  }
  // A peer is declared down only after several missed heartbeats; an invalid value above has
  // already been reported, and the default standing in for it would only confuse.
  if (!all_valid || limits.peer_timeout_ms > limits.heartbeat_interval_ms) return;
  const toml::node* where = sync.node("peer_timeout_ms");
  if (where == nullptr) where = sync.node("heartbeat_interval_ms");
  sync.error_at(where, "peer_timeout_ms",
                std::to_string(limits.peer_timeout_ms) + " must be greater than " +
                    sync.full_key("heartbeat_interval_ms") + " (" +
                    std::to_string(limits.heartbeat_interval_ms) + ")");
}

std::filesystem::path directory_of(const std::string& path) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  return (error ? std::filesystem::path(path) : absolute).parent_path();
}

void read_supervision(TableReader top, const std::filesystem::path& base_dir,
                      SupervisionConfig& sc) {
  if (auto cal = top.string("calendar", Presence::kOptional)) {
    sc.calendar = (*cal == "always" || cal->empty()) ? *cal : resolve_path(base_dir, *cal);
  }
  DeadlineDefaults deadlines;
  read_deadline_defaults(top.table("deadlines"), /*with_warn_fraction=*/false, deadlines);
  deadlines.apply(sc);
  TableReader st = top.table("stall");
  st.allow_only(kStallKeys);
  if (auto v = fraction(st, "warn_fraction", 0.1, 1.0)) sc.warn_fraction = *v;
  if (auto v = fraction(st, "escalate_fraction", 0.1, 10.0)) sc.escalate_fraction = *v;
  if (auto v = duration(st, "check_interval", kSecondMs, 3600 * kSecondMs)) sc.check_interval_ms = *v;
}

// [policy]: how long a node may stay behind the district's policy version before it is lagging.
void read_policy(TableReader p, HealthConfig& hc) {
  p.allow_only(kPolicyKeys);
  if (auto v = duration(p, "lag_alert", 5 * kSecondMs, 30 * kDayMs)) hc.policy_lag_alert_ms = *v;
}

void read_health(TableReader h, HealthConfig& hc) {
  h.allow_only(kHealthKeys);
  if (auto v = duration(h, "interval", kSecondMs, 600 * kSecondMs)) hc.interval_ms = *v;
  if (auto v = duration(h, "offline_after", kSecondMs, kDayMs)) hc.offline_after_ms = *v;
  if (auto v = duration(h, "lag_age", kSecondMs, 30 * kDayMs)) hc.lag_age_ms = *v;
  if (auto v = duration(h, "clock_skew", 100, kDayMs)) hc.clock_skew_ms = *v;
  if (auto v = h.integer("lag_events", Presence::kOptional)) {
    if (*v < 1 || *v > 100000000) {
      h.error("lag_events", out_of_range(*v, 1, 100000000));
    } else {
      hc.lag_events = static_cast<std::uint64_t>(*v);
    }
  }
  if (hc.offline_after_ms <= hc.interval_ms) {
    h.error("offline_after", "must be longer than " + h.full_key("interval") + " (" +
                                 format_duration_ms(hc.interval_ms) + ")");
  }
}

static_assert(PenaltyConfig{}.ban_ms <= PenaltyConfig{}.ban_max_ms,
              "the default first ban must not exceed the default ban_max");

void read_penalty(TableReader p, PenaltyConfig& pc) {
  p.allow_only(kPenaltyKeys);
  if (auto v = p.integer("rejects_max", Presence::kOptional)) {
    if (*v < 1 || *v > 10000) {
      p.error("rejects_max", out_of_range(*v, 1, 10000));
    } else {
      pc.rejects_max = static_cast<std::uint32_t>(*v);
    }
  }
  if (auto v = duration(p, "window", kSecondMs, 3600 * kSecondMs)) pc.window_ms = *v;
  if (auto v = duration(p, "ban", kSecondMs, kDayMs)) pc.ban_ms = *v;
  if (auto v = duration(p, "ban_max", kSecondMs, 30 * kDayMs)) pc.ban_max_ms = *v;
  if (auto v = duration(p, "forgive_after", kSecondMs, 30 * kDayMs)) pc.forgive_after_ms = *v;
  // Doubling starts at `ban` and stops at `ban_max`; the other way round is a typo.
  if (pc.ban_max_ms >= pc.ban_ms) return;
  if (p.node("ban_max")) {
    p.error("ban_max", format_duration_ms(pc.ban_max_ms) + " is shorter than " +
                           p.full_key("ban") + " (" + format_duration_ms(pc.ban_ms) + ")");
  } else {
    p.error("ban", format_duration_ms(pc.ban_ms) + " is longer than " + p.full_key("ban_max") +
                       " (" + format_duration_ms(pc.ban_max_ms) + ", its default)");
  }
}

// Every node pins the district's root key: only rosters it signed are believed.
void read_trust(TableReader t, NodeConfig& config) {
  t.allow_only(kTrustKeys);
  // Optional for the parser (so a file can be checked piece by piece); the daemon and
  // `config check` refuse to run without it (trust_missing_error).
  auto hex = t.string("root_public_key", Presence::kOptional);
  if (!hex) return;
  auto raw = from_hex(*hex);
  if (!raw || raw->size() != 32) {
    t.error("root_public_key", "must be 64 hex characters (the root.pub written by "
                               "`casesyncctl root init`)");
    return;
  }
  config.root_public_key = *raw;
}

}  // namespace

Result<NodeConfig> load_node_config(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, read_text_file(path, "config file"));
  ASSIGN_OR_RETURN(toml::table root, parse_toml(text, path));
  NodeConfig config;
  config.source_path = path;
  TomlErrors errors(path);
  TableReader top(root, "", errors);
  top.allow_only(kTopKeys);
  read_node(top.table("node"), config);
  read_paths(top.table("paths"), directory_of(path), config);
  read_api(top.table("api"), directory_of(path), config);
  read_privacy(top.table("privacy"), config);
  read_log(top.table("log"), config);
  read_sync(top.table("sync"), config.sync);
  read_supervision(top, directory_of(path), config.supervision);
  read_health(top.table("health"), config.health);
  read_policy(top.table("policy"), config.health);
  read_penalty(top.table("penalty"), config.penalty);
  read_trust(top.table("trust"), config);
  read_webhooks(root, errors, config.webhooks);
  RETURN_IF_ERROR(errors.to_status());
  return config;
}

Status require_trust(const NodeConfig& config) {
  if (!config.root_public_key.empty()) return Status::ok();
  return Status::error(Code::kInvalidArgument,
                       config.source_path +
                           ": trust.root_public_key: required key is missing (pin the district "
                           "root key: the hex in root.pub from `casesyncctl root init`)");
}

}  // namespace casesync
