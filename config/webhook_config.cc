#include "config/webhook_config.h"

#include <algorithm>
#include <set>

#include "common/duration.h"
#include "sync/case_kinds.h"

namespace casesync {
namespace {

constexpr std::string_view kWebhookKeys[] = {"name",         "url",     "events",     "secret",
                                             "timeout",      "max_attempts", "backoff",
                                             "backoff_max"};
constexpr std::uint64_t kMs = 1;
constexpr std::uint64_t kSecondMs = 1000;
constexpr std::uint64_t kDayMs = 24 * 3600 * kSecondMs;
constexpr std::size_t kWebhookNameBytesMax = 32;
// A shorter secret is guessable; a longer one is a mistake (a file pasted in).
constexpr std::size_t kSecretBytesMin = 16;
constexpr std::size_t kSecretBytesMax = 1024;
constexpr std::size_t kUrlBytesMax = 2048;
constexpr std::int64_t kMaxAttemptsMax = 1000;

#ifdef CASESYNC_HTTPS_CLIENT
constexpr bool kHttps = true;
#else
constexpr bool kHttps = false;
#endif

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

bool path_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && c != '#' && c != '"' && c != '<' && c != '>' && c != '\\';
}

// The authority part: HOST, HOST:PORT, [V6], [V6]:PORT.
std::optional<std::string> parse_authority(std::string_view auth, WebhookConfig& out) {
  std::string_view host = auth, port;
  if (auth.find('@') != std::string_view::npos) {
    return "has a user name or password (user@host); put credentials in `secret`, not the URL";
  }
  if (!auth.empty() && auth.front() == '[') {
    const auto close = auth.find(']');
    if (close == std::string_view::npos) return "has an IPv6 address without its closing ']'";
    host = auth.substr(1, close - 1);
    std::string_view rest = auth.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return "has text after the IPv6 address";
    if (!rest.empty()) port = rest.substr(1);
  } else if (const auto colon = auth.rfind(':'); colon != std::string_view::npos) {
    host = auth.substr(0, colon);
    port = auth.substr(colon + 1);
    if (!std::all_of(host.begin(), host.end(), host_char)) return "has a bad host name";
  } else if (!std::all_of(host.begin(), host.end(), host_char)) {
    return "has a bad host name";
  }
  if (host.empty()) return "has no host";
  out.host = std::string(host);
  if (port.empty()) return std::nullopt;
  unsigned long value = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || value > 65535) return "has a port that is not a number 1..65535";
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (value < 1 || value > 65535) return "has a port that is not a number 1..65535";
  out.port = static_cast<std::uint16_t>(value);
  return std::nullopt;
}

void read_one(TableReader& w, WebhookConfig& hook, std::set<std::string>& names) {
  w.allow_only(kWebhookKeys);
  if (auto name = w.string("name", Presence::kRequired)) {
    hook.name = *name;
    const bool ok = !name->empty() && name->size() <= kWebhookNameBytesMax &&
                    !node_id_problem(*name);
    if (!ok) {
      w.error("name", in_quotes(*name) + " is not a webhook name (1.." +
                          std::to_string(kWebhookNameBytesMax) + " of a-z, 0-9, '-', '_')");
    } else if (!names.insert(*name).second) {
      w.error("name", in_quotes(*name) + " names another webhook already; names must differ");
    }
  }
  if (auto url = w.string("url", Presence::kRequired)) {
    hook.url = *url;
    if (auto p = parse_webhook_url(*url, hook)) w.error("url", *p);
  }
  if (auto secret = w.string("secret", Presence::kRequired)) {
    hook.secret = *secret;
    if (secret->size() < kSecretBytesMin || secret->size() > kSecretBytesMax) {
      w.error("secret", "must be " + std::to_string(kSecretBytesMin) + ".." +
                            std::to_string(kSecretBytesMax) +
                            " characters (e.g. `openssl rand -hex 32`), not " +
                            std::to_string(secret->size()));
    }
  }
  if (auto events = w.strings("events", Presence::kOptional)) {
    for (std::size_t i = 0; i < events->size(); ++i) {
      const std::string& kind = (*events)[i];
      const bool known = std::find(std::begin(kinds::kAllKinds), std::end(kinds::kAllKinds),
                                   kind) != std::end(kinds::kAllKinds);
      if (!known) {
        w.error_at(w.element("events", i), "events[" + std::to_string(i) + "]",
                   in_quotes(kind) + " is not an event kind (allowed: " +
                       join_names(kinds::kAllKinds) + ")");
      }
    }
    hook.events = *events;
  }
  if (auto v = duration(w, "timeout", 100 * kMs, 300 * kSecondMs)) hook.timeout_ms = *v;
  if (auto v = w.integer("max_attempts", Presence::kOptional)) {
    if (*v < 1 || *v > kMaxAttemptsMax) {
      w.error("max_attempts", std::to_string(*v) + " is out of range (1.." +
                                  std::to_string(kMaxAttemptsMax) + ")");
    } else {
      hook.max_attempts = static_cast<std::uint32_t>(*v);
    }
  }
  if (auto v = duration(w, "backoff", 10 * kMs, 3600 * kSecondMs)) hook.backoff_ms = *v;
  if (auto v = duration(w, "backoff_max", 10 * kMs, kDayMs)) hook.backoff_max_ms = *v;
  if (hook.backoff_max_ms < hook.backoff_ms) {
    w.error(w.node("backoff_max") ? "backoff_max" : "backoff",
            "backoff_max (" + format_duration_ms(hook.backoff_max_ms) +
                ") must not be shorter than backoff (" + format_duration_ms(hook.backoff_ms) + ")");
  }
}

}  // namespace

std::optional<std::string> parse_webhook_url(std::string_view url, WebhookConfig& out) {
  const std::string shown = in_quotes(url.substr(0, 80));
  if (url.size() > kUrlBytesMax) return "is longer than " + std::to_string(kUrlBytesMax) + " bytes";
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return shown + " is not a URL (expected http://HOST[:PORT][/PATH])";
  }
  const std::string_view scheme = url.substr(0, sep);
  if (scheme == "https" && !kHttps) {
    return shown + ": this build has no TLS client; use http (on the node's own network or "
                   "through a TLS-terminating proxy)";
  }
  if (scheme != "http" && scheme != "https") {
    return shown + ": scheme " + in_quotes(scheme) + " is not http" + (kHttps ? " or https" : "");
  }
  out.scheme = std::string(scheme);
  out.port = scheme == "https" ? 443 : 80;
  std::string_view rest = url.substr(sep + 3);
  const auto slash = rest.find('/');
  const std::string_view auth = rest.substr(0, slash);
  if (auto p = parse_authority(auth, out)) return shown + " " + *p;
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!std::all_of(out.path.begin(), out.path.end(), path_char)) {
    return shown + " has a space, control character or fragment ('#') in its path; "
                   "percent-encode it";
  }
  return std::nullopt;
}

void read_webhooks(const toml::table& root, TomlErrors& errors,
                   std::vector<WebhookConfig>& webhooks) {
  const toml::node* node = root.get("webhook");
  if (node == nullptr) return;
  const toml::array* array = node->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    errors.add(node, "webhook", "expected [[webhook]] tables (one per receiver)");
    return;
  }
  if (array->size() > kWebhooksMax) {
    errors.add(node, "webhook", std::to_string(array->size()) + " webhooks; at most " +
                                    std::to_string(kWebhooksMax) + " per node");
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < array->size(); ++i) {
    TableReader w(*(*array)[i].as_table(), "webhook[" + std::to_string(i) + "]", errors);
    WebhookConfig hook;
    read_one(w, hook, names);
    webhooks.push_back(std::move(hook));
  }
}

}  // namespace casesync
