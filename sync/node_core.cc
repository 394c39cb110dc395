#include "sync/node_core.h"

#include <algorithm>

#include "sync/frame_compression.h"

namespace casesync {

namespace {
bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}
}  // namespace

const char* alert_kind_name(AlertKind kind) {
  switch (kind) {
    case AlertKind::kEquivocation: return "equivocation";
    case AlertKind::kDiskTrouble: return "disk_trouble";
    case AlertKind::kPeerDown: return "peer_down";
    case AlertKind::kPeerUp: return "peer_up";
    case AlertKind::kBadInput: return "bad_input";
    case AlertKind::kSecurity: return "security";
    case AlertKind::kRestore: return "restore";
    case AlertKind::kDocument: return "document";
    case AlertKind::kHeld: return "held";
  }
  return "unknown";
}

Tree Tree::of(const Roster& roster, const std::string& self) {
  Tree t;
  if (const RosterNode* me = roster.find(self)) {
    t.parent = me->parent;
    t.fallbacks = me->fallback_parents;
  }
  t.children = roster.children_of(self);
  for (const auto& [id, n] : roster.nodes()) {
    if (n.parent != self && contains(n.fallback_parents, self)) t.fallback_children.push_back(id);
  }
  return t;
}

bool Tree::is_child(const std::string& peer) const { return contains(children, peer); }
bool Tree::is_fallback(const std::string& peer) const { return contains(fallbacks, peer); }
bool Tree::is_fallback_child(const std::string& peer) const {
  return contains(fallback_children, peer);
}

std::vector<std::string> Tree::neighbours(const Roster& roster) const {
  std::vector<std::string> all = children;
  if (!parent.empty()) all.push_back(parent);
  all.insert(all.end(), fallbacks.begin(), fallbacks.end());
  all.insert(all.end(), fallback_children.begin(), fallback_children.end());
  std::vector<std::string> out;
  for (const auto& n : all) {
    const RosterNode* r = roster.find(n);
    if (r && !r->revoked && !contains(out, n)) out.push_back(n);
  }
  return out;
}

NodeCore::NodeCore(std::string self_id, Roster r, SyncLimits l, Store* s,
                     const crypto::SecretKey* k)
    : self(std::move(self_id)),
      roster(std::move(r)),
      tree(Tree::of(roster, self)),
      limits(l),
      store(s),
      secret(k),
      cases(s, &roster) {}

PeerLink* NodeCore::link(const std::string& peer) {
  auto it = links.find(peer);
  return it == links.end() ? nullptr : it->second.get();
}

void NodeCore::send(const std::string& peer, const Message& m, std::uint64_t now_ms) {
  std::string frame = encode_message(m);
  PeerCounters& pc = counters.peers[peer];
  pc.bytes_out_uncompressed += frame.size();
  frame = compress_frame(std::move(frame));
  pc.bytes_out += frame.size();
  if (PeerLink* l = link(peer)) l->on_sent(frame.size(), now_ms);
  out.sends.push_back({peer, std::move(frame)});
}

void NodeCore::alert(AlertKind kind, std::string peer, std::string detail, std::string origin) {
  out.alerts.push_back({kind, std::move(peer), std::move(detail), std::move(origin)});
}

void NodeCore::refuse(const std::string& peer, const std::string& reason, bool peer_at_fault) {
  counters.reject(peer, reason);
  if (peer_at_fault && !peer.empty() && peer != self) out.misbehaved.push_back({peer, reason});
}

void NodeCore::commit_failed(const Status& st, const std::string& what) {
  counters.commit_failures++;
  if (!disk_trouble) {
    alert(AlertKind::kDiskTrouble, "",
          what + " could not be committed (" + st.to_string() +
              "); acknowledging nothing until the disk recovers");
  }
  disk_trouble = true;
}

}  // namespace casesync
