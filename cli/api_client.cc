#include "cli/api_client.h"

#include <httplib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

httplib::Client client_for(const std::string& base) {
  httplib::Client c(base);
  c.set_connection_timeout(kConnectTimeoutS, 0);
  c.set_read_timeout(kReadTimeoutS, 0);
  return c;
}
}  // namespace

Result<ApiClient> ApiClient::from_options(const std::string& api_url,
                                          const std::string& config_path) {
  if (!api_url.empty()) return ApiClient(api_url);
  std::string path = config_path.empty() ? "/etc/casesync/casesyncd.toml" : config_path;
  auto cfg = load_node_config(path);
  if (!cfg.is_ok()) {
    return Status::error(cfg.status().code(),
                         "cannot find the node's API address (give --api URL or --config FILE):\n" +
                             cfg.status().message());
  }
  return ApiClient("http://" + cfg->api_address);
}

Result<ApiResponse> ApiClient::get(const std::string& path) const {
  auto c = client_for(base_url_);
  return finish(c.Get(path), base_url_ + path);
}

Result<ApiResponse> ApiClient::post(const std::string& path, const nlohmann::json& body) const {
  auto c = client_for(base_url_);
  return finish(c.Post(path, body.dump(), "application/json"), base_url_ + path);
}

Result<ApiResponse> ApiClient::post_text(const std::string& path, const std::string& text) const {
  auto c = client_for(base_url_);
  return finish(c.Post(path, text, "application/x-ndjson"), base_url_ + path);
}

Result<std::uint64_t> ApiClient::download(const std::string& path, int fd,
                                          ApiResponse* error) const {
  auto c = client_for(base_url_);
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
