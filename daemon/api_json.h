// JSON views of events, cases and node status for the local API. The shapes here are the
// interface casesyncctl, the dashboard and integrations read; keys are stable.
#pragma once

#include <nlohmann/json.hpp>

#include "daemon/peer_penalty.h"
#include "daemon/transport.h"
#include "storage/store.h"
#include "sync/case_view.h"
#include "sync/sync_node.h"

namespace casesync {

std::string format_time_ms(std::uint64_t ms);  // "2026-11-25T19:20:07.123Z"

nlohmann::json event_json(const OrderedEvent& e);
// REQUIRES: `ordered` non-empty and in canonical order.
nlohmann::json case_json(const std::string& case_id, const std::vector<OrderedEvent>& ordered);
nlohmann::json links_json(const std::vector<LinkStatus>& links, std::uint64_t now_ms);
nlohmann::json counters_json(const NodeCounters& counters);
// Transport counters, with "connections_ended": {reason: count} for the listening socket.
nlohmann::json transport_json(const Transport& transport);
// {"bans": total, "bans_by_peer": {...}, "banned": [{"peer", "since", "until", "remaining_ms",
//  "offence", "rejects"}]}
nlohmann::json penalty_json(const PeerPenalty& penalty, std::uint64_t now_ms);

}  // namespace casesync
