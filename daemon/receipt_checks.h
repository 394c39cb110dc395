// Every signed receipt of a case's hops (delivered, accepted, and the answer: replied, returned,
// or a supplement request on the hop) checked again when a trace is shown: its signature against
// the key the roster held here gives its signer for that event (a retired key for one signed
// before a rotation), and its hash against its bytes. A receipt is shown as verified only when
// both hold; a signer the roster does not know, or a signature that fails, says why.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/roster.h"
#include "sync/actor.h"
#include "sync/case_view.h"

namespace casesync {

struct ReceiptCheck {
  std::string hop;     // "<origin>:<seq>" of the forward it answers
  std::string kind;    // delivered | accepted | replied | returned | supplement_requested
  std::string event;   // "<origin>:<seq>" of the receipt itself
  std::string signer;  // its origin node
  Actor clerk;         // the clerk named in it; empty for the daemon's own delivery receipt
  bool verified = false;
  std::string why;     // when not verified
};

std::vector<ReceiptCheck> check_receipts(const std::vector<OrderedEvent>& ordered,
                                         const Roster& roster);

// Puts each hop's checks into its trace entry as "receipts": [{kind, event, signer,
// signer_name, clerk, verified, why?}] (every hop gets the key, empty when it has none).
void add_receipt_checks(nlohmann::json& trace, const std::vector<OrderedEvent>& ordered,
                        const Roster& roster);

}  // namespace casesync
