// What every route of the local API goes through: the door (daemon/api_guard.h: Host, Origin,
// Content-Type, the clerk's token and role), the request as the validation layer reads it
// (daemon/api_request.h), the thread the handler runs on, JSON answers, and a last-resort catch
// so that no request can stop the node.
#pragma once

#include <httplib.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "common/status.h"
#include "daemon/api_error.h"
#include "daemon/api_guard.h"
#include "daemon/api_request.h"
#include "daemon/node_runtime.h"

namespace casesync {

struct ApiCall {
  const httplib::Request& http;
  RequestView request;  // what the validation layer reads: body, query, path parts
  Requester who;        // the clerk the door admitted (none on a public route)
};
using ApiHandler = std::function<void(const ApiCall&, httplib::Response&)>;
// The door: the requester, or the refusal to answer with.
using Admit = std::function<Checked<Requester>(const httplib::Request&)>;

void reply(httplib::Response& res, int status, const nlohmann::json& body);
void reply_error(httplib::Response& res, const ApiError& error);
void reply_error(httplib::Response& res, const Status& status);

// `fn` behind the door `admit` and the last-resort catch (an exception answers a JSON 500 and
// counts in `counters`), on the calling thread. The two below are this on a thread each; both
// pass the door on httplib's thread, so a token check never holds the loop.
httplib::Server::Handler guarded(ApiCounters& counters, Admit admit, ApiHandler fn);

// Runs `fn` on the loop thread, which alone owns the core and the store.
httplib::Server::Handler on_loop(NodeRuntime& rt, ApiHandler fn, Access access = Access::kClerk);
// Runs `fn` on the front's worker (daemon/http_front.h) that reads the request: for handlers
// that hand their reads to the loop themselves and may answer later or from a file through
// Exchange::current() (the changes long-poll, a backup download), and a clerk's token being
// hashed.
httplib::Server::Handler on_own_thread(NodeRuntime& rt, ApiHandler fn,
                                       Access access = Access::kClerk);

// JSON bodies for the errors httplib answers by itself (404 no route, 413, 414, 400), the count
// of every error answer, and a JSON 500 for an exception on a worker. (The front answers its own
// refusals — 408, 411, 413, 415, 431, 503 — in the same JSON shape before httplib sees them.)
void install_error_handlers(httplib::Server& server, NodeRuntime& rt);

}  // namespace casesync
