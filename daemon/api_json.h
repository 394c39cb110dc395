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

// The clerk as JSON ({"id", "name", "role"}), null for an event without one.
nlohmann::json actor_json(const Actor& actor);
// "王芳 (w01@s01-c01, window)", or the node id for an event without a clerk.
std::string who_text(const Actor& actor, const std::string& node);
// An event with `body` as the view shows it (masked: daemon/case_json.h).
nlohmann::json event_json(const OrderedEvent& e, nlohmann::json body);
nlohmann::json links_json(const std::vector<LinkStatus>& links, std::uint64_t now_ms);
nlohmann::json counters_json(const NodeCounters& counters);
// Transport counters, with "connections_ended": {reason: count} for the listening socket.
nlohmann::json transport_json(const Transport& transport);
// {"bans": total, "bans_by_peer": {...}, "banned": [{"peer", "since", "until", "remaining_ms",
//  "offence", "rejects"}]}
nlohmann::json penalty_json(const PeerPenalty& penalty, std::uint64_t now_ms);

}  // namespace casesync
