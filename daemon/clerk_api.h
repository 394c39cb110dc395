// The clerks of this node, for its admin (daemon/clerk_book.h). A new clerk's token is shown
// once, in the answer that creates it; the node keeps only its Argon2id hash.
//
//   GET  /api/clerks                  [{"id","name","role","disabled","created"}], "admin" first
//   POST /api/clerks                  {"id","name","role"} -> 201 {"id","name","role","token"}
//   POST /api/clerks/{id}/disable     {} -> {"id","disabled":true}: its token is refused at once
#pragma once

namespace httplib {
class Server;
}

namespace casesync {

class NodeRuntime;

// "*runtime" must remain live while `server` serves.
void register_clerk_routes(httplib::Server& server, NodeRuntime& runtime);

}  // namespace casesync
