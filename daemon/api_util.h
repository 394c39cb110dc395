// Small helpers shared by the API route files: JSON replies, errors mapped to HTTP statuses,
// request parsing, and running a handler on the loop thread.
#pragma once

#include <httplib.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "daemon/node_runtime.h"

namespace casesync {

void reply(httplib::Response& res, int status, const nlohmann::json& body);
// 400 invalid argument, 403 unauthorized, 404 not found, 507 disk full, 503 unavailable, else 500.
void reply_error(httplib::Response& res, const Status& st);
Result<nlohmann::json> parse_body(const httplib::Request& req);
// A JSON object as an event body: strings kept, other values stored as their JSON text.
Result<std::map<std::string, std::string>> string_map(const nlohmann::json& obj);
std::size_t query_size(const httplib::Request& req, const char* key, std::size_t dflt,
                       std::size_t max);

// Wraps a handler so it runs on the loop thread, which alone owns the core and the store.
template <class Fn>
httplib::Server::Handler on_loop(NodeRuntime& rt, Fn fn) {
  return [&rt, fn](const httplib::Request& req, httplib::Response& res) {
    rt.tasks().run_and_wait([&] { fn(req, res); });
  };
}

}  // namespace casesync
