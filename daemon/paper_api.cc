#include "daemon/paper_api.h"

#include <httplib.h>

#include "daemon/api_commands.h"
#include "daemon/api_util.h"
#include "daemon/node_runtime.h"
#include "daemon/page_text.h"
#include "daemon/paper.h"
#include "sync/case_fold.h"

namespace casesync {

namespace {

void serve_paper(NodeRuntime& rt, PaperKind kind, const ApiCall& call, httplib::Response& res) {
  auto q = parse_paper(call.request);
  if (!q.ok()) return reply_error(res, q.error());
  auto s = rt.core().case_state(q->case_id);
  if (!s.is_ok()) return reply_error(res, s.status());
  if (!s->exists) {
    return reply_error(res, ApiError::not_found(ui_text("case %s is not held at node %s",
                                                        q->case_id, rt.config().node_id),
                                                "case_id"));
  }
  const DeadlineInputs deadlines = rt.stalls().deadline_inputs();
  const PaperView view =
      paper_view(kind, *s, rt.matters().find(s->matter), rt.core().roster(), deadlines);
  const UiLanguage language = q->english ? UiLanguage::kEnglish : UiLanguage::kChinese;
  // Nothing but the paper's own inline style: no script runs, nothing is fetched, no page
  // frames it.
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Cache-Control", "no-store");
  res.status = 200;
  res.set_content(render_paper(view, language, daemon_catalog()), "text/html; charset=utf-8");
}

}  // namespace

void register_paper_routes(httplib::Server& server, NodeRuntime& rt) {
  for (PaperKind kind : {PaperKind::kReceipt, PaperKind::kNotice}) {
    server.Get(std::string(R"(/api/cases/([^/]+)/)") + paper_kind_name(kind),
               on_loop(rt, [&rt, kind](const ApiCall& call, httplib::Response& res) {
                 serve_paper(rt, kind, call, res);
               }));
  }
}

}  // namespace casesync
