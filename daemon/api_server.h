// The local HTTP+JSON API, bound to loopback. casesyncctl, the dashboard and the existing
// approval system all use it. Connections are held by the front (daemon/http_front.h: limits,
// timeouts, caps, long-polls without a thread); httplib parses each request and routes it on a
// worker of the front. Handlers hand every touch of the node to the loop thread through
// NodeRuntime::tasks(). Every request passes authenticate() and
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

#include "common/status.h"

namespace casesync {

class HttpFront;
class NodeRuntime;

class ApiServer {
 public:
  // "*runtime" must remain live while this server is in use.
  explicit ApiServer(NodeRuntime* runtime);
  ~ApiServer();
  // Binds (so a port clash is reported before READY=1) and starts serving.
  Status start(const std::string& address);
  void stop();

 private:
  class Routes;  // httplib's routing, reachable by the front's workers
  void routes();
  NodeRuntime* runtime_;
  std::unique_ptr<Routes> routes_;
  std::unique_ptr<HttpFront> front_;
};

}  // namespace casesync
