#include "daemon/pages.h"

#include <httplib.h>

#include <memory>

#include "daemon/api_util.h"
#include "daemon/page_text.h"

// Embedded at build time (cmake/embed.cmake); NUL-terminated.
extern const unsigned char kDashboardHtml[];
extern const unsigned char kSupervisionHtml[];
extern const unsigned char kPageCommonJs[];

namespace casesync {

namespace {

const char* text_of(const unsigned char* embedded) { return reinterpret_cast<const char*>(embedded); }

void serve_page(const RenderedPage& page, const httplib::Request& req, httplib::Response& res) {
  // Everything the page needs is in it: no other origin may be contacted, and no other page may
  // frame it (a framed page could be made to act for the clerk who typed a token into it).
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                 "connect-src 'self'; img-src data:; frame-ancestors 'none'; form-action 'none'");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-store");
  res.set_content(page.in(language_from_tag(req.get_param_value("lang"))),
                  "text/html; charset=utf-8");
}

httplib::Server::Handler page_handler(NodeRuntime& rt, const unsigned char* html) {
  // Rendered once per language at start: the catalogue does not change while the node runs.
  auto page = std::make_shared<const RenderedPage>(
      render_both(text_of(html), text_of(kPageCommonJs), daemon_catalog()));
  return on_own_thread(
      rt, [page](const ApiCall& call, httplib::Response& res) { serve_page(*page, call.http, res); },
      Access::kPublic);
}

}  // namespace

void register_page_routes(httplib::Server& server, NodeRuntime& rt) {
  auto dashboard = page_handler(rt, kDashboardHtml);
  server.Get("/", dashboard);
  server.Get("/dashboard", dashboard);
  server.Get("/supervision", page_handler(rt, kSupervisionHtml));
}

}  // namespace casesync
