#include "daemon/connection_ledger.h"

#include <algorithm>

namespace casesync {

const char* connection_end_name(ConnectionEnd end) {
  switch (end) {
    case ConnectionEnd::kNotZmtp: return "not_zmtp";
    case ConnectionEnd::kProtocolError: return "protocol_error";
    case ConnectionEnd::kAuthRefused: return "auth_refused";
    case ConnectionEnd::kHandshakeIncomplete: return "handshake_incomplete";
    case ConnectionEnd::kNoFrameAfterHandshake: return "no_frame_after_handshake";
    case ConnectionEnd::kClosedAfterFrames: return "closed_after_frames";
  }
  return "unknown";
}

namespace {
ConnectionEnd end_of(HandshakeFailure failure) {
  switch (failure) {
    case HandshakeFailure::kProtocol: return ConnectionEnd::kProtocolError;
    case HandshakeFailure::kAuth: return ConnectionEnd::kAuthRefused;
    case HandshakeFailure::kNoDetail: return ConnectionEnd::kHandshakeIncomplete;
  }
  return ConnectionEnd::kHandshakeIncomplete;
}
}  // namespace

void ConnectionLedger::accepted(int fd) {
  // libzmq reuses an fd number only after that connection ended, so an entry still here is one
  // whose end we never saw; the new connection replaces it.
  open_[fd] = Open{next_order_++, false};
}

void ConnectionLedger::handshake_succeeded() {
  // A success read after its connection's first frame has been claimed already.
  unclaimed_successes_ = std::min<std::uint64_t>(unclaimed_successes_ + 1, silent_open());
}

void ConnectionLedger::handshake_failed(HandshakeFailure failure) { failing_ = failure; }

void ConnectionLedger::frame_from(int fd) {
  auto it = open_.find(fd);
  if (it == open_.end() || it->second.spoke) return;
  it->second.spoke = true;
  if (unclaimed_successes_ > 0) unclaimed_successes_--;
}

ConnectionEnd ConnectionLedger::disconnected(int fd) {
  auto it = open_.find(fd);
  const Open c = it != open_.end() ? it->second : Open{next_order_, false};
  ConnectionEnd end = ConnectionEnd::kNotZmtp;
  if (failing_) {
    end = end_of(*failing_);
    failing_.reset();
  } else if (c.spoke) {
    end = ConnectionEnd::kClosedAfterFrames;
  } else if (assumed_handshaken(c)) {
    end = ConnectionEnd::kNoFrameAfterHandshake;
    unclaimed_successes_--;
  }
  if (it != open_.end()) open_.erase(it);
  unclaimed_successes_ = std::min<std::uint64_t>(unclaimed_successes_, silent_open());
  counts_[static_cast<std::size_t>(end)]++;
  return end;
}

std::size_t ConnectionLedger::silent_open() const {
  return static_cast<std::size_t>(
      std::count_if(open_.begin(), open_.end(), [](const auto& e) { return !e.second.spoke; }));
}

// The unclaimed successes belong to the oldest silent connections: handshakes mostly finish in
// the order their connections were accepted.
bool ConnectionLedger::assumed_handshaken(const Open& c) const {
  const auto older = std::count_if(open_.begin(), open_.end(), [&](const auto& e) {
    return !e.second.spoke && e.second.order < c.order;
  });
  return static_cast<std::uint64_t>(older) < unclaimed_successes_;
}

}  // namespace casesync
