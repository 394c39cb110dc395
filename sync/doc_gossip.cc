#include "sync/doc_gossip.h"

#include <algorithm>

namespace casesync {

Status DocGossip::install(const SignedDoc& doc, std::uint64_t now_ms) {
  if (doc.version <= current_.version) {
    return Status::error(Code::kInvalidArgument,
                         kind_.name + " version " + std::to_string(doc.version) +
                             " is not newer than " + std::to_string(current_.version) +
                             " held here");
  }
  RETURN_IF_ERROR(kind_.install(doc));
  current_ = doc;
  state_->out.docs_installed[kind_.name] = doc;
  push(now_ms);
  return Status::ok();
}

void DocGossip::offer(const std::string& peer, std::uint64_t now_ms) {
  state_->send(peer, kind_.message(current_), now_ms);
  offered_ms_[peer] = now_ms;
}

void DocGossip::push(std::uint64_t now_ms) {
  for (auto& [peer, l] : state_->links) {
    if (l->state() != LinkState::kUp) continue;
    auto it = peer_version_.find(peer);
    if (it != peer_version_.end() && it->second >= current_.version) continue;
    offer(peer, now_ms);
  }
}

void DocGossip::peer_has(const std::string& peer, std::uint64_t version, std::uint64_t now_ms) {
  peer_version_[peer] = version;
  if (version >= current_.version || current_.text.empty()) return;
  auto at = offered_ms_.find(peer);
  if (at != offered_ms_.end() && now_ms >= at->second && now_ms - at->second < kReofferMs) return;
  offer(peer, now_ms);
}

void DocGossip::received(const std::string& peer, const SignedDoc& doc, std::uint64_t now_ms) {
  std::uint64_t& known = peer_version_[peer];
  known = std::max(known, doc.version);
  if (doc.version < current_.version && !current_.text.empty()) {
    offer(peer, now_ms);  // it is behind: bring it up to date
    return;
  }
  if (doc.version == current_.version) return;  // old news
  if (Status st = install(doc, now_ms); !st.is_ok()) {
    state_->refuse(peer, "bad_" + kind_.name);
    state_->alert(AlertKind::kBadInput, peer, "refused " + kind_.name + ": " + st.message());
    return;
  }
  state_->out.alerts.push_back({AlertKind::kDocument, peer,
                                "installed " + kind_.name + " version " + std::to_string(doc.version),
                                "", kind_.name});
}

}  // namespace casesync
