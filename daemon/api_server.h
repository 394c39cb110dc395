// The local HTTP+JSON API, bound to loopback, and optionally over TLS on another address for a
// department system on another host (api.tls_listen). casesyncctl, the dashboard and the existing
// approval system all use it; every route but /healthz and /metrics needs a clerk's token. Handlers run on httplib's threads and hand every touch of the
// node to the loop thread through NodeRuntime::tasks(). Every request passes authenticate() and
// the validation layer (daemon/api_util.h, daemon/api_commands.h); the contract — routes,
// parameters, errors {error, message, field}, limits — is docs/API.md.
//
//   GET  /healthz                     "ok" once the node serves (testbed readiness)
//   GET  /api/status                  node, links, counters, store, api_errors
//   POST /api/events/batch            {"events": [{"case_id","kind","body"}]} in one transaction
//   GET  /api/events?after=L&limit=N  the local changes feed by local_seq
//   POST /api/backup, /api/roster     online backup; install a signed roster
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

class NodeRuntime;

class ApiServer {
 public:
  // "*runtime" must remain live while this server is in use.
  explicit ApiServer(NodeRuntime* runtime);
  ~ApiServer();
  // Binds api.listen, and api.tls_listen when set (so a port clash or a certificate that does
  // not load is reported before READY=1), and starts serving on a thread each.
  Status start();
  void stop();

 private:
  void routes(httplib::Server& server);
  NodeRuntime* runtime_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<httplib::Server> tls_server_;  // an httplib::SSLServer, when api.tls_listen
  std::thread thread_;
  std::thread tls_thread_;
};

}  // namespace casesync
