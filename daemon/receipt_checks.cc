#include "daemon/receipt_checks.h"

#include "crypto/crypto.h"
#include "daemon/api_json.h"
#include "sync/case_kinds.h"

namespace casesync {

namespace {

bool is_receipt(const Event& e) {
  namespace k = kinds;
  if (e.field(std::string(k::kHop)).empty()) return false;
  return e.kind == k::kDelivered || e.kind == k::kAccepted || e.kind == k::kReplied ||
         e.kind == k::kReturned || e.kind == k::kSupplementRequested;
}

// Verified, or why not.
std::string signature_problem(const EventRecord& r, const Roster& roster) {
  const std::string* key = roster.key_for(r.origin, r.seq);
  if (!key) {
    return "unknown key: node " + r.origin + " is not in roster version " +
           std::to_string(roster.version) + " held here";
  }
  if (!crypto::verify(*key, crypto::kEventDomain, r.signed_bytes, r.signature)) {
    return "the signature does not verify with the key roster version " +
           std::to_string(roster.version) + " gives " + r.origin;
  }
  if (crypto::hash(r.signed_bytes) != r.hash) return "the stored hash does not match its bytes";
  return "";
}

}  // namespace

std::vector<ReceiptCheck> check_receipts(const std::vector<OrderedEvent>& ordered,
                                         const Roster& roster) {
  std::vector<ReceiptCheck> out;
  for (const auto& o : ordered) {
    if (!is_receipt(o.event)) continue;
    ReceiptCheck c{o.event.field(std::string(kinds::kHop)), o.event.kind,
                   o.record.origin + ":" + std::to_string(o.record.seq), o.record.origin,
                   actor_of(o.event)};
    c.why = signature_problem(o.record, roster);
    c.verified = c.why.empty();
    out.push_back(std::move(c));
  }
  return out;
}

void add_receipt_checks(nlohmann::json& trace, const std::vector<OrderedEvent>& ordered,
                        const Roster& roster) {
  const auto checks = check_receipts(ordered, roster);
  for (auto& hop : trace["hops"]) {
    nlohmann::json receipts = nlohmann::json::array();
    for (const auto& c : checks) {
      if (c.hop != hop.value("hop", "")) continue;
      const RosterNode* n = roster.find(c.signer);
      nlohmann::json r = {{"kind", c.kind},         {"event", c.event},
                          {"signer", c.signer},     {"signer_name", n ? n->name : ""},
                          {"clerk", actor_json(c.clerk)}, {"verified", c.verified}};
      if (!c.verified) r["why"] = c.why;
      receipts.push_back(std::move(r));
    }
    hop["receipts"] = std::move(receipts);
  }
}

}  // namespace casesync
