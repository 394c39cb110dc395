#include "crypto/token_hash.h"

#include <sodium.h>

#include <array>

namespace casesync::crypto {

Result<std::string> hash_token(std::string_view token) {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), token.data(), token.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Status::error(Code::kInternal,
                         "cannot hash a token: Argon2id needs 64 MiB of free memory");
  }
  return std::string(out.data());
}

bool token_matches(const std::string& stored, std::string_view token) {
  if (!is_token_hash(stored)) return false;
  return crypto_pwhash_str_verify(stored.c_str(), token.data(), token.size()) == 0;
}

bool is_token_hash(const std::string& stored) {
  return stored.size() < crypto_pwhash_STRBYTES &&
         stored.rfind(crypto_pwhash_argon2id_STRPREFIX, 0) == 0;
}

}  // namespace casesync::crypto
