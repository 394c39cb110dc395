// NodeConfig: one node's TOML configuration, validated. Every key is checked on load and an
// error names the file, line, key and the allowed values:
//   casesyncd.toml:12: sync.batch_events_max: 70000 is out of range (1..10000)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/roster.h"
#include "common/sync_limits.h"
#include "common/status.h"

namespace casesync {

// Deadlines per hop stage and how stalls are detected and escalated (the [deadlines] and [stall]
// tables). Durations are written with units: "10m", "4h", "3d".
struct SupervisionConfig {
  std::string calendar;                        // "" = built-in national calendar, "always", or a path
  std::uint64_t delivery_ms = 10 * 60 * 1000;  // deadlines.delivery: wall-clock time to deliver
  std::uint64_t accept_ms = 4 * 3600 * 1000;   // deadlines.accept: working time to sign for it
  std::uint64_t accept_district_ms = 0;        // deadlines.accept_district (0: accept)
  std::uint64_t accept_street_ms = 0;          // deadlines.accept_street
  std::uint64_t accept_community_ms = 0;       // deadlines.accept_community
  std::uint64_t answer_ms = 0;                 // deadlines.answer (0: the matter's limit in working days)
  double warn_fraction = 0.8;                  // stall.warn_fraction (0.1..1.0)
  std::uint64_t check_interval_ms = 30 * 1000; // stall.check_interval (1s..1h)
  double escalate_fraction = 0.5;              // stall.escalate_fraction: overdue by this share of
                                               // the limit goes to the sender's parent, twice it
                                               // to the district (0.1..10)
};

// Health reports and the states derived from them (the [health] table).
struct HealthConfig {
  std::uint64_t interval_ms = 5000;        // health.interval: report to the parent every (1s..10m)
  std::uint64_t offline_after_ms = 30000;  // health.offline_after: no report for this long
  std::uint64_t lag_events = 1000;         // health.lag_events: backlog above this is lagging
  std::uint64_t lag_age_ms = 60000;        // health.lag_age: oldest unsent event older than this
  std::uint64_t clock_skew_ms = 5000;      // health.clock_skew: offset to the parent above this
  // policy.lag_alert (5s..30d): behind the district's policy version this long is lagging.
  std::uint64_t policy_lag_alert_ms = 10 * 60 * 1000;
};

// How a peer that keeps sending input we refuse is cut off (the [penalty] table; the policy is
// daemon/peer_penalty.h). Durations are written with units: "10s", "5m".
struct PenaltyConfig {
  std::uint32_t rejects_max = 20;              // penalty.rejects_max: refused inputs a peer may
                                               // send within `window`; one more bans it (1..10000)
  std::uint64_t window_ms = 10 * 1000;         // penalty.window (1s..1h)
  std::uint64_t ban_ms = 30 * 1000;            // penalty.ban: the first ban (1s..1d)
  std::uint64_t ban_max_ms = 3600 * 1000;      // penalty.ban_max: each repeat offence doubles the
                                               // ban up to this (1s..30d, >= ban)
  std::uint64_t forgive_after_ms = 600 * 1000; // penalty.forgive_after: this long without a
                                               // refused input and the next ban is a first again
                                               // (1s..30d)
};

// Who the local API lets in, beyond api.listen (the [api] table; docs/SECURITY.md). Every route
// but /healthz and /metrics needs a clerk's bearer token whatever these say.
struct ApiAccessConfig {
  std::vector<std::string> allowed_origins;  // api.allowed_origins: web pages ("https://portal.example")
                                             // that may call the API besides the node's own page
  std::vector<std::string> allowed_hosts;    // api.allowed_hosts: Host names besides the listen
                                             // addresses, localhost and 127.0.0.1 (host[:port])
  std::string tls_listen;                    // api.tls_listen: "0.0.0.0:8443" for department
                                             // systems on other hosts; "" = none
  std::string tls_cert;                      // api.tls_cert: PEM certificate (chain)
  std::string tls_key;                       // api.tls_key: PEM private key
  std::string admin_token_file;              // api.admin_token: the admin's token, default
                                             // "admin.token" beside the config (0640 root:casesync)
};

// Personal data (the [privacy] table): body fields sealed at rest, masked in every view unless a
// reviewer or admin asks for the full case (which is recorded).
struct PrivacyConfig {
  std::vector<std::string> sensitive_fields = {"id_number", "phone"};  // privacy.sensitive_fields
};

// The local API under load and abuse (the [api] table beside api.listen; applied by the front,
// daemon/http_front.h). Durations are written with units: "10s", "2m".
struct ApiLimits {
  std::uint64_t max_body_bytes = 8u << 20;     // api.max_body_bytes: one request's body, refused
                                               // (413) before it is read (64 KiB..64 MiB)
  std::uint64_t read_timeout_ms = 10 * 1000;   // api.read_timeout: a request's head must arrive
                                               // whole within it, and no byte of its body may
                                               // take longer (1s..10m)
  std::uint64_t write_timeout_ms = 10 * 1000;  // api.write_timeout: an answer that does not move
                                               // for this long is dropped (1s..10m)
  std::uint64_t idle_timeout_ms = 5 * 1000;    // api.idle_timeout: a kept-alive connection with
                                               // no request for this long is closed (1s..10m)
  std::uint32_t max_connections = 1024;        // api.max_connections (16..65536)
  std::uint32_t max_connections_per_client = 512;  // api.max_connections_per_client: from one
                                               // address (1..max_connections); on loopback all
                                               // local programs share 127.0.0.1
};

// A department system told of every event this node stores (a [[webhook]] table; delivered by
// daemon/webhooks.h). Durations are written with units: "10s", "500ms".
struct WebhookConfig {
  std::string name;                  // webhook.name: 1..32 of a-z 0-9 - _, unique on the node
                                     // (`casesyncctl webhook retry NAME`)
  std::string url;                   // webhook.url: http://HOST[:PORT][/PATH] as written
  std::string scheme;                // from url: "http" (https only in a build with TLS)
  std::string host;                  // from url, without brackets
  std::uint16_t port = 80;           // from url
  std::string path = "/";            // from url, with its query
  std::vector<std::string> events;   // webhook.events: the kinds sent; empty = every kind
  std::string secret;                // webhook.secret: the HMAC-SHA256 key of the signature
                                     // header (16..1024 characters)
  std::uint64_t timeout_ms = 10 * 1000;       // webhook.timeout: one attempt (100ms..5m)
  std::uint32_t max_attempts = 12;            // webhook.max_attempts: then a dead letter (1..1000)
  std::uint64_t backoff_ms = 1000;            // webhook.backoff: the wait after a first failure
                                              // (10ms..1h); it doubles each time, with jitter
  std::uint64_t backoff_max_ms = 5 * 60 * 1000;  // webhook.backoff_max: up to this (>= backoff, ..1d)
};

struct NodeConfig {
  std::string source_path;                  // the file this was loaded from
  std::string node_id;                      // node.id
  Role role = Role::kCommunity;             // node.role
  std::string listen_endpoint;              // node.listen, e.g. "tcp://127.0.0.1:7000"; may be empty for leaves
  std::vector<std::string> parent_endpoints;  // node.parents: primary first, then fallbacks
  std::vector<std::uint32_t> parent_lines;    // the line of each node.parents entry (messages)
  std::string data_dir;                     // paths.data_dir; relative paths are resolved against the config file's directory
  std::string key_file;                     // paths.key_file (Ed25519 secret, 0600)
  std::string roster_file;                  // paths.roster
  std::string matters_file;                 // paths.matters (optional; default "matters.toml")
  std::string data_key_file;                // paths.data_key (0600; default "data.key" beside key_file)
  std::string backup_dir;                   // paths.backup_dir: where POST /api/backup writes
                                            // (default: the data folder's backup/)
  std::string api_address;                  // api.listen, "127.0.0.1:8000" (loopback only)
  ApiLimits api;                            // the rest of [api]: limits
  ApiAccessConfig api_access;               // the rest of [api]: who may come in
  std::string log_level = "info";           // log.level: debug | info | warning | error
  // log.language: "zh" | "en" | "" (not set: the locale decides, LC_ALL / LC_MESSAGES / LANG as
  // for casesyncctl, common/translate.h; a systemd unit has none, so Chinese). The language of
  // the daemon's words for people: --check, configuration errors, the reasons it will not start.
  std::string log_language;
  SyncLimits sync;                          // [sync]
  SupervisionConfig supervision;            // calendar, [deadlines], [stall]
  HealthConfig health;                      // [health]
  PenaltyConfig penalty;                    // [penalty]
  std::vector<WebhookConfig> webhooks;      // [[webhook]], at most kWebhooksMax
  PrivacyConfig privacy;                    // [privacy]
  std::string root_public_key;              // trust.root_public_key: the district root, raw 32 bytes
};

// Webhooks a node may have: one delivery thread each.
constexpr std::size_t kWebhooksMax = 8;

// Parses and validates. Relative paths in [paths] are made absolute against the file's directory.
Result<NodeConfig> load_node_config(const std::string& path);
// The parser accepts a file without [trust]; running a node does not.
Status require_trust(const NodeConfig& config);

}  // namespace casesync
