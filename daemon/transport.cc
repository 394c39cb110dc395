#include "daemon/transport.h"

#include <sys/socket.h>
#include <zmq.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "common/duration.h"
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
// Redialling a parent that refused our handshake: first after this, doubling up to the max.
constexpr std::uint64_t kParentRedialPauseMs = 5000;
constexpr std::uint64_t kParentRedialPauseMaxMs = 60000;
static_assert(kParentRedialPauseMs <= kParentRedialPauseMaxMs);

constexpr int kRouterMonitorEvents = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                                     ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                                     ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
constexpr int kDealerMonitorEvents = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                                     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

struct MonitorEvent {
  std::uint16_t id = 0;
  std::uint32_t value = 0;  // the fd, an errno, a protocol error code or a ZAP status
};

// One event from a socket monitor pipe: [id (16 bits), value (32 bits)][endpoint].
std::optional<MonitorEvent> read_monitor_event(zmq::socket_t& monitor) {
  zmq::message_t event_msg;
  if (!monitor.recv(event_msg, zmq::recv_flags::dontwait)) return std::nullopt;
  zmq::message_t addr_msg;
  if (event_msg.more()) (void)monitor.recv(addr_msg, zmq::recv_flags::dontwait);
  MonitorEvent e;
  if (event_msg.size() >= sizeof(e.id) + sizeof(e.value)) {
    std::memcpy(&e.id, event_msg.data(), sizeof(e.id));
    std::memcpy(&e.value, static_cast<const char*>(event_msg.data()) + sizeof(e.id),
                sizeof(e.value));
  }
  return e;
}
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

std::vector<std::string> Transport::set_allowed_clients(std::map<std::string, std::string> keys) {
  std::vector<std::string> lost = zap_.set_allowed(std::move(keys));
  for (const auto& node : lost) counters_.connections_cut_revoked += cut_child(node);
  return lost;
}

void Transport::set_parent_revoked(bool revoked) {
  if (!dealer_ || revoked == parent_revoked_) return;
  parent_revoked_ = revoked;
  if (revoked) {
    if (parent_connected_) counters_.connections_cut_revoked++;
    hang_up_parent();
    parent_redial_pending_ = false;
    parent_redial_at_ms_ = 0;
  } else if (!banned(options_.parent_id)) {
    dial_parent();
  }
}

Status Transport::start() {
  try {
    if (!options_.listen_endpoint.empty()) {
      // The ZAP handler must be bound before the ROUTER so no handshake slips past it.
      zap_.bind(context_);
      router_.emplace(*context_, zmq::socket_type::router);
      apply_common_options(*router_);
      router_->set(zmq::sockopt::curve_server, 1);
      router_->set(zmq::sockopt::curve_secretkey, zmq::const_buffer(options_.curve_secret.data(), options_.curve_secret.size()));
      router_->set(zmq::sockopt::zap_domain, kZapDomain);
      std::string mon = "inproc://router-monitor-" + options_.self_id;
      if (zmq_socket_monitor(router_->handle(), mon.c_str(), kRouterMonitorEvents) != 0) {
        return Status::error(Code::kInternal, "zmq_socket_monitor on the ROUTER failed");
      }
      router_monitor_.emplace(*context_, zmq::socket_type::pair);
      router_monitor_->connect(mon);
      router_->set(zmq::sockopt::router_mandatory, 1);
      // Every handshake gets a fresh id (daemon/routing_id.h), so a child restarted after
      // kill -9 never needs another connection's. An id that collides can only be a claim
      // libzmq kept: it must not take the id from the connection that holds it.
      router_->set(zmq::sockopt::router_handover, 0);
      router_->bind(options_.listen_endpoint);
    }
    if (!options_.parent_endpoint.empty()) {
      dealer_.emplace(*context_, zmq::socket_type::dealer);
      apply_common_options(*dealer_);
      // No routing id of our own: the parent assigns one from our key (daemon/routing_id.h),
      // and a claim would win libzmq's handshake race about half the time on a busy machine,
      // which the parent must refuse because an attacker claims ids too.
      dealer_->set(zmq::sockopt::curve_serverkey, zmq::const_buffer(options_.parent_curve_public.data(), options_.parent_curve_public.size()));
      dealer_->set(zmq::sockopt::curve_publickey, zmq::const_buffer(options_.curve_public.data(), options_.curve_public.size()));
      dealer_->set(zmq::sockopt::curve_secretkey, zmq::const_buffer(options_.curve_secret.data(), options_.curve_secret.size()));
      dealer_->set(zmq::sockopt::immediate, 1);  // queue nothing on a connection not yet up
      dealer_->set(zmq::sockopt::reconnect_ivl, kReconnectIntervalMs);
      dealer_->set(zmq::sockopt::reconnect_ivl_max, kReconnectIntervalMaxMs);
      // One per upstream: a node dialling its fallback parent too has two DEALERs.
      std::string monitor_addr = "inproc://monitor-" + options_.self_id + "-" + options_.parent_id;
      if (zmq_socket_monitor(dealer_->handle(), monitor_addr.c_str(), kDealerMonitorEvents) != 0) {
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
  zmq::socket_t* zap = zap_.socket();
  items->push_back({zap ? zap->handle() : nullptr, 0, static_cast<short>(zap ? ZMQ_POLLIN : 0), 0});
  items->push_back(item(router_monitor_));
}

void Transport::handle(const std::vector<zmq::pollitem_t>& items, std::size_t first,
                       const Handlers& h) {
  // The ROUTER's monitor before the ROUTER: a connection's events are then mostly known before
  // its frames are read, which is what the ledger's inference needs.
  if (router_monitor_ && (items[first + 4].revents & ZMQ_POLLIN)) drain_router_monitor();
  if (router_ && (items[first].revents & ZMQ_POLLIN)) drain_router(h);
  if (dealer_ && (items[first + 1].revents & ZMQ_POLLIN)) drain_dealer(h);
  if (monitor_ && (items[first + 2].revents & ZMQ_POLLIN)) drain_monitor(h);
  if (zap_.socket() && (items[first + 3].revents & ZMQ_POLLIN)) drain_zap();
}

void Transport::drain_zap() {
  zap_.drain([this](const std::string& node) { return banned(node); });
  counters_.auth_denied = zap_.counters().denied;
  counters_.auth_denied_banned = zap_.counters().denied_banned;
}

void Transport::drain_router_monitor() {
  while (auto e = read_monitor_event(*router_monitor_)) {
    const int fd = static_cast<int>(e->value);
    switch (e->id) {
      case ZMQ_EVENT_ACCEPTED: ledger_.accepted(fd); break;
      case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: ledger_.handshake_succeeded(); break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        counters_.handshake_failures++;
        ledger_.handshake_failed(HandshakeFailure::kProtocol);
        break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        counters_.handshake_failures++;
        ledger_.handshake_failed(HandshakeFailure::kAuth);
        break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        counters_.handshake_failures++;
        ledger_.handshake_failed(HandshakeFailure::kNoDetail);
        break;
      case ZMQ_EVENT_DISCONNECTED:
        (void)ledger_.disconnected(fd);
        children_.disconnected(fd);
        break;
      default: break;
    }
  }
}

// libzmq owns the fd; shutting it down makes its I/O thread see the connection end and drop it
// (DISCONNECTED follows). libzmq offers no other handle on one connection of a ROUTER; an fd is
// forgotten as soon as its DISCONNECTED is read (daemon/child_routes.h), so a number reused by
// another client is cut only if its frames were read before that event — it then reconnects.
void Transport::cut_connection(int fd) {
  if (fd >= 0) (void)::shutdown(fd, SHUT_RDWR);
}

std::size_t Transport::cut_child(const std::string& node) {
  const std::vector<int> fds = children_.take(node);
  for (int fd : fds) cut_connection(fd);
  return fds.size();
}

std::optional<RoutingIds::Assigned> Transport::admit_child_frame(const std::string& routing_id,
                                                                  const zmq::message_t& frame,
                                                                  const Handlers& h) {
  // What ZAP said: the node (User-Id) and the id it assigned to this handshake (Identity).
  // libzmq files both before anything the client sent, so no client can set them.
  const char* user_id = zmq_msg_gets(frame.handle(), "User-Id");
  const char* zap_identity = zmq_msg_gets(frame.handle(), "Identity");
  const std::string user = user_id ? user_id : "";
  const int fd = zmq_msg_get(frame.handle(), ZMQ_SRCFD);
  if (fd >= 0) ledger_.frame_from(fd);
  if (banned(user) || (!user.empty() && !zap_.admitted(user))) {
    counters_.frames_dropped_banned++;
    cut_connection(fd);  // it got back in before its cut took effect, or was revoked since
    return std::nullopt;
  }
  auto connection = zap_.connection(routing_id, zap_identity ? zap_identity : "", user);
  if (!connection) {
    counters_.identity_mismatch++;
    log_warning("peer=" + (user.empty() ? std::string("-") : user) +
                " connected under routing id \"" + routing_id +
                "\" of its own choosing (casesync children claim none; this node assigns "
                "them); closed it");
    cut_connection(fd);
    if (!user.empty()) h.on_refused(user);
    return std::nullopt;
  }
  // Before the envelope check and the core: a refusal there may ban the sender, which cuts
  // this connection.
  if (children_.heard(fd, *connection) && RoutingIds::generated_by_router(routing_id)) {
    counters_.routing_ids_generated++;
  }
  return connection;
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
    if (parts.empty()) {
      counters_.frames_with_bad_envelope++;
      continue;
    }
    const std::string routing_id = id.to_string();
    const auto connection = admit_child_frame(routing_id, parts[0], h);
    if (!connection) continue;
    const std::string& node = connection->node;
    if (parts.size() != 1) {
      counters_.frames_with_bad_envelope++;
      h.on_refused(node);
      continue;
    }
    // Routed to only once the core took a frame from it: a connection whose first words are a
    // Hello naming another node gets nothing, and a ban while handling the frame stays a ban.
    if (h.on_frame(node, parts[0].to_string()) && !banned(node)) {
      children_.accepted(routing_id, *connection);
    }
  }
}

void Transport::drain_dealer(const Handlers& h) {
  for (int i = 0; i < kMessagesPerWakeMax; ++i) {
    zmq::message_t msg;
    auto got = dealer_->recv(msg, zmq::recv_flags::dontwait);
    if (!got) return;
    const bool multipart = msg.more();
    // A parent sends single frames; swallow the rest of an odd multipart message.
    while (msg.more() && dealer_->recv(msg, zmq::recv_flags::dontwait)) {
    }
    if (parent_shut_out()) {
      counters_.frames_dropped_banned++;
      continue;
    }
    if (multipart) {
      counters_.frames_with_bad_envelope++;
      h.on_refused(options_.parent_id);
      continue;
    }
    (void)h.on_frame(options_.parent_id, msg.to_string());
  }
}

void Transport::drain_monitor(const Handlers& h) {
  while (auto e = read_monitor_event(*monitor_)) {
    // Handshake, not TCP connect: only then does a send reach the parent instead of being
    // refused by ZMQ_IMMEDIATE, so the first Hello is not lost.
    if (e->id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      parent_connected_ = true;
      parent_redial_pause_ms_ = 0;
      h.on_link_up(options_.parent_id);
    } else if (e->id == ZMQ_EVENT_DISCONNECTED) {
      parent_connected_ = false;
      h.on_link_down(options_.parent_id);
    } else if (e->id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
               e->id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
      counters_.parent_refused++;
      parent_redial_pending_ = true;
    }
  }
}

void Transport::tick(std::uint64_t now_ms) {
  if (!parent_redial_pending_ || !dealer_ || parent_shut_out()) return;
  if (parent_redial_at_ms_ == 0) {
    parent_redial_pause_ms_ = parent_redial_pause_ms_ == 0
                                  ? kParentRedialPauseMs
                                  : std::min(parent_redial_pause_ms_ * 2, kParentRedialPauseMaxMs);
    parent_redial_at_ms_ = now_ms + parent_redial_pause_ms_;
    log_warning("parent " + options_.parent_id + " at " + options_.parent_endpoint +
                " refused our handshake (our key is not in its roster, is revoked, or we are "
                "banned there); dialling again in " +
                format_duration_ms(parent_redial_pause_ms_) +
                ". A ban ends by itself (penalty.ban there, 30s by default, doubling on each "
                "repeat up to penalty.ban_max, 1h): its log says \"banned for\" and \"ban "
                "ended\"; a missing or revoked key needs the district (enroll approve)");
    return;
  }
  if (now_ms < parent_redial_at_ms_) return;
  hang_up_parent();
  dial_parent();
}

void Transport::dial_parent() {
  parent_redial_pending_ = false;
  parent_redial_at_ms_ = 0;
  try {
    dealer_->connect(options_.parent_endpoint);
  } catch (const zmq::error_t& e) {
    log_warning("cannot dial parent " + options_.parent_endpoint + ": " + e.what());
  }
}

void Transport::hang_up_parent() {
  parent_connected_ = false;
  try {
    dealer_->disconnect(options_.parent_endpoint);
  } catch (const zmq::error_t&) {
    // Not connected (ENOENT): nothing to hang up.
  }
}

void Transport::ban(const std::string& peer) {
  banned_.insert(peer);
  if (dealer_ && peer == options_.parent_id) {
    hang_up_parent();
    parent_redial_pending_ = false;
    parent_redial_at_ms_ = 0;
    return;
  }
  (void)cut_child(peer);
}

void Transport::lift_ban(const std::string& peer) {
  if (banned_.erase(peer) == 0) return;
  if (dealer_ && peer == options_.parent_id && !parent_revoked_) dial_parent();
}

SendOutcome Transport::send(const std::string& peer, const std::string& frame) {
  if (banned(peer)) return SendOutcome::kPeerGone;
  try {
    if (peer == options_.parent_id && dealer_) {
      if (parent_revoked_) return SendOutcome::kPeerGone;
      auto sent = dealer_->send(zmq::buffer(frame), zmq::send_flags::dontwait);
      if (!sent) {
        counters_.frames_dropped_queue_full++;
        return SendOutcome::kQueueFull;
      }
      return SendOutcome::kSent;
    }
    const std::string* routing_id = router_ ? children_.route(peer) : nullptr;
    if (!routing_id) {
      // Not connected, or connected and not heard from yet: nothing of its is sent to a
      // connection before it has shown, in a frame, whose key it holds.
      counters_.sends_peer_gone++;
      return SendOutcome::kPeerGone;
    }
    auto first = router_->send(zmq::buffer(*routing_id),
                               zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    if (!first) {
      counters_.frames_dropped_queue_full++;
      return SendOutcome::kQueueFull;
    }
    (void)router_->send(zmq::buffer(frame), zmq::send_flags::dontwait);
    return SendOutcome::kSent;
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) {
      counters_.sends_peer_gone++;
      if (peer != options_.parent_id) children_.unreachable(peer);
      return SendOutcome::kPeerGone;
    }
    log_warning(std::string("send to ") + peer + " failed: " + e.what());
    return SendOutcome::kPeerGone;
  }
}

std::string Transport::bound_endpoint() const {
  return router_ ? router_->get(zmq::sockopt::last_endpoint) : std::string();
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
  zap_.close();
}

}  // namespace casesync
