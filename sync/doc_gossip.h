// DocGossip: one mechanism for documents the district's root key signs and every node must hold
// the newest of — the roster now, the district's policy bundle (working-day calendar and matters
// catalogue) next. A document has a kind, a version and the root's signature; a node installs
// only a newer one that opens (the signature checks and it parses) and that the kind's own rules
// accept, then offers it to every peer whose version is older: peers say theirs in Hello, and
// one that sends an older document is answered with ours. What a node installed is an effect
// (Effects::docs_installed, by kind name), so the edge persists it and acts on it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "common/status.h"
#include "sync/node_core.h"

namespace casesync {

class DocGossip {
 public:
  struct Kind {
    std::string name;  // "roster": in errors and counters (bad_roster)
    // Checks the root signature, parses, applies the kind's rules, and installs it in the core.
    std::function<Status(const SignedDoc&)> install;
    std::function<Message(const SignedDoc&)> message;  // the wire form
  };

  DocGossip(NodeCore* state, Kind kind) : state_(state), kind_(std::move(kind)) {}

  void set_current(SignedDoc doc) { current_ = std::move(doc); }
  const SignedDoc& current() const { return current_; }

  // Installs a newer document (from the admin API or a peer) and offers it to older peers.
  Status install(const SignedDoc& doc, std::uint64_t now_ms);
  // A peer still behind this long after we offered ours is offered it again (the frame may have
  // been lost); not sooner, since a roster can be tens of kilobytes on a weak link.
  static constexpr std::uint64_t kReofferMs = 10'000;

  // A peer's version (its Hello or heartbeat): a peer behind gets ours.
  void peer_has(const std::string& peer, std::uint64_t version, std::uint64_t now_ms);
  // A document a peer sent.
  void received(const std::string& peer, const SignedDoc& doc, std::uint64_t now_ms);
  // The version `peer` last said it holds (0: unknown).
  std::uint64_t peer_version(const std::string& peer) const {
    auto it = peer_version_.find(peer);
    return it == peer_version_.end() ? 0 : it->second;
  }

 private:
  void push(std::uint64_t now_ms);

  NodeCore* state_;
  Kind kind_;
  SignedDoc current_;
  void offer(const std::string& peer, std::uint64_t now_ms);

  std::map<std::string, std::uint64_t> peer_version_;
  std::map<std::string, std::uint64_t> offered_ms_;  // when we last sent ours to the peer
};

}  // namespace casesync
