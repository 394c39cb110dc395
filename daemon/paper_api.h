// The printable papers of a case over the local API (daemon/paper.h renders them):
//   GET /api/cases/{id}/receipt[?lang=en]   受理回执, the acceptance receipt
//   GET /api/cases/{id}/notice[?lang=en]    一次性告知书, every missing material at once
// HTML for A4, Chinese unless ?lang=en. A paper shows a case, so it passes the same door as
// every case read (a clerk's token); `casesyncctl case receipt|notice` and the supervision
// page's case view fetch it with theirs.
#pragma once

namespace httplib {
class Server;
}

namespace casesync {

class NodeRuntime;

// "*runtime" must remain live while `server` serves.
void register_paper_routes(httplib::Server& server, NodeRuntime& runtime);

}  // namespace casesync
