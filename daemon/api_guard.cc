#include "daemon/api_guard.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "config/toml_errors.h"
#include "crypto/token_hash.h"
#include "daemon/api_token.h"
#include "daemon/log.h"

namespace casesync {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string bracketed(const std::string& host) {
  const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return ipv6 ? "[" + host + "]" : host;
}

// The host name of a Host header, lower case, without its port ("[::1]:8100" -> "[::1]").
std::string host_name_of(std::string_view header) {
  const std::string h = lower(header);
  if (!h.empty() && h.front() == '[') return h.substr(0, h.find(']') + 1);
  const std::size_t colon = h.find(':');
  // A second colon: a bare IPv6 address, which is no valid Host; matched as it is.
  if (colon == std::string::npos || h.find(':', colon + 1) != std::string::npos) return h;
  return h.substr(0, colon);
}

std::uint64_t steady_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

std::string header(const httplib::Request& req, const char* name) {
  return req.has_header(name) ? req.get_header_value(name) : std::string();
}


}  // namespace

HostRule host_rule(const std::string& listen_address, const std::vector<std::string>& extra) {
  HostRule rule;
  if (auto hp = split_host_port(listen_address)) {
    rule.port = hp->second;
    const std::string host = lower(hp->first);
    if (host != "0.0.0.0" && host != "::" && host != "[::]") rule.hosts.insert(bracketed(host));
  }
  for (const char* h : {"localhost", "127.0.0.1", "[::1]"}) rule.hosts.insert(h);
  for (const auto& e : extra) rule.hosts.insert(lower(e));
  return rule;
}

std::optional<ApiError> check_host(std::string_view host, const HostRule& rule) {
  if (host.empty()) return std::nullopt;
  const std::string name = host_name_of(host);
  if (rule.hosts.count(name) > 0 || rule.hosts.count(lower(host)) > 0) return std::nullopt;
  std::string names;
  for (const auto& h : rule.hosts) names += (names.empty() ? "" : ", ") + h;
  return ApiError{403, "bad_host",
                  ui_text("Host \"%s\" is not this node's API (%s): refused so that no web page "
                          "can reach it under another name (DNS rebinding); add a name the node "
                          "is really reached by to api.allowed_hosts",
                          host, names),
                  ""};
}

std::optional<ApiError> check_origin(std::string_view origin, std::string_view host, bool tls,
                                     const std::vector<std::string>& allowed) {
  if (origin.empty()) return std::nullopt;
  const std::string o = lower(origin);
  if (!host.empty() && o == std::string(tls ? "https://" : "http://") + lower(host)) {
    return std::nullopt;  // the node's own page (its Host was checked first)
  }
  for (const auto& a : allowed) {
    if (o == lower(a)) return std::nullopt;
  }
  return ApiError{403, "bad_origin",
                  ui_text("a web page at %s may not call this node's API: only the node's own "
                          "page and api.allowed_origins may",
                          origin),
                  ""};
}

std::optional<ApiError> check_content_type(std::string_view content_type, bool bulk_lines) {
  std::string media = lower(content_type.substr(0, content_type.find(';')));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  while (!media.empty() && media.front() == ' ') media.erase(media.begin());
  if (media == "application/json") return std::nullopt;
  if (bulk_lines && media == "application/x-ndjson") return std::nullopt;
  const std::string wanted =
      bulk_lines ? "application/json (or application/x-ndjson)" : "application/json";
  return ApiError{415, "bad_content_type",
                  media.empty()
                      ? ui_text("a write needs Content-Type: %s, and this request has none",
                                wanted)
                      : ui_text("a write needs Content-Type: %s, not %s", wanted, media),
                  ""};
}

ApiGuard::ApiGuard(const NodeConfig& config, const ClerkBook* book, ApiCounters* counters)
    : plain_(host_rule(config.api_address, config.api_access.allowed_hosts)),
      allowed_origins_(config.api_access.allowed_origins),
      counters_(counters),
      verifier_(book, steady_ms, crypto::token_matches) {
  if (!config.api_access.tls_listen.empty()) tls_ = host_rule(config.api_access.tls_listen, config.api_access.allowed_hosts);
}

Checked<Requester> ApiGuard::refuse(ApiRefusal reason, ApiError error, std::uint64_t now_ms) {
  if (counters_->refused(reason, now_ms)) {
    log_warning("security: " + std::to_string(ApiCounters::kBurstTokensMin) +
                " or more wrong API tokens within " +
                std::to_string(ApiCounters::kBurstWindowMs / 1000) +
                "s (the latest: " + error.message.english() + "); raised as security_alert");
  }
  return error;
}

Checked<Requester> ApiGuard::admit(const httplib::Request& req, Access access,
                                   std::uint64_t now_ms) {
  const bool tls = tls_ && req.local_port == tls_->port && req.local_port != plain_.port;
  const std::string host = header(req, "Host");
  if (auto e = check_host(host, tls ? *tls_ : plain_)) return refuse(ApiRefusal::kBadHost, *e, now_ms);
  if (auto e = check_origin(header(req, "Origin"), host, tls, allowed_origins_)) {
    return refuse(ApiRefusal::kBadOrigin, *e, now_ms);
  }
  if (req.method == "POST") {
    if (auto e = check_content_type(header(req, "Content-Type"), req.path == "/api/import")) {
      return refuse(ApiRefusal::kBadContentType, *e, now_ms);
    }
  }
  if (access == Access::kPublic) return Requester{};
  auto who = admit_token(req, now_ms);
  if (!who.ok() || access != Access::kAdmin || who->is(ClerkRole::kAdmin)) return who;
  return forbidden_role(*who, req.method + " " + req.path, "admin", now_ms);
}

Checked<Requester> ApiGuard::admit_token(const httplib::Request& req, std::uint64_t now_ms) {
  const auto token = bearer_token(header(req, "Authorization"));
  if (!token) {
    return refuse(ApiRefusal::kBadToken,
                  {401, "bad_token", ui_text("the Authorization header must be \"Bearer TOKEN\""),
                   ""},
                  now_ms);
  }
  if (token->empty()) {
    return refuse(ApiRefusal::kNoToken,
                  {401, "no_token",
                   ui_text("this route needs a clerk's token (Authorization: Bearer TOKEN); "
                           "casesyncctl reads it from --token-file FILE, $CASESYNC_TOKEN or "
                           "admin.token beside the node's config"),
                   ""},
                  now_ms);
  }
  TokenCheck check = verifier_.check(*token);
  switch (check.outcome) {
    case TokenOutcome::kOk: return Requester{std::move(check.clerk)};
    case TokenOutcome::kBad:
      return refuse(ApiRefusal::kBadToken, {401, "bad_token", check.message, ""}, now_ms);
    case TokenOutcome::kThrottled:
      return refuse(ApiRefusal::kThrottled, {429, "throttled", check.message, ""}, now_ms);
  }
  return refuse(ApiRefusal::kBadToken, {401, "bad_token", check.message, ""}, now_ms);
}

ApiError ApiGuard::forbidden_role(const Requester& who, const Text& what,
                                  const std::string& roles_allowed, std::uint64_t now_ms) {
  const Actor a = who.actor();
  ApiError e{403, "forbidden_role",
             ui_text("clerk %s (role %s) may not %s; roles allowed: %s", a.id, a.role, what,
                     roles_allowed),
             ""};
  (void)counters_->refused(ApiRefusal::kForbiddenRole, now_ms);
  return e;
}

}  // namespace casesync
