// ApiGuard: the door of the local API. Before any route runs, a request must come for this node
// (Host), from no web page or from this node's own page or an allowed one (Origin), carry JSON if
// it writes (Content-Type), and — on every route but /healthz, /metrics and the page itself —
// a clerk's bearer token whose role the route allows. Every refusal is counted by reason
// (daemon/api_counters.h). docs/SECURITY.md says what each check stops.
//
// The checks that need no node (host, origin, content type) are pure functions, unit-tested in
// api_auth_test.cc; the token is TokenVerifier's.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/node_config.h"
#include "daemon/api_counters.h"
#include "daemon/api_error.h"
#include "daemon/clerk_book.h"
#include "daemon/token_verifier.h"

namespace httplib {
struct Request;
}

namespace casesync {

// Who may call a route.
enum class Access {
  kPublic,  // no token (health probes, Prometheus, the dashboard's page)
  kClerk,   // any clerk; a write's own role check follows in its handler
  kAdmin,   // a clerk with role admin (backups, rosters, clerks)
};

// Who is asking: empty for a public route.
struct Requester {
  std::optional<Clerk> clerk;
  bool is(ClerkRole role) const { return clerk && clerk->role == role; }
  Actor actor() const { return clerk ? clerk->actor() : Actor{}; }
};

// What one listener accepts as Host: its own address, localhost, 127.0.0.1 and [::1], and the
// names in api.allowed_hosts, with any port: DNS rebinding needs a name of the attacker's, and
// the port may differ through a tunnel (ssh -L 9000:127.0.0.1:8100).
struct HostRule {
  int port = 0;  // the listener's, to tell which listener a request came in on
  std::set<std::string> hosts;  // lower case, IPv6 in brackets
};
HostRule host_rule(const std::string& listen_address, const std::vector<std::string>& extra);

// The refusals (nullopt: passes). `host` is the Host header ("" when absent: HTTP/1.0 clients,
// which no browser is); `origin` the Origin header ("" when absent: not a cross-origin browser
// request); `content_type` the request's.
std::optional<ApiError> check_host(std::string_view host, const HostRule& rule);
std::optional<ApiError> check_origin(std::string_view origin, std::string_view host,
                                     bool tls, const std::vector<std::string>& allowed);
std::optional<ApiError> check_content_type(std::string_view content_type, bool bulk_lines);

class ApiGuard {
 public:
  // "*book" and "*counters" must remain live while the guard is in use.
  ApiGuard(const NodeConfig& config, const ClerkBook* book, ApiCounters* counters);

  // The requester, or the refusal (already counted; a wrong-token burst is logged).
  Checked<Requester> admit(const httplib::Request& req, Access access, std::uint64_t now_ms);
  // A route's own role refusal (403 forbidden_role, counted), naming the roles allowed.
  ApiError forbidden_role(const Requester& who, const Text& what,
                          const std::string& roles_allowed, std::uint64_t now_ms);

 private:
  Checked<Requester> refuse(ApiRefusal reason, ApiError error, std::uint64_t now_ms);
  Checked<Requester> admit_token(const httplib::Request& req, std::uint64_t now_ms);

  HostRule plain_;
  std::optional<HostRule> tls_;
  std::vector<std::string> allowed_origins_;
  ApiCounters* counters_;
  TokenVerifier verifier_;
};

}  // namespace casesync
