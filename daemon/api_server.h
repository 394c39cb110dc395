// The local HTTP+JSON API, bound to loopback, and optionally over TLS on another address for a
// department system on another host (api.tls_listen). casesyncctl, the dashboard and the existing
// approval system all use it; every route but /healthz and /metrics needs a clerk's token.
// Connections on loopback are held by the front (daemon/http_front.h: limits, timeouts, caps,
// long-polls without a thread); httplib parses each request and routes it on a worker of the
// front. Handlers hand every touch of the node to the loop thread through
// NodeRuntime::tasks(). Every request passes the door (daemon/api_guard.h) and
// the validation layer (daemon/api_util.h, daemon/api_commands.h); the contract — routes,
// parameters, errors {error, message, field}, limits — is docs/API.md.
//
//   GET  /healthz                     "ok" once the node serves (testbed readiness)
//   GET  /api/status                  node, links, counters, store, api_errors
//   POST /api/events/batch            {"events": [{"case_id","kind","body"}]} in one transaction
//   GET  /api/events?after=L&limit=N  the local changes feed by local_seq
//   POST /api/roster                  install a signed roster
//   POST /api/backup, GET /api/backups/NAME   a backup into paths.backup_dir; download it
//   the case routes: daemon/case_api.h; supervision: daemon/stall_api.h; health: health_api.h
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "common/status.h"

namespace httplib {
class Server;
}

namespace casesync {

class HttpFront;
class NodeRuntime;

class ApiServer {
 public:
  // "*runtime" must remain live while this server is in use.
  explicit ApiServer(NodeRuntime* runtime);
  ~ApiServer();
  // Binds api.listen, and api.tls_listen when set (so a port clash or a certificate that does
  // not load is reported before READY=1), and starts serving.
  Status start();
  void stop();

 private:
  class Routes;  // httplib's routing, reachable by the front's workers
  void routes(httplib::Server& server);
  NodeRuntime* runtime_;
  std::unique_ptr<Routes> routes_;
  std::unique_ptr<HttpFront> front_;
  std::unique_ptr<httplib::Server> tls_server_;  // an httplib::SSLServer, when api.tls_listen
  std::thread tls_thread_;
};

}  // namespace casesync
