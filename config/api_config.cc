#include "config/api_config.h"

#include <string>
#include <string_view>

namespace casesync {
namespace {

constexpr std::uint64_t kSecondMs = 1000;
constexpr std::uint64_t kBodyBytesMin = 64u << 10;
// The validation layer's bulk limit (daemon/api_request.h, kBulkBodyBytesMax) is this bound.
constexpr std::uint64_t kBodyBytesMax = 64u << 20;
constexpr std::uint64_t kConnectionsMin = 16;
constexpr std::uint64_t kConnectionsMax = 65536;

std::optional<std::uint64_t> count(TableReader& r, std::string_view key, std::uint64_t min,
                                   std::uint64_t max) {
  auto v = r.integer(key, Presence::kOptional);
  if (!v) return std::nullopt;
  if (*v < 0 || static_cast<std::uint64_t>(*v) < min || static_cast<std::uint64_t>(*v) > max) {
    r.error(key, out_of_range(*v, static_cast<std::int64_t>(min), static_cast<std::int64_t>(max)));
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(*v);
}

constexpr std::string_view kApiKeys[] = {
    "listen",          "tls_listen",    "tls_cert",        "tls_key",
    "allowed_origins", "allowed_hosts", "admin_token",     "max_body_bytes",
    "read_timeout",    "write_timeout", "idle_timeout",    "max_connections",
    "max_connections_per_client"};
constexpr std::string_view kPrivacyKeys[] = {"sensitive_fields"};
// A field name is a body key (sync/limits.h: kBodyKeyBytesMax).
constexpr std::size_t kFieldNameBytesMax = 64;

bool is_octet(std::string_view part) {
  if (part.empty() || part.size() > 3) return false;
  int value = 0;
  for (char c : part) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return value <= 255;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8, written as four decimal octets.
  std::size_t start = 0;
  for (int octet = 0; octet < 4; ++octet) {
    std::size_t dot = host.find('.', start);
    std::string_view part = host.substr(start, dot == host.npos ? host.npos : dot - start);
    if (!is_octet(part) || (octet == 0 && part != "127")) return false;
    if (dot == host.npos) return octet == 3;
    start = dot + 1;
  }
  return false;  // a fifth octet
}

bool field_name(std::string_view name) {
  if (name.empty() || name.size() > kFieldNameBytesMax) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool host_chars(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

// "https://portal.example" or "http://10.0.0.5:8080": what a browser sends as Origin.
std::optional<std::string> origin_problem(std::string_view origin) {
  const std::string_view why = " is not an origin (scheme://host[:port], e.g. \"https://portal.example\")";
  std::size_t sep = origin.find("://");
  if (sep == origin.npos) return std::string(why);
  const std::string_view scheme = origin.substr(0, sep);
  if (scheme != "http" && scheme != "https") return std::string(why);
  if (!host_chars(origin.substr(sep + 3))) return std::string(why);
  return std::nullopt;
}

// The TLS listener: any address (department systems on other hosts), but only with its
// certificate and key; without them it would be plain HTTP off loopback.
void read_tls(TableReader& api, const std::filesystem::path& base_dir, NodeConfig& config) {
  auto listen = api.string("tls_listen", Presence::kOptional);
  auto cert = api.string("tls_cert", Presence::kOptional);
  auto key = api.string("tls_key", Presence::kOptional);
  if (listen) {
    if (!split_host_port(*listen)) {
      api.error("tls_listen", in_quotes(*listen) + " is not HOST:PORT (port 1..65535)");
    }
    for (const char* k : {"tls_cert", "tls_key"}) {
      if (api.node(k) == nullptr) {
        api.error("tls_listen", "needs " + api.full_key(k) +
                                    " (a PEM file): the API never serves plain HTTP off loopback");
      }
    }
    config.api_access.tls_listen = *listen;
  } else {
    for (const char* k : {"tls_cert", "tls_key"}) {
      if (api.node(k) != nullptr) api.error(k, "is used only with " + api.full_key("tls_listen"));
    }
  }
  for (auto [value, field] : {std::pair{&cert, &ApiAccessConfig::tls_cert},
                              std::pair{&key, &ApiAccessConfig::tls_key}}) {
    if (*value && !(*value)->empty()) config.api_access.*field = resolve_path(base_dir, **value);
  }
}

void read_allowed(TableReader& api, NodeConfig& config) {
  if (auto origins = api.strings("allowed_origins", Presence::kOptional)) {
    for (std::size_t i = 0; i < origins->size(); ++i) {
      if (auto p = origin_problem((*origins)[i])) {
        api.error_at(api.element("allowed_origins", i), "allowed_origins[" + std::to_string(i) + "]",
                     in_quotes((*origins)[i]) + *p);
      }
    }
    config.api_access.allowed_origins = *origins;
  }
  if (auto hosts = api.strings("allowed_hosts", Presence::kOptional)) {
    for (std::size_t i = 0; i < hosts->size(); ++i) {
      if (!host_chars((*hosts)[i])) {
        api.error_at(api.element("allowed_hosts", i), "allowed_hosts[" + std::to_string(i) + "]",
                     in_quotes((*hosts)[i]) + " is not a host name (host or host:port)");
      }
    }
    config.api_access.allowed_hosts = *hosts;
  }
}

}  // namespace

void read_api_limits(TableReader& api, ApiLimits& limits) {
  if (auto v = count(api, "max_body_bytes", kBodyBytesMin, kBodyBytesMax)) limits.max_body_bytes = *v;
  if (auto v = duration(api, "read_timeout", kSecondMs, 600 * kSecondMs)) limits.read_timeout_ms = *v;
  if (auto v = duration(api, "write_timeout", kSecondMs, 600 * kSecondMs)) limits.write_timeout_ms = *v;
  if (auto v = duration(api, "idle_timeout", kSecondMs, 600 * kSecondMs)) limits.idle_timeout_ms = *v;
  if (auto v = count(api, "max_connections", kConnectionsMin, kConnectionsMax)) {
    limits.max_connections = static_cast<std::uint32_t>(*v);
  }
  if (auto v = count(api, "max_connections_per_client", 1, kConnectionsMax)) {
    limits.max_connections_per_client = static_cast<std::uint32_t>(*v);
  }
  if (limits.max_connections_per_client <= limits.max_connections) return;
  const char* at = api.node("max_connections_per_client") ? "max_connections_per_client"
                                                          : "max_connections";
  api.error(at, "max_connections_per_client (" + std::to_string(limits.max_connections_per_client) +
                    ") must not exceed " + api.full_key("max_connections") + " (" +
                    std::to_string(limits.max_connections) + ")");
}

void read_backup_dir(TableReader& paths, const std::filesystem::path& base_dir,
                     NodeConfig& config) {
  auto value = paths.string("backup_dir", Presence::kOptional);
  if (!value) {
    if (!config.data_dir.empty()) config.backup_dir = config.data_dir + "/backup";
    return;
  }
  if (value->empty()) {
    paths.error("backup_dir", "must not be empty (leave it out for the data folder's backup/)");
    return;
  }
  std::filesystem::path p(*value);
  config.backup_dir = (p.is_absolute() ? p : base_dir / p).lexically_normal().string();
  while (config.backup_dir.size() > 1 && config.backup_dir.back() == '/') config.backup_dir.pop_back();
  if (!config.data_dir.empty() && config.backup_dir == config.data_dir) {
    paths.error("backup_dir", in_quotes(*value) +
                                  " is the data folder itself; use a folder of its own (the "
                                  "default is the data folder's backup/)");
  }
}


// Plain HTTP only on loopback; everything but /healthz and /metrics needs a bearer token.
void read_api(TableReader api, const std::filesystem::path& base_dir, NodeConfig& config) {
  api.allow_only(kApiKeys);
  read_api_limits(api, config.api);
  if (auto listen = api.string("listen", Presence::kRequired)) {
    auto host_port = split_host_port(*listen);
    if (!host_port) {
      api.error("listen", in_quotes(*listen) + " is not HOST:PORT (port 1..65535)");
    } else if (!is_loopback_host(host_port->first)) {
      api.error("listen", in_quotes(*listen) +
                              " is not a loopback address (allowed: 127.x.x.x, ::1, [::1], "
                              "localhost); for other hosts use api.tls_listen");
    }
    config.api_address = *listen;
  }
  read_tls(api, base_dir, config);
  read_allowed(api, config);
  auto token = api.string("admin_token", Presence::kOptional);
  if (token && token->empty()) api.error("admin_token", "must not be empty");
  config.api_access.admin_token_file = resolve_path(base_dir, token.value_or("admin.token"));
}

void read_privacy(TableReader privacy, NodeConfig& config) {
  privacy.allow_only(kPrivacyKeys);
  auto fields = privacy.strings("sensitive_fields", Presence::kOptional);
  if (!fields) return;
  for (std::size_t i = 0; i < fields->size(); ++i) {
    const std::string& f = (*fields)[i];
    if (!field_name(f)) {
      privacy.error_at(privacy.element("sensitive_fields", i),
                       "sensitive_fields[" + std::to_string(i) + "]",
                       in_quotes(f) + " is not a field name (1.." +
                           std::to_string(kFieldNameBytesMax) +
                           " of a-z A-Z 0-9 _ - ., e.g. \"id_number\")");
    }
  }
  config.privacy.sensitive_fields = *fields;
}

}  // namespace casesync
