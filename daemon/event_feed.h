// The local changes feeds, which a department system follows instead of being typed into twice
// (issue 19). Both read this node's log in local order (a position per stored event):
//
//   GET /api/events?after=L&limit=N[&wait=30s]   every event after L, whole (body masked as in
//                                                `case show`); with `wait`, a long-poll that
//                                                answers as soon as there is one
//   GET /api/events  Accept: text/event-stream   the same events as server-sent events, one
//                                                `id:` per position, for as long as the client
//                                                stays; it resumes after Last-Event-ID
//   GET /api/changes?since=L&limit=N[&wait=S]    a short line per event (the older long-poll)
//
// A long-poll or a stream holds no thread while it waits: it parks its connection as a waiter of
// daemon/change_waiters.h, which the loop wakes when it stored events (docs/ARCHITECTURE.md,
// "The front").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/event_record.h"

namespace httplib {
class Server;
}

namespace casesync {

class NodeRuntime;

namespace feed_limits {
// Events one wake of a stream sends; a fuller backlog continues at the front's next tick
// (50 ms), so a stream catching up sends about 10,000 events a second.
constexpr std::size_t kStreamPageEvents = 500;
// A stream with nothing to send says so this often (an SSE comment), so a client or a proxy
// notices a dead connection.
constexpr std::uint64_t kStreamHeartbeatMs = 15000;
// What a waiting SSE client is told to wait before it reconnects (the `retry:` field).
constexpr std::uint64_t kStreamRetryMs = 2000;
}  // namespace feed_limits

// One stored event as the feeds and webhooks show it: origin, seq, hlc, time, case_id, kind,
// actor, body (the values of `sensitive` fields masked, materials a list), hash, parents,
// local_seq. Null when the stored bytes do not decode (never for an event this node stored).
nlohmann::json feed_event_json(const EventRecord& record,
                               const std::vector<std::string>& sensitive);

void register_feed_routes(httplib::Server& server, NodeRuntime& runtime);

}  // namespace casesync
