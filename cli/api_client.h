// ApiClient: casesyncctl's view of one node's local API. Picks the node from --api URL or from
// --config FILE (reading api.listen from that node's config).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace casesync {

struct ApiResponse {
  int status = 0;
  nlohmann::json body;
};

class ApiClient {
 public:
  explicit ApiClient(std::string base_url) : base_url_(std::move(base_url)) {}
  static Result<ApiClient> from_options(const std::string& api_url, const std::string& config_path);

  Result<ApiResponse> get(const std::string& path) const;
  Result<ApiResponse> post(const std::string& path, const nlohmann::json& body) const;
  Result<ApiResponse> post_text(const std::string& path, const std::string& text) const;
  // GET `path` into `fd` as it arrives (never whole in memory): the bytes written, or the
  // node's error answer (status >= 400) in `error`.
  Result<std::uint64_t> download(const std::string& path, int fd, ApiResponse* error) const;
  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_;
};

}  // namespace casesync
