#include "config/api_config.h"

#include <string_view>


namespace casesync {
namespace {

constexpr std::string_view kApiKeys[] = {"listen",      "tls_listen",    "tls_cert",
                                         "tls_key",     "allowed_origins", "allowed_hosts",
                                         "admin_token"};
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
    config.api.tls_listen = *listen;
  } else {
    for (const char* k : {"tls_cert", "tls_key"}) {
      if (api.node(k) != nullptr) api.error(k, "is used only with " + api.full_key("tls_listen"));
    }
  }
  for (auto [value, field] : {std::pair{&cert, &ApiAccessConfig::tls_cert},
                              std::pair{&key, &ApiAccessConfig::tls_key}}) {
    if (*value && !(*value)->empty()) config.api.*field = resolve_path(base_dir, **value);
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
    config.api.allowed_origins = *origins;
  }
  if (auto hosts = api.strings("allowed_hosts", Presence::kOptional)) {
    for (std::size_t i = 0; i < hosts->size(); ++i) {
      if (!host_chars((*hosts)[i])) {
        api.error_at(api.element("allowed_hosts", i), "allowed_hosts[" + std::to_string(i) + "]",
                     in_quotes((*hosts)[i]) + " is not a host name (host or host:port)");
      }
    }
    config.api.allowed_hosts = *hosts;
  }
}

}  // namespace

// Plain HTTP only on loopback; everything but /healthz and /metrics needs a bearer token.
void read_api(TableReader api, const std::filesystem::path& base_dir, NodeConfig& config) {
  api.allow_only(kApiKeys);
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
  config.api.admin_token_file = resolve_path(base_dir, token.value_or("admin.token"));
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
