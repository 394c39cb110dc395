// The machine's ZeroMQ loopback limit: messages per second from a DEALER to a ROUTER over
// tcp://127.0.0.1 — the socket pair and transport the daemons use — one thread per socket.
#pragma once

#include <chrono>
#include <cstddef>

#include "common/status.h"

namespace casesync::bench {

struct ZmqLimits {
  double msgs_per_s = 0;
  double mib_per_s = 0;
  std::size_t message_bytes = 0;
};

Result<ZmqLimits> measure_zmq(std::size_t message_bytes, std::chrono::milliseconds duration);

}  // namespace casesync::bench
