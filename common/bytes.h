// Byte helpers shared by every layer: fixed-size hashes and hex text for logs, files and JSON.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace casesync {

// BLAKE2b-256 of an event's signed bytes: the name of an event in parents and receipts.
using Hash32 = std::array<std::uint8_t, 32>;

std::string to_hex(std::string_view bytes);
std::string to_hex(const Hash32& hash);
// Returns nullopt when `text` is not even-length lowercase/uppercase hex.
std::optional<std::string> from_hex(std::string_view text);
std::optional<Hash32> hash_from_hex(std::string_view text);
std::string_view as_view(const Hash32& hash);

}  // namespace casesync
