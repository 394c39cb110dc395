// The roster as the root of trust issues it: the roster file's exact bytes, its version, and the
// district root key's Ed25519 signature over kRosterDomain || version (8 bytes LE) || bytes.
// On disk: roster.toml and roster.toml.sig (hex signature). Every node pins the root public key
// in its config ([trust] root_public_key) and refuses a roster the pinned root did not sign, or
// one older than the roster it already has.
#pragma once

#include <cstdint>
#include <string>

#include "common/roster.h"
#include "common/status.h"
#include "crypto/crypto.h"

namespace casesync {

struct SignedRoster {
  std::uint64_t version = 0;
  std::string text;       // the roster file's bytes
  std::string signature;  // raw 64 bytes
};

std::string sign_roster(const crypto::SecretKey& root, std::uint64_t version, const std::string& text);
bool verify_roster(std::string_view root_public_key, const SignedRoster& s);

// Verifies, then parses, then checks the parsed version equals the signed one.
Result<Roster> open_roster(std::string_view root_public_key, const SignedRoster& s,
                           const std::string& source_name);

// Reads PATH and PATH.sig. kPermission when the signature does not verify with the pinned key.
Result<SignedRoster> read_signed_roster(const std::string& path, std::string_view root_public_key);
// Renders, signs and writes PATH and PATH.sig (each atomically: temp file + rename).
Result<SignedRoster> write_signed_roster(const std::string& path, const Roster& roster,
                                         const crypto::SecretKey& root);

}  // namespace casesync
