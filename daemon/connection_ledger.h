// ConnectionLedger: why each TCP connection to our listening socket ended, told from libzmq's
// socket monitor events. libzmq drops raw garbage and oversize frames itself; this is how they
// become counters. Pure: the transport feeds it events in the order it reads them.
//
// What libzmq 4.3.4 tells us, per connection (checked by experiment; docs/HEALTH.md):
//   ACCEPTED(fd), then one handshake outcome — SUCCEEDED (no fd), or FAILED_PROTOCOL /
//   FAILED_AUTH / FAILED_NO_DETAIL emitted immediately before that connection's
//   DISCONNECTED(fd) — or no outcome at all, then DISCONNECTED(fd).
//   - bytes that are not a ZMTP 3 greeting (raw garbage; ZMTP 1.0/2.0, which ZAP forbids):
//     no outcome event at all;
//   - a frame over ZMQ_MAXMSGSIZE after the handshake: no event either — indistinguishable from
//     the peer closing or timing out. So an oversize FIRST frame shows as a connection that
//     completed its handshake and ended before delivering a frame; a later one is a plain end.
// SUCCEEDED carries no fd, so which connection it belongs to is inferred: a connection is known
// to have completed its handshake once a frame arrives from it (ZMQ_SRCFD); the successes not yet
// claimed that way are assigned to the oldest open connections. That is exact when handshakes do
// not overlap in time; when they do, the split between not_zmtp and no_frame_after_handshake may
// be off, but every ended connection is still counted once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

namespace casesync {

enum class ConnectionEnd {
  kNotZmtp,                // ended without any handshake: its bytes were not ZMTP 3
  kProtocolError,          // a ZMTP/CURVE protocol error (wrong mechanism, bad boxes, bad commands)
  kAuthRefused,            // ZAP refused its key (not rostered, revoked, or banned)
  kHandshakeIncomplete,    // closed or timed out during the handshake
  kNoFrameAfterHandshake,  // handshake done, ended before one frame: e.g. an oversize first frame
  kClosedAfterFrames,      // it had delivered frames (peer left, timeout, later oversize, ban)
};
inline constexpr std::size_t kConnectionEndCount = 6;
inline constexpr ConnectionEnd kConnectionEnds[kConnectionEndCount] = {
    ConnectionEnd::kNotZmtp,
    ConnectionEnd::kProtocolError,
    ConnectionEnd::kAuthRefused,
    ConnectionEnd::kHandshakeIncomplete,
    ConnectionEnd::kNoFrameAfterHandshake,
    ConnectionEnd::kClosedAfterFrames};
// snake_case, as in status JSON and metric labels.
const char* connection_end_name(ConnectionEnd end);

// The failed handshake outcomes, as the monitor names them.
enum class HandshakeFailure { kProtocol, kAuth, kNoDetail };

class ConnectionLedger {
 public:
  void accepted(int fd);
  void handshake_succeeded();
  // The very next disconnected() is that connection's (libzmq emits the two back to back).
  void handshake_failed(HandshakeFailure failure);
  // A frame arrived on `fd` (ZMQ_SRCFD of a received message).
  void frame_from(int fd);
  // Classifies and forgets the connection; counted in count().
  ConnectionEnd disconnected(int fd);

  std::uint64_t count(ConnectionEnd end) const { return counts_[static_cast<std::size_t>(end)]; }
  std::size_t open_connections() const { return open_.size(); }

 private:
  struct Open {
    std::uint64_t order = 0;  // accept order
    bool spoke = false;       // delivered a frame: its handshake certainly succeeded
  };
  std::size_t silent_open() const;
  bool assumed_handshaken(const Open& c) const;

  // By fd, which is unique among open connections; as many as libzmq holds open.
  std::map<int, Open> open_;
  std::uint64_t next_order_ = 0;
  // Successes not yet tied to a connection by a frame; never more than the silent connections,
  // which heals any misattribution as connections end.
  std::uint64_t unclaimed_successes_ = 0;
  std::optional<HandshakeFailure> failing_;
  std::array<std::uint64_t, kConnectionEndCount> counts_{};
};

}  // namespace casesync
