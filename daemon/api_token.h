// An API token: "csk_<clerk id>_<48 hex>". The clerk id in the clear lets the node find the one
// stored hash to check (an unknown or disabled id fails at once, without hashing); the 24 random
// bytes (192 bits) are the secret. Pure functions, unit-tested in api_auth_test.cc.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace casesync {

inline constexpr std::string_view kTokenPrefix = "csk_";
inline constexpr std::size_t kTokenSecretHexChars = 48;  // 24 random bytes
// Longer than any token this node issues; a header value beyond it is not a token.
inline constexpr std::size_t kTokenBytesMax = 128;

// A fresh token for `clerk_id` (REQUIRES: valid_clerk_id).
std::string new_token(const std::string& clerk_id);
// The clerk id a token names, or nullopt when it is not of the form above.
std::optional<std::string> token_clerk_id(std::string_view token);
// The token in "Authorization: Bearer TOKEN" ("" when the header is absent; nullopt when it is
// present but not a bearer token).
std::optional<std::string> bearer_token(std::string_view authorization_header);

}  // namespace casesync
