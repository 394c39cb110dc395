#include "tests/peer_session.h"

#include <zmq.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <variant>

#include "sync/hlc.h"

namespace casesync {

namespace {
constexpr long kPollSliceMs = 50;  // how often a wait checks its deadline
constexpr auto kPollSlice = std::chrono::milliseconds(kPollSliceMs);
}  // namespace

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

PeerSession::PeerSession(zmq::context_t& ctx, int linger_ms)
    : dealer_(ctx, zmq::socket_type::dealer), monitor_(ctx, zmq::socket_type::pair) {
  dealer_.set(zmq::sockopt::linger, linger_ms);
  // One monitor address per session: a tool may open several in one context.
  static std::atomic<int> sessions{0};
  const std::string mon = "inproc://peer-session-monitor-" + std::to_string(sessions++);
  if (zmq_socket_monitor(dealer_.handle(), mon.c_str(), ZMQ_EVENT_ALL) != 0) {
    throw zmq::error_t();
  }
  monitor_.connect(mon);
}

PeerSession::~PeerSession() { zmq_socket_monitor(dealer_.handle(), nullptr, 0); }

void PeerSession::curve(const std::string& server_sign_public, const std::string& sign_public,
                        const crypto::SecretKey& secret) {
  const std::string server = crypto::curve_public_from_sign_public(server_sign_public);
  const std::string pub = crypto::curve_public_from_sign_public(sign_public);
  const std::string sec = crypto::curve_secret_from_sign_secret(secret);
  dealer_.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(server.data(), server.size()));
  dealer_.set(zmq::sockopt::curve_publickey, zmq::const_buffer(pub.data(), pub.size()));
  dealer_.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(sec.data(), sec.size()));
}

void PeerSession::claim_routing_id(const std::string& routing_id) {
  dealer_.set(zmq::sockopt::routing_id, routing_id);
}

void PeerSession::connect(const std::string& endpoint) { dealer_.connect(endpoint); }

std::uint16_t next_monitor_event(zmq::socket_t& monitor, long timeout_ms) {
  zmq::pollitem_t item{monitor.handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms));
  if (!(item.revents & ZMQ_POLLIN)) return 0;
  zmq::message_t event, address;
  if (!monitor.recv(event, zmq::recv_flags::dontwait)) return 0;
  if (event.more()) (void)monitor.recv(address);
  std::uint16_t id = 0;
  if (event.size() >= sizeof(id)) std::memcpy(&id, event.data(), sizeof(id));
  return id;
}

std::uint16_t PeerSession::await_event(int wanted, long timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::uint16_t id = next_monitor_event(monitor_, kPollSliceMs);
    if (id & wanted) return id;
  }
  return 0;
}

Handshake PeerSession::await_handshake(long timeout_ms) {
  const std::uint16_t ev =
      await_event(kHandshakeFailedEvents | ZMQ_EVENT_HANDSHAKE_SUCCEEDED, timeout_ms);
  if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) return Handshake::kSucceeded;
  return ev != 0 ? Handshake::kRefused : Handshake::kTimedOut;
}

bool PeerSession::await_message(long timeout_ms, const std::function<bool(const Message&)>& want) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    zmq::pollitem_t item{dealer_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, kPollSlice);
    if (!(item.revents & ZMQ_POLLIN)) continue;
    zmq::message_t frame;
    if (!dealer_.recv(frame)) continue;
    auto m = decode_message(frame.to_string_view());
    if (m.is_ok() && want(*m)) return true;
  }
  return false;
}

void PeerSession::send(const std::string& frame) { dealer_.send(zmq::buffer(frame)); }

bool PeerSession::try_send(const std::string& frame) {
  return dealer_.send(zmq::buffer(frame), zmq::send_flags::dontwait).has_value();
}

Result<HelloMsg> exchange_hello(PeerSession& session, HelloMsg hello, long timeout_ms) {
  hello.wall_ms = wall_ms();
  hello.hlc = HybridClock::pack(hello.wall_ms, 0);
  session.send(encode_message(hello));
  HelloMsg answer;
  const bool answered = session.await_message(timeout_ms, [&](const Message& m) {
    auto* reply = std::get_if<HelloMsg>(&m);
    if (reply) answer = *reply;
    return reply != nullptr;
  });
  if (!answered) return Status::error(Code::kUnavailable, "the parent never answered our Hello");
  return answer;
}

Result<std::uint64_t> say_hello(PeerSession& session, HelloMsg hello, long timeout_ms) {
  ASSIGN_OR_RETURN(HelloMsg answer, exchange_hello(session, std::move(hello), timeout_ms));
  return answer.applied_pos;
}

}  // namespace casesync
