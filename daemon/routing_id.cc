#include "daemon/routing_id.h"

#include <cstdio>

#include "common/bytes.h"
#include "crypto/crypto.h"

namespace casesync {

namespace {
constexpr std::size_t kSerialHexChars = 16;
constexpr std::size_t kTagBytes = 8;  // 64 bits: a guess succeeds once in 2^64 tries
constexpr std::size_t kTagHexChars = 2 * kTagBytes;
constexpr std::size_t kSuffixChars = 1 + kSerialHexChars + 1 + kTagHexChars;  // "#serial.tag"
// What a ROUTER generates for a client that claims no id: a zero byte, then a 32-bit counter
// (libzmq router.cpp, identify_peer). A zero byte never starts an id assigned here.
constexpr std::size_t kGeneratedIdBytes = 5;

std::string serial_hex(std::uint64_t serial) {
  char buf[kSerialHexChars + 1];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(serial));
  return buf;
}

std::optional<std::uint64_t> parse_serial(std::string_view hex) {
  if (hex.size() != kSerialHexChars) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : hex) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return v;
}
}  // namespace

RoutingIds::RoutingIds(std::string mac_key) : mac_key_(std::move(mac_key)) {}

std::string RoutingIds::tag(std::string_view node_and_serial) const {
  const Hash32 mac = crypto::keyed_hash(mac_key_, node_and_serial);
  return to_hex(std::string_view(reinterpret_cast<const char*>(mac.data()), kTagBytes));
}

std::string RoutingIds::assign(std::string_view node) {
  std::string id = std::string(node) + "#" + serial_hex(next_serial_++);
  id += "." + tag(id);
  return id;
}

std::optional<RoutingIds::Assigned> RoutingIds::check(std::string_view routing_id) const {
  const std::size_t hash_at = routing_id.find('#');
  if (hash_at == 0 || hash_at == std::string_view::npos) return std::nullopt;
  if (routing_id.size() - hash_at != kSuffixChars) return std::nullopt;
  const std::string_view signed_part = routing_id.substr(0, hash_at + 1 + kSerialHexChars);
  if (routing_id[signed_part.size()] != '.') return std::nullopt;
  const auto serial = parse_serial(signed_part.substr(hash_at + 1));
  if (!serial) return std::nullopt;
  if (routing_id.substr(signed_part.size() + 1) != tag(signed_part)) return std::nullopt;
  return Assigned{std::string(routing_id.substr(0, hash_at)), *serial};
}

bool RoutingIds::generated_by_router(std::string_view routing_id) {
  return routing_id.size() == kGeneratedIdBytes && routing_id.front() == '\0';
}

std::optional<RoutingIds::Assigned> RoutingIds::connection(std::string_view routing_id,
                                                           std::string_view zap_identity,
                                                           std::string_view user) const {
  auto assigned = check(zap_identity);
  if (!assigned || user.empty() || assigned->node != user) return std::nullopt;
  if (routing_id != zap_identity && !generated_by_router(routing_id)) return std::nullopt;
  return assigned;
}

}  // namespace casesync
