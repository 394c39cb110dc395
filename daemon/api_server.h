// The local HTTP+JSON API, bound to loopback. casesyncctl, the dashboard and the existing
// approval system all use it. Handlers run on httplib's threads and hand every touch of the
// node to the loop thread through NodeRuntime::tasks().
//
//   GET  /healthz                     "ok" once the node serves (testbed readiness)
//   GET  /api/status                  node, links, counters, store
//   GET  /api/cases?limit=N           [{id, origin, matter, applicant, status, event_count, ...}]
//   POST /api/cases                   {"matter", "applicant", ...fields} -> the new case
//   GET  /api/cases/{id}              the case with its events in canonical order
//   POST /api/cases/{id}/events       {"kind", "body": {...}} -> the new event
//   POST /api/cases/{id}/forward      {"to": NODE} -> the forward event
//   POST /api/events/batch            {"events": [{"case_id","kind","body"}]} in one transaction
//   GET  /api/events?after=L&limit=N  the local changes feed by local_seq
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
