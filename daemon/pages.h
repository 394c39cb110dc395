// The pages casesyncd serves to a browser, each self-contained (no CDN, no fonts, no images) and
// in the reader's language (daemon/page_text.h: Chinese, English with ?lang=en):
//   GET /, /dashboard   the health page (daemon/dashboard.html; reads /api/health)
//   GET /supervision    电子监察 (daemon/supervision.html; reads /api/stats, /api/stalled,
//                       /api/cases and a case's /trace for a period)
// A page holds no data: it asks for a clerk's token and reads the authenticated API with it.
#pragma once

namespace httplib {
class Server;
}

namespace casesync {

class NodeRuntime;

void register_page_routes(httplib::Server& server, NodeRuntime& runtime);

}  // namespace casesync
