#include "sync/case_state.h"

#include <algorithm>

namespace casesync {

const char* case_status_name(CaseStatus s) {
  switch (s) {
    case CaseStatus::kReceived: return "received";
    case CaseStatus::kPrereviewed: return "prereviewed";
    case CaseStatus::kForwarded: return "forwarded";
    case CaseStatus::kDelivered: return "delivered";
    case CaseStatus::kAccepted: return "accepted";
    case CaseStatus::kSupplementRequested: return "supplement_requested";
    case CaseStatus::kAnswered: return "answered";
    case CaseStatus::kReturned: return "returned";
    case CaseStatus::kCompleted: return "completed";
    case CaseStatus::kWithdrawn: return "withdrawn";
    case CaseStatus::kReopened: return "reopened";
  }
  return "unknown";
}

bool is_terminal(CaseStatus s) { return s == CaseStatus::kCompleted || s == CaseStatus::kWithdrawn; }

const char* hop_stage_name(HopStage s) {
  switch (s) {
    case HopStage::kForwarded: return "forwarded";
    case HopStage::kDelivered: return "delivered";
    case HopStage::kAccepted: return "accepted";
    case HopStage::kSupplementRequested: return "supplement_requested";
    case HopStage::kAnswered: return "answered";
    case HopStage::kReturned: return "returned";
  }
  return "unknown";
}

const Hop* CaseState::find_hop(const std::string& hop_id) const {
  for (const auto& h : hops) {
    if (h.id == hop_id) return &h;
  }
  return nullptr;
}

Hop* CaseState::find_hop(const std::string& hop_id) {
  return const_cast<Hop*>(static_cast<const CaseState*>(this)->find_hop(hop_id));
}

const Hop* CaseState::current_hop() const {
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (!it->superseded) return &*it;
  }
  return nullptr;
}

bool CaseState::on_path(const std::string& node) const {
  return std::find(path.begin(), path.end(), node) != path.end();
}

std::uint64_t total_paused_ms(const CaseState& s) {
  std::uint64_t paused = s.paused_ms;
  for (const auto& h : s.hops) paused += h.paused_ms;
  return paused;
}

std::vector<std::string> materials_received(const CaseState& s) {
  std::vector<std::string> out;
  for (const auto* list : {&s.materials, &s.materials_supplied}) {
    for (const auto& m : *list) {
      if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
    }
  }
  return out;
}

std::vector<std::string> materials_missing(const CaseState& s,
                                           const std::vector<std::string>& catalogue) {
  const std::vector<std::string> received = materials_received(s);
  std::vector<std::string> out;
  for (const auto& m : catalogue) {
    const bool have = std::find(received.begin(), received.end(), m) != received.end();
    if (!have && std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  }
  return out;
}

std::string mask_id_number(const std::string& id) {
  constexpr std::size_t kKeepHead = 3, kKeepTail = 2;
  if (id.size() <= kKeepHead + kKeepTail) return std::string(id.size(), '*');
  return id.substr(0, kKeepHead) + std::string(id.size() - kKeepHead - kKeepTail, '*') +
         id.substr(id.size() - kKeepTail);
}

}  // namespace casesync
