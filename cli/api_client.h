// ApiClient: casesyncctl's view of one node's local API. Picks the node from --api URL or from
// --config FILE (reading api.listen from that node's config), and the clerk's token from
// --token-file FILE, else $CASESYNC_TOKEN, else the node's admin token (api.admin_token of its
// config: admin.token beside it). Every request carries it as "Authorization: Bearer".
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
  explicit ApiClient(std::string base_url, std::string token = "")
      : base_url_(std::move(base_url)), token_(std::move(token)) {}
  // kInvalidArgument when --token-file names a file that cannot be read. A token not found
  // elsewhere is no error: the node answers 401 and token_note() says where casesyncctl looked.
  static Result<ApiClient> from_options(const std::string& api_url, const std::string& config_path,
                                        const std::string& token_file = "");

  Result<ApiResponse> get(const std::string& path) const;
  Result<ApiResponse> post(const std::string& path, const nlohmann::json& body) const;
  Result<ApiResponse> post_text(const std::string& path, const std::string& text) const;
  // GET `path` into `fd` as it arrives (never whole in memory): the bytes written, or the
  // node's error answer (status >= 400) in `error`.
  Result<std::uint64_t> download(const std::string& path, int fd, ApiResponse* error) const;
  const std::string& base_url() const { return base_url_; }
  const std::string& token() const { return token_; }
  // Where the token came from, or why there is none ("no token: ..."), for a 401.
  const std::string& token_note() const { return token_note_; }

 private:
  std::string base_url_;
  std::string token_;
  std::string token_note_;
};

}  // namespace casesync
