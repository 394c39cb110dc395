#include "bench/zmq_limits.h"

#include <atomic>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "bench/rate.h"

namespace casesync::bench {

namespace {

constexpr int kWarmupMessages = 10000;
// The sender wakes this often to see whether the receiver has finished.
constexpr int kSendTimeoutMs = 100;
// A receive this late means the sender died; the probe fails instead of hanging.
constexpr int kReceiveTimeoutMs = 5000;

// Sends `message_bytes`-byte messages until `stop` is set. Owns its socket (one thread, one
// socket); a send that times out only means the receiver stopped reading.
void send_until_stopped(zmq::context_t& ctx, const std::string& endpoint, std::size_t message_bytes,
                        const std::atomic<bool>& stop) {
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::routing_id, "bench-dealer");
  dealer.set(zmq::sockopt::sndtimeo, kSendTimeoutMs);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(endpoint);
  const std::string payload(message_bytes, 'm');
  while (!stop.load(std::memory_order_relaxed)) {
    (void)dealer.send(zmq::buffer(payload), zmq::send_flags::none);
  }
}

void send_until_stopped_or_failed(zmq::context_t& ctx, const std::string& endpoint,
                                  std::size_t message_bytes, const std::atomic<bool>& stop) {
  try {
    send_until_stopped(ctx, endpoint, message_bytes, stop);
  } catch (const zmq::error_t&) {
    // The receiver times out and reports the failure.
  }
}

// Receives one message (routing id + payload) from the ROUTER; false on a timeout.
bool receive_one(zmq::socket_t& router) {
  zmq::message_t id;
  zmq::message_t payload;
  return router.recv(id, zmq::recv_flags::none).has_value() &&
         router.recv(payload, zmq::recv_flags::none).has_value();
}

}  // namespace

Result<ZmqLimits> measure_zmq(std::size_t message_bytes, std::chrono::milliseconds duration) {
  try {
    zmq::context_t ctx(1);
    zmq::socket_t router(ctx, zmq::socket_type::router);
    router.set(zmq::sockopt::linger, 0);
    router.set(zmq::sockopt::rcvtimeo, kReceiveTimeoutMs);
    router.bind("tcp://127.0.0.1:*");
    const std::string endpoint = router.get(zmq::sockopt::last_endpoint);
    std::atomic<bool> stop{false};
    std::thread sender(send_until_stopped_or_failed, std::ref(ctx), endpoint, message_bytes,
                       std::cref(stop));
    bool all_received = true;
    const Rate rate = measure_rate(duration, 1, kWarmupMessages, [&] {
      if (all_received) all_received = receive_one(router);
    });
    stop.store(true);
    sender.join();
    if (!all_received) {
      return Status::error(Code::kUnavailable, "zeromq loopback: no message for " +
                                                   std::to_string(kReceiveTimeoutMs) +
                                                   " ms; the sending thread failed");
    }
    ZmqLimits out;
    out.message_bytes = message_bytes;
    out.msgs_per_s = rate.per_s();
    out.mib_per_s = out.msgs_per_s * static_cast<double>(message_bytes) / (1024.0 * 1024.0);
    return out;
  } catch (const zmq::error_t& e) {
    return Status::error(Code::kUnavailable, std::string("zeromq loopback: ") + e.what());
  }
}

}  // namespace casesync::bench
