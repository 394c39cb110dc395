#include "daemon/transport.h"

#include <zmq.h>

#include "daemon/log.h"
#include "sync/limits.h"

namespace casesync {

namespace {
// Frames queued per peer before sends report kQueueFull; with the protocol's window of a few
// batches, reaching it means the peer is not reading.
constexpr int kHighWaterMarkFrames = 1000;
constexpr int kReconnectIntervalMs = 100;
constexpr int kReconnectIntervalMaxMs = 5000;
constexpr int kMessagesPerWakeMax = 256;  // bound per socket per loop turn: no peer starves others
}  // namespace

Transport::Transport(zmq::context_t* context, TransportOptions options)
    : context_(context), options_(std::move(options)) {}

void Transport::apply_common_options(zmq::socket_t& s) {
  s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(limits::kFrameBytesMax));
  s.set(zmq::sockopt::sndhwm, kHighWaterMarkFrames);
  s.set(zmq::sockopt::rcvhwm, kHighWaterMarkFrames);
  s.set(zmq::sockopt::linger, 0);
  // ZeroMQ's own heartbeats notice a dead TCP connection even when the protocol is idle.
  s.set(zmq::sockopt::heartbeat_ivl, static_cast<int>(options_.limits.heartbeat_interval_ms));
  s.set(zmq::sockopt::heartbeat_timeout, static_cast<int>(options_.limits.peer_timeout_ms));
}

void Transport::set_allowed_clients(std::map<std::string, std::string> keys) {
  allowed_clients_ = std::move(keys);
}

Status Transport::start() {
  try {
    if (!options_.listen_endpoint.empty()) {
      // The ZAP handler must be bound before the ROUTER so no handshake slips past it.
      zap_.emplace(*context_, zmq::socket_type::router);
      zap_->set(zmq::sockopt::linger, 0);
      zap_->bind("inproc://zeromq.zap.01");
      router_.emplace(*context_, zmq::socket_type::router);
      apply_common_options(*router_);
      router_->set(zmq::sockopt::curve_server, 1);
      router_->set(zmq::sockopt::curve_secretkey, zmq::const_buffer(options_.curve_secret.data(), options_.curve_secret.size()));
      router_->set(zmq::sockopt::zap_domain, kZapDomain);
      std::string mon = "inproc://router-monitor-" + options_.self_id;
      if (zmq_socket_monitor(router_->handle(), mon.c_str(),
                             ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0) {
        return Status::error(Code::kInternal, "zmq_socket_monitor on the ROUTER failed");
      }
      router_monitor_.emplace(*context_, zmq::socket_type::pair);
      router_monitor_->connect(mon);
      router_->set(zmq::sockopt::router_mandatory, 1);
      // A child restarted after kill -9 reconnects with the same id before the old TCP
      // connection times out; handover lets the new connection take the id.
      router_->set(zmq::sockopt::router_handover, 1);
      router_->bind(options_.listen_endpoint);
    }
    if (!options_.parent_endpoint.empty()) {
      dealer_.emplace(*context_, zmq::socket_type::dealer);
      apply_common_options(*dealer_);
      dealer_->set(zmq::sockopt::routing_id, options_.self_id);
      dealer_->set(zmq::sockopt::curve_serverkey, zmq::const_buffer(options_.parent_curve_public.data(), options_.parent_curve_public.size()));
      dealer_->set(zmq::sockopt::curve_publickey, zmq::const_buffer(options_.curve_public.data(), options_.curve_public.size()));
      dealer_->set(zmq::sockopt::curve_secretkey, zmq::const_buffer(options_.curve_secret.data(), options_.curve_secret.size()));
      dealer_->set(zmq::sockopt::immediate, 1);  // queue nothing on a connection not yet up
      dealer_->set(zmq::sockopt::reconnect_ivl, kReconnectIntervalMs);
      dealer_->set(zmq::sockopt::reconnect_ivl_max, kReconnectIntervalMaxMs);
      std::string monitor_addr = "inproc://monitor-" + options_.self_id;
      if (zmq_socket_monitor(dealer_->handle(), monitor_addr.c_str(),
                             ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) != 0) {
        return Status::error(Code::kInternal, "zmq_socket_monitor failed");
      }
      monitor_.emplace(*context_, zmq::socket_type::pair);
      monitor_->connect(monitor_addr);
      dealer_->connect(options_.parent_endpoint);
    }
  } catch (const zmq::error_t& e) {
    return Status::error(Code::kUnavailable,
                         std::string("cannot open ") +
                             (router_ && !dealer_ ? options_.listen_endpoint
                                                  : options_.parent_endpoint) +
                             ": " + e.what() + " (is another node already using the port?)");
  }
  return Status::ok();
}

void Transport::add_poll_items(std::vector<zmq::pollitem_t>* items) {
  // Absent sockets keep their slot (events = 0) so handle() finds each socket at a fixed index.
  auto item = [](std::optional<zmq::socket_t>& s) {
    return zmq::pollitem_t{s ? s->handle() : nullptr, 0,
                           static_cast<short>(s ? ZMQ_POLLIN : 0), 0};
  };
  items->push_back(item(router_));
  items->push_back(item(dealer_));
  items->push_back(item(monitor_));
  items->push_back(item(zap_));
  items->push_back(item(router_monitor_));
}

void Transport::handle(const std::vector<zmq::pollitem_t>& items, std::size_t first,
                       const Handlers& h) {
  if (router_ && (items[first].revents & ZMQ_POLLIN)) drain_router(h);
  if (dealer_ && (items[first + 1].revents & ZMQ_POLLIN)) drain_dealer(h);
  if (monitor_ && (items[first + 2].revents & ZMQ_POLLIN)) drain_monitor(h);
  if (zap_ && (items[first + 3].revents & ZMQ_POLLIN)) drain_zap();
  if (router_monitor_ && (items[first + 4].revents & ZMQ_POLLIN)) drain_router_monitor();
}

// ZAP (RFC 27): [id, "", version, request_id, domain, address, identity, mechanism, key...].
// Only CURVE with a rostered, non-revoked key is admitted; the reply's user id is the node id,
// which every message then carries as its "User-Id" property.
void Transport::drain_zap() {
  for (int i = 0; i < kMessagesPerWakeMax; ++i) {
    std::vector<zmq::message_t> req;
    zmq::message_t part;
    if (!zap_->recv(part, zmq::recv_flags::dontwait)) return;
    bool more = part.more();
    req.push_back(std::move(part));
    while (more) {
      zmq::message_t p;
      if (!zap_->recv(p, zmq::recv_flags::dontwait)) break;
      more = p.more();
      req.push_back(std::move(p));
    }
    if (req.size() < 9) continue;
    std::string node;
    const bool curve = req[7].to_string() == "CURVE" && req[4].to_string() == kZapDomain;
    if (curve) {
      auto it = allowed_clients_.find(req[8].to_string());
      if (it != allowed_clients_.end()) node = it->second;
    }
    if (node.empty()) counters_.auth_denied++;
    const std::string code = node.empty() ? "400" : "200";
    const std::string text = node.empty() ? "key not in the roster or revoked" : "OK";
    zap_->send(req[0], zmq::send_flags::sndmore);
    zap_->send(zmq::str_buffer(""), zmq::send_flags::sndmore);
    zap_->send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
    zap_->send(req[3], zmq::send_flags::sndmore);
    zap_->send(zmq::buffer(code), zmq::send_flags::sndmore);
    zap_->send(zmq::buffer(text), zmq::send_flags::sndmore);
    zap_->send(zmq::buffer(node), zmq::send_flags::sndmore);
    zap_->send(zmq::str_buffer(""), zmq::send_flags::none);
  }
}

void Transport::drain_router_monitor() {
  for (;;) {
    zmq::message_t event_msg;
    if (!router_monitor_->recv(event_msg, zmq::recv_flags::dontwait)) return;
    zmq::message_t addr;
    if (event_msg.more()) (void)router_monitor_->recv(addr, zmq::recv_flags::dontwait);
    counters_.handshake_failures++;
  }
}

void Transport::drain_router(const Handlers& h) {
  for (int i = 0; i < kMessagesPerWakeMax; ++i) {
    // A ROUTER message is [peer id][frame]; anything else is a broken or hostile client.
    zmq::message_t id;
    if (!router_->recv(id, zmq::recv_flags::dontwait)) return;
    std::vector<zmq::message_t> parts;
    bool more = id.more();
    while (more) {
      zmq::message_t part;
      if (!router_->recv(part, zmq::recv_flags::dontwait)) break;
      more = part.more();
      parts.push_back(std::move(part));
    }
    if (parts.size() != 1) {
      counters_.frames_with_bad_envelope++;
      continue;
    }
    // The routing id is chosen by the client; the authenticated node is what ZAP said. A
    // rostered node must not speak under another node's id.
    const char* user = parts[0].gets("User-Id");
    if (user == nullptr || id.to_string() != user) {
      counters_.identity_mismatch++;
      continue;
    }
    h.on_frame(id.to_string(), parts[0].to_string());
  }
}

void Transport::drain_dealer(const Handlers& h) {
  for (int i = 0; i < kMessagesPerWakeMax; ++i) {
    zmq::message_t msg;
    auto got = dealer_->recv(msg, zmq::recv_flags::dontwait);
    if (!got) return;
    if (msg.more()) {
      // A parent sends single frames; swallow the rest of an odd multipart message.
      counters_.frames_with_bad_envelope++;
      while (msg.more() && dealer_->recv(msg, zmq::recv_flags::dontwait)) {
      }
      continue;
    }
    h.on_frame(options_.parent_id, msg.to_string());
  }
}

void Transport::drain_monitor(const Handlers& h) {
  for (;;) {
    zmq::message_t event_msg;
    if (!monitor_->recv(event_msg, zmq::recv_flags::dontwait)) return;
    zmq::message_t addr_msg;
    if (event_msg.more()) (void)monitor_->recv(addr_msg, zmq::recv_flags::dontwait);
    if (event_msg.size() < sizeof(std::uint16_t)) continue;
    std::uint16_t event = 0;
    std::memcpy(&event, event_msg.data(), sizeof(event));
    // Handshake, not TCP connect: only then does a send reach the parent instead of being
    // refused by ZMQ_IMMEDIATE, so the first Hello is not lost.
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      parent_connected_ = true;
      h.on_link_up(options_.parent_id);
    } else if (event == ZMQ_EVENT_DISCONNECTED) {
      parent_connected_ = false;
      h.on_link_down(options_.parent_id);
    }
  }
}

SendOutcome Transport::send(const std::string& peer, const std::string& frame) {
  try {
    if (peer == options_.parent_id && dealer_) {
      auto sent = dealer_->send(zmq::buffer(frame), zmq::send_flags::dontwait);
      if (!sent) {
        counters_.frames_dropped_queue_full++;
        return SendOutcome::kQueueFull;
      }
      return SendOutcome::kSent;
    }
    if (!router_) return SendOutcome::kPeerGone;
    auto first = router_->send(zmq::buffer(peer), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    if (!first) {
      counters_.frames_dropped_queue_full++;
      return SendOutcome::kQueueFull;
    }
    (void)router_->send(zmq::buffer(frame), zmq::send_flags::dontwait);
    return SendOutcome::kSent;
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) {
      counters_.sends_peer_gone++;
      return SendOutcome::kPeerGone;
    }
    log_warning(std::string("send to ") + peer + " failed: " + e.what());
    return SendOutcome::kPeerGone;
  }
}

void Transport::close() {
  // Order matters: libzmq sends monitor events with a blocking send while holding the socket's
  // lock, so the monitor must be stopped while our end of its pipe is still open to receive;
  // closing our end first deadlocks a late disconnect event against the stop.
  if (dealer_) {
    zmq_socket_monitor(dealer_->handle(), nullptr, 0);
    dealer_->close();
  }
  if (monitor_) monitor_->close();
  if (router_) {
    zmq_socket_monitor(router_->handle(), nullptr, 0);
    router_->close();
  }
  if (router_monitor_) router_monitor_->close();
  if (zap_) zap_->close();
}

}  // namespace casesync
