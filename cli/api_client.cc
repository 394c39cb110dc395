#include "cli/api_client.h"

#include <httplib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>

#include "common/translate.h"
#include "config/node_config.h"

namespace casesync {

namespace {
constexpr int kConnectTimeoutS = 3;
constexpr int kReadTimeoutS = 120;  // bulk writes of 10,000 events take a while on slow disks

Result<ApiResponse> finish(const httplib::Result& r, const std::string& url) {
  if (!r) {
    return Status::error(Code::kUnavailable,
                         "cannot reach the node's API at " + url + " (" +
                             httplib::to_string(r.error()) +
                             "); is casesyncd running? (systemctl status casesyncd)");
  }
  ApiResponse out;
  out.status = r->status;
  try {
    out.body = r->body.empty() ? nlohmann::json() : nlohmann::json::parse(r->body);
  } catch (const nlohmann::json::exception&) {
    out.body = r->body;
  }
  return out;
}

httplib::Client client_for(const std::string& base, const std::string& token) {
  httplib::Client c(base);
  c.set_connection_timeout(kConnectTimeoutS, 0);
  c.set_read_timeout(kReadTimeoutS, 0);
  if (!token.empty()) c.set_bearer_token_auth(token.c_str());
  // The node words its errors and health reasons in the language asked for (issue 17): the
  // CLI's own (LANG / LC_MESSAGES, common/translate.h), so one command never mixes the two.
  c.set_default_headers({{"Accept-Language",
                          current_language() == UiLanguage::kEnglish ? "en" : "zh-CN"}});
  return c;
}

constexpr const char* kDefaultConfig = "/etc/casesync/casesyncd.toml";
constexpr std::size_t kTokenFileBytesMax = 4096;

// The first line of a token file, or why not.
Result<std::string> read_token(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::error(Code::kInvalidArgument,
                         path + ": cannot read the token (" + std::strerror(errno) + ")");
  }
  std::string line;
  std::getline(in, line);
  if (line.size() > kTokenFileBytesMax) line.clear();
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) return Status::error(Code::kInvalidArgument, path + ": holds no token");
  return line;
}

}  // namespace

Result<ApiClient> ApiClient::from_options(const std::string& api_url,
                                          const std::string& config_path,
                                          const std::string& token_file) {
  std::optional<NodeConfig> cfg;
  if (!config_path.empty() || api_url.empty()) {
    // $CASESYNC_CONFIG: a machine whose node config lives elsewhere (a second node, a scratch
    // root) need not repeat --config on every command.
    const char* env = std::getenv("CASESYNC_CONFIG");
    const std::string fallback = env != nullptr && *env != '\0' ? env : kDefaultConfig;
    auto loaded = load_node_config(config_path.empty() ? fallback : config_path);
    if (!loaded.is_ok() && api_url.empty()) {
      return Status::error(loaded.status().code(),
                           "cannot find the node's API address (give --api URL or --config FILE):\n" +
                               loaded.status().message());
    }
    if (loaded.is_ok()) cfg = std::move(*loaded);
  }
  ApiClient client(api_url.empty() ? "http://" + cfg->api_address : api_url);
  if (!token_file.empty()) {
    ASSIGN_OR_RETURN(client.token_, read_token(token_file));
    client.token_note_ = "token from --token-file " + token_file;
  } else if (const char* env = std::getenv("CASESYNC_TOKEN"); env != nullptr && *env != '\0') {
    client.token_ = env;
    client.token_note_ = "token from $CASESYNC_TOKEN";
  } else if (cfg) {
    auto admin = read_token(cfg->api_access.admin_token_file);
    if (admin.is_ok()) client.token_ = std::move(*admin);
    client.token_note_ = admin.is_ok() ? "the admin token " + cfg->api_access.admin_token_file
                                       : "no token: " + admin.status().message() +
                                             "; give --token-file FILE or set CASESYNC_TOKEN";
  } else {
    client.token_note_ = "no token: give --token-file FILE or set CASESYNC_TOKEN (or --config "
                         "FILE to use the node's admin.token)";
  }
  return client;
}

Result<ApiResponse> ApiClient::get(const std::string& path) const {
  auto c = client_for(base_url_, token_);
  return finish(c.Get(path), base_url_ + path);
}

Result<ApiResponse> ApiClient::post(const std::string& path, const nlohmann::json& body) const {
  auto c = client_for(base_url_, token_);
  return finish(c.Post(path, body.dump(), "application/json"), base_url_ + path);
}

Result<ApiResponse> ApiClient::post_text(const std::string& path, const std::string& text) const {
  auto c = client_for(base_url_, token_);
  return finish(c.Post(path, text, "application/x-ndjson"), base_url_ + path);
}

Result<std::uint64_t> ApiClient::download(const std::string& path, int fd,
                                          ApiResponse* error) const {
  auto c = client_for(base_url_, token_);
  std::uint64_t written = 0;
  std::string error_body;
  int status = 0;
  bool write_failed = false;
  auto r = c.Get(
      path,
      [&](const httplib::Response& res) {
        status = res.status;
        return true;
      },
      [&](const char* data, size_t n) {
        if (status >= 400) {
          error_body.append(data, n);
          return error_body.size() < (1u << 20);
        }
        for (size_t done = 0; done < n;) {
          const ssize_t w = ::write(fd, data + done, n - done);
          if (w < 0 && errno == EINTR) continue;
          if (w <= 0) return !(write_failed = true);
          done += static_cast<size_t>(w);
        }
        written += n;
        return true;
      });
  if (write_failed) {
    return Status::error(Code::kIoError, std::string("writing the download: ") + std::strerror(errno));
  }
  if (!r) return finish(r, base_url_ + path).status();
  if (status >= 400) {
    error->status = status;
    try {
      error->body = nlohmann::json::parse(error_body);
    } catch (const nlohmann::json::exception&) {
      error->body = error_body;
    }
  }
  return written;
}

}  // namespace casesync
