// The fingerprint of a frame for the trace hash: every byte as it goes on the wire, signatures,
// event hashes and zstd output included. Keys are derived from the seed (topology.h), so these
// bytes are the same in every process; they depend on the commit and on libzstd's version.
#pragma once

#include <cstdint>
#include <string_view>

namespace casesync::sim {

std::uint64_t frame_digest(std::string_view frame);

}  // namespace casesync::sim
