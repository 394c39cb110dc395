#include "daemon/zap_handler.h"

#include <arpa/inet.h>

#include <cstdint>

#include "crypto/crypto.h"

namespace casesync {

namespace {
constexpr int kRequestsPerWakeMax = 256;  // bound per loop turn: handshakes cannot starve frames
constexpr std::size_t kRequestParts = 9;
// libzmq applies a ZAP metadata property of this name as the connection's routing id (unless the
// client's own claim comes after it: daemon/routing_id.h) and attaches it to every frame.
constexpr const char* kRoutingIdProperty = "Identity";

// One ZMTP metadata property: name length (1 byte), name, value length (4 bytes, big-endian),
// value.
std::string metadata_property(const std::string& name, const std::string& value) {
  std::string out(1, static_cast<char>(name.size()));
  out += name;
  const std::uint32_t size = htonl(static_cast<std::uint32_t>(value.size()));
  out.append(reinterpret_cast<const char*>(&size), sizeof(size));
  out += value;
  return out;
}
}  // namespace

ZapHandler::ZapHandler() : routing_ids_(crypto::random_bytes(crypto::kMacKeyBytes)) {}

void ZapHandler::bind(zmq::context_t* context) {
  socket_.emplace(*context, zmq::socket_type::router);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->bind("inproc://zeromq.zap.01");
}

std::vector<std::string> ZapHandler::set_allowed(std::map<std::string, std::string> keys) {
  std::vector<std::string> lost;
  for (const auto& [key, node] : allowed_) {
    auto it = keys.find(key);
    if (it == keys.end() || it->second != node) lost.push_back(node);
  }
  allowed_ = std::move(keys);
  admitted_nodes_.clear();
  for (const auto& [key, node] : allowed_) admitted_nodes_.insert(node);
  return lost;
}

// A request (RFC 27): [id, "", version, request_id, domain, address, identity, mechanism, key].
// The identity frame is the ROUTER's own routing id, not the client's: libzmq shows a ZAP handler
// nothing of what the client claims.
void ZapHandler::drain(const std::function<bool(const std::string&)>& banned) {
  for (int i = 0; i < kRequestsPerWakeMax; ++i) {
    std::vector<zmq::message_t> req;
    zmq::message_t part;
    if (!socket_ || !socket_->recv(part, zmq::recv_flags::dontwait)) return;
    bool more = part.more();
    req.push_back(std::move(part));
    while (more) {
      zmq::message_t p;
      if (!socket_->recv(p, zmq::recv_flags::dontwait)) break;
      more = p.more();
      req.push_back(std::move(p));
    }
    if (req.size() < kRequestParts) continue;
    std::string node;
    if (req[7].to_string() == "CURVE" && req[4].to_string() == kZapDomain) {
      auto it = allowed_.find(req[8].to_string());
      if (it != allowed_.end()) node = it->second;
    }
    std::string text = "OK", metadata;
    if (node.empty()) {
      counters_.denied++;
      text = "key not in the roster or revoked";
    } else if (banned(node)) {
      counters_.denied_banned++;
      text = "banned for sending input that was refused; try again later";
      node.clear();
    } else {
      metadata = metadata_property(kRoutingIdProperty, routing_ids_.assign(node));
    }
    reply(req, node, text, metadata);
  }
}

// [id, "", version, request_id, status code, status text, user id, metadata]; an empty user id
// means refused.
void ZapHandler::reply(std::vector<zmq::message_t>& req, const std::string& node,
                       const std::string& text, const std::string& metadata) {
  const std::string code = node.empty() ? "400" : "200";
  socket_->send(req[0], zmq::send_flags::sndmore);
  socket_->send(zmq::str_buffer(""), zmq::send_flags::sndmore);
  socket_->send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
  socket_->send(req[3], zmq::send_flags::sndmore);
  socket_->send(zmq::buffer(code), zmq::send_flags::sndmore);
  socket_->send(zmq::buffer(text), zmq::send_flags::sndmore);
  socket_->send(zmq::buffer(node), zmq::send_flags::sndmore);
  socket_->send(zmq::buffer(metadata), zmq::send_flags::none);
}

}  // namespace casesync
