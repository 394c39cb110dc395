#include "daemon/api_util.h"

#include <algorithm>

namespace casesync {

using nlohmann::json;

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void reply_error(httplib::Response& res, const Status& st) {
  int code = 500;
  switch (st.code()) {
    case Code::kInvalidArgument: code = 400; break;
    case Code::kNotFound: code = 404; break;
    case Code::kUnauthorized: code = 403; break;
    case Code::kPermission: code = 403; break;
    case Code::kDiskFull: code = 507; break;
    case Code::kUnavailable: code = 503; break;
    default: break;
  }
  reply(res, code, {{"error", st.message()}, {"code", code_name(st.code())}});
}

Result<json> parse_body(const httplib::Request& req) {
  try {
    return json::parse(req.body.empty() ? "{}" : req.body);
  } catch (const json::exception& e) {
    return Status::error(Code::kInvalidArgument,
                         std::string("request body is not JSON: ") + e.what());
  }
}

Result<std::map<std::string, std::string>> string_map(const json& obj) {
  if (!obj.is_object()) return Status::error(Code::kInvalidArgument, "body must be a JSON object");
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : obj.items()) {
    if (!v.is_null()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

std::size_t query_size(const httplib::Request& req, const char* key, std::size_t dflt,
                       std::size_t max) {
  if (!req.has_param(key)) return dflt;
  try {
    return std::min<std::size_t>(std::stoull(req.get_param_value(key)), max);
  } catch (...) {
    return dflt;
  }
}

}  // namespace casesync
