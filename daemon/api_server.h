// The local HTTP+JSON API, bound to loopback. casesyncctl, the dashboard and the existing
// approval system all use it. Handlers run on httplib's threads and hand every touch of the
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
  // Binds (so a port clash is reported before READY=1) and starts serving on a thread.
  Status start(const std::string& address);
  void stop();

 private:
  void routes();
  NodeRuntime* runtime_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace casesync
