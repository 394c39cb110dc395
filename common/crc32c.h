// CRC-32C (Castagnoli), the checksum every casesync frame carries. CurveZMQ's MAC already
// protects frames on the wire; this one catches what it cannot see — a bit flipped in memory or
// by a buggy proxy before encryption — so a damaged position in an Ack or a Batch header is
// refused instead of believed (a believed position trims outbox entries that were never sent).
#pragma once

#include <cstdint>
#include <string_view>

namespace casesync {

std::uint32_t crc32c(std::string_view bytes, std::uint32_t crc = 0);

}  // namespace casesync
