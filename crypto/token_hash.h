// API tokens at rest: a clerk's token is stored only as an Argon2id password hash
// (libsodium's crypto_pwhash_str, "$argon2id$v=19$m=...,t=...,p=1$salt$hash"), checked with
// crypto_pwhash_str_verify, whose time does not depend on how much of a guess is right.
//
// The hash is deliberately slow and memory-hungry (interactive limits: 64 MiB, ~0.1-0.3 s), so a
// stolen clerks file gives nothing to test guesses against quickly. It must therefore never run
// on the event loop, nor for every request: daemon/token_verifier.h bounds how many run at once
// and remembers tokens it verified.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace casesync::crypto {

// The stored form of `token`. kInternal only when the machine lacks the memory to hash.
Result<std::string> hash_token(std::string_view token);
// True when `stored` is hash_token() of `token`. False for a malformed `stored`.
bool token_matches(const std::string& stored, std::string_view token);
// True when `stored` looks like a hash this version writes (for checking a clerks file on load).
bool is_token_hash(const std::string& stored);

}  // namespace casesync::crypto
