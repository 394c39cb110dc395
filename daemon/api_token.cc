#include "daemon/api_token.h"

#include "common/bytes.h"
#include "crypto/crypto.h"
#include "sync/actor.h"

namespace casesync {

std::string new_token(const std::string& clerk_id) {
  return std::string(kTokenPrefix) + clerk_id + "_" +
         to_hex(crypto::random_bytes(kTokenSecretHexChars / 2));
}

std::optional<std::string> token_clerk_id(std::string_view token) {
  if (token.size() > kTokenBytesMax || token.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return std::nullopt;
  }
  const std::string_view rest = token.substr(kTokenPrefix.size());
  const std::size_t sep = rest.rfind('_');
  if (sep == std::string_view::npos) return std::nullopt;
  const std::string_view id = rest.substr(0, sep);
  const std::string_view secret = rest.substr(sep + 1);
  if (!valid_clerk_id(id) || secret.size() != kTokenSecretHexChars) return std::nullopt;
  for (char c : secret) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return std::string(id);
}

std::optional<std::string> bearer_token(std::string_view header) {
  if (header.empty()) return std::string();
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() <= kScheme.size() || header.substr(0, kScheme.size()) != kScheme) {
    return std::nullopt;
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

}  // namespace casesync
