// The canonical order of a case's events: parents before children, ties broken by
// (hlc, origin, seq). Every node holding the same events computes the same order and so the same
// state hash, whatever order the events arrived in.
#pragma once

#include <vector>

#include "common/bytes.h"
#include "common/event_record.h"
#include "common/status.h"
#include "sync/event.h"

namespace casesync {

struct OrderedEvent {
  EventRecord record;
  Event event;
};

// Decodes each record (already verified when it was stored) and sorts canonically. Parents that
// are not in the set (not yet arrived) are ignored for ordering.
Result<std::vector<OrderedEvent>> canonical_order(const std::vector<EventRecord>& records);

// BLAKE2b-256 over the canonical sequence of event hashes.
Hash32 events_digest(const std::vector<OrderedEvent>& ordered);

}  // namespace casesync
