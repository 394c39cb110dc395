// The key-independent fingerprint of a frame, for the trace hash: everything but signatures.
// Batches are decoded and their events' signed bytes (which name no key) are mixed in; other
// messages carry no key material and are mixed in whole.
#pragma once

#include <cstdint>
#include <string_view>

namespace casesync::sim {

// REQUIRES: `frame` is a frame as the core produced it (not corrupted by the simulator).
std::uint64_t frame_digest(std::string_view frame);

}  // namespace casesync::sim
