#include "daemon/api_util.h"

#include <exception>

#include "daemon/answer_language.h"
#include "daemon/log.h"

namespace casesync {

using nlohmann::json;

namespace {

UiLanguage language_of(const httplib::Request& req) {
  std::string lang;
  for (const auto& [k, v] : parse_query_string(req.target)) {
    if (k == kLanguageParameter) lang = v;
  }
  return request_language(lang, req.get_header_value("Accept-Language"));
}

RequestView view_of(const httplib::Request& req) {
  RequestView v;
  v.body = req.body;
  // ?lang= stays: it chooses the answer's language (language_of) on every route, and the papers
  // route also reads it for the paper itself; QueryReader::finish() lets it pass everywhere.
  v.query = parse_query_string(req.target);
  for (std::size_t i = 1; i < req.matches.size(); ++i) v.path.push_back(req.matches[i].str());
  return v;
}

void internal_error(ApiCounters& counters, const httplib::Request& req, httplib::Response& res,
                    const std::string& what) {
  counters.internal_error();
  log_error("api: " + req.method + " " + req.path + " failed with an exception: " + what +
            " (answered 500; this is a bug, please report it)");
  reply_error(res, ApiError{500, "internal",
                            ui_text("the node failed on this request (%s); it keeps running. "
                                    "Please report this with the node's log", what),
                            ""});
}

}  // namespace

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  // Text the node holds is UTF-8 (the rules refuse anything else); `replace` is the belt to
  // those braces, so an answer can never throw.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void reply_error(httplib::Response& res, const ApiError& error) {
  reply(res, error.status, error.to_json(answer_language()));
}

void reply_error(httplib::Response& res, const Status& status) {
  reply_error(res, api_error_from_status(status));
}

namespace {

// A refusal at the door: 401 says which scheme would do, 429 when to come back.
void refuse(httplib::Response& res, const ApiError& error) {
  if (error.status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"casesync\"");
  if (error.status == 429) res.set_header("Retry-After", "1");
  reply_error(res, error);
}

ApiDoor door(NodeRuntime& rt, Access access) {
  return [&rt, access](const httplib::Request& req) {
    return rt.guard().admit(req, access, rt.now_ms());
  };
}

}  // namespace

httplib::Server::Handler guarded(ApiCounters& counters, ApiDoor admit, ApiHandler fn) {
  return [&counters, admit = std::move(admit), fn = std::move(fn)](const httplib::Request& req,
                                                                   httplib::Response& res) {
    const AnswerLanguage language(language_of(req));
    try {
      auto who = admit(req);
      if (!who.ok()) return refuse(res, who.error());
      fn(ApiCall{req, view_of(req), *who}, res);
    } catch (const std::exception& e) {
      internal_error(counters, req, res, e.what());
    } catch (...) {
      internal_error(counters, req, res, "an unknown exception");
    }
  };
}

httplib::Server::Handler on_loop(NodeRuntime& rt, ApiHandler fn, Access access) {
  return guarded(rt.api_counters(), door(rt, access),
                 [&rt, fn = std::move(fn)](const ApiCall& call, httplib::Response& res) {
                   const UiLanguage language = answer_language();
                   rt.tasks().run_and_wait([&] {
                     const AnswerLanguage on_loop_thread(language);
                     fn(call, res);
                   });
                 });
}

httplib::Server::Handler on_own_thread(NodeRuntime& rt, ApiHandler fn, Access access) {
  return guarded(rt.api_counters(), door(rt, access), std::move(fn));
}

void install_error_handlers(httplib::Server& server, NodeRuntime& rt) {
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [&rt](const httplib::Request& req, httplib::Response& res) {
        rt.api_counters().error_response(res.status);
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // ours
        const AnswerLanguage language(language_of(req));
        reply_error(res, api_error_for_http_status(res.status));
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler(
      [&rt](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        const AnswerLanguage language(language_of(req));
        std::string what = "an unknown exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        internal_error(rt.api_counters(), req, res, what);
      });
}

}  // namespace casesync
