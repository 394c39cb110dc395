#include "config/api_config.h"

#include <string>

namespace casesync {
namespace {

constexpr std::uint64_t kSecondMs = 1000;
constexpr std::uint64_t kBodyBytesMin = 64u << 10;
// The validation layer's bulk limit (daemon/api_request.h, kBulkBodyBytesMax) is this bound.
constexpr std::uint64_t kBodyBytesMax = 64u << 20;
constexpr std::uint64_t kConnectionsMin = 16;
constexpr std::uint64_t kConnectionsMax = 65536;

std::optional<std::uint64_t> count(TableReader& r, std::string_view key, std::uint64_t min,
                                   std::uint64_t max) {
  auto v = r.integer(key, Presence::kOptional);
  if (!v) return std::nullopt;
  if (*v < 0 || static_cast<std::uint64_t>(*v) < min || static_cast<std::uint64_t>(*v) > max) {
    r.error(key, std::to_string(*v) + " is out of range (" + std::to_string(min) + ".." +
                     std::to_string(max) + ")");
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(*v);
}

}  // namespace

void read_api_limits(TableReader& api, ApiLimits& limits) {
  if (auto v = count(api, "max_body_bytes", kBodyBytesMin, kBodyBytesMax)) limits.max_body_bytes = *v;
  if (auto v = duration(api, "read_timeout", kSecondMs, 600 * kSecondMs)) limits.read_timeout_ms = *v;
  if (auto v = duration(api, "write_timeout", kSecondMs, 600 * kSecondMs)) limits.write_timeout_ms = *v;
  if (auto v = duration(api, "idle_timeout", kSecondMs, 600 * kSecondMs)) limits.idle_timeout_ms = *v;
  if (auto v = count(api, "max_connections", kConnectionsMin, kConnectionsMax)) {
    limits.max_connections = static_cast<std::uint32_t>(*v);
  }
  if (auto v = count(api, "max_connections_per_client", 1, kConnectionsMax)) {
    limits.max_connections_per_client = static_cast<std::uint32_t>(*v);
  }
  if (limits.max_connections_per_client <= limits.max_connections) return;
  const char* at = api.node("max_connections_per_client") ? "max_connections_per_client"
                                                          : "max_connections";
  api.error(at, "max_connections_per_client (" + std::to_string(limits.max_connections_per_client) +
                    ") must not exceed " + api.full_key("max_connections") + " (" +
                    std::to_string(limits.max_connections) + ")");
}

void read_backup_dir(TableReader& paths, const std::filesystem::path& base_dir,
                     NodeConfig& config) {
  auto value = paths.string("backup_dir", Presence::kOptional);
  if (!value) {
    if (!config.data_dir.empty()) config.backup_dir = config.data_dir + "/backup";
    return;
  }
  if (value->empty()) {
    paths.error("backup_dir", "must not be empty (leave it out for the data folder's backup/)");
    return;
  }
  std::filesystem::path p(*value);
  config.backup_dir = (p.is_absolute() ? p : base_dir / p).lexically_normal().string();
  while (config.backup_dir.size() > 1 && config.backup_dir.back() == '/') config.backup_dir.pop_back();
  if (!config.data_dir.empty() && config.backup_dir == config.data_dir) {
    paths.error("backup_dir", in_quotes(*value) +
                                  " is the data folder itself; use a folder of its own (the "
                                  "default is the data folder's backup/)");
  }
}

}  // namespace casesync
