#include "sim/frame_digest.h"

#include "sim/trace_hash.h"

namespace casesync::sim {

std::uint64_t frame_digest(std::string_view frame) {
  TraceHash h;
  h.mix(frame);
  return h.value();
}

}  // namespace casesync::sim
