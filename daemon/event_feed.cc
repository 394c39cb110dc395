#include "daemon/event_feed.h"

#include <httplib.h>

#include <chrono>
#include <limits>
#include <memory>

#include "daemon/api_commands.h"
#include "daemon/answer_language.h"
#include "daemon/api_json.h"
#include "daemon/api_util.h"
#include "daemon/case_json.h"
#include "daemon/http_exchange.h"
#include "daemon/log.h"
#include "daemon/node_runtime.h"
#include "sync/event.h"
#include "sync/hlc.h"

namespace casesync {

using nlohmann::json;

namespace {

using Clock = ChangeWaiters::Clock;
// One page of a feed after q.after, on the loop thread.
using PageFn = std::function<Result<json>(NodeRuntime& rt, const FeedQuery& q)>;

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Clock::time_point after_ms(std::uint64_t ms) {
  return Clock::now() + std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

Result<json> events_page(NodeRuntime& rt, const FeedQuery& q) {
  auto recs = rt.store().events_after(q.after, q.limit);
  if (!recs.is_ok()) return recs.status();
  json events = json::array();
  for (const auto& r : *recs) {
    json e = feed_event_json(r, rt.config().privacy.sensitive_fields);
    if (!e.is_null()) events.push_back(std::move(e));
  }
  return json{{"events", events}, {"next", recs->empty() ? q.after : recs->back().local_seq}};
}

Result<json> changes_page(NodeRuntime& rt, const FeedQuery& q) {
  auto recs = rt.store().events_after(q.after, q.limit);
  if (!recs.is_ok()) return recs.status();
  json changes = json::array();
  for (const auto& r : *recs) {
    changes.push_back({{"local_seq", r.local_seq}, {"case_id", r.case_id}, {"kind", r.kind},
                       {"origin", r.origin}, {"seq", r.seq},
                       {"time", format_time_ms(HybridClock::millis(r.hlc))}});
  }
  return json{{"since", q.after},
              {"next", recs->empty() ? q.after : recs->back().local_seq},
              {"changes", changes}};
}

// ---- long-poll

// The waiter of a long-poll that found nothing: woken on the loop thread by new events or its
// deadline, it answers once there are some or time is up, and stays parked after a change that
// is not for it (events before q.after).
ChangeWaiters::WakeFn poll_wake(NodeRuntime& rt, FeedQuery q, PageFn page, const char* items,
                                bool keep_alive, Clock::time_point deadline) {
  // The waiter answers on the loop thread, long after the request's own thread moved on.
  const UiLanguage language = answer_language();
  return [&rt, q, page, items, keep_alive, deadline, language](bool timed_out) {
    ChangeWaiters::Wake w;
    auto p = page(rt, q);
    if (!p.is_ok()) {
      const ApiError e = api_error_from_status(p.status());
      rt.api_counters().error_response(e.status);
      w.bytes = http_answer(e.status, "application/json", e.to_json(language).dump(), keep_alive);
      return w;
    }
    if ((*p)[items].empty() && !timed_out) {
      w.finished = false;
      w.next_deadline = deadline;
      return w;
    }
    w.bytes = http_answer(200, "application/json", dump(*p), keep_alive);
    return w;
  };
}

// What the feed holds after q.after now; when nothing and the request waits, the connection
// parks as a waiter and this worker returns.
void answer_or_park(NodeRuntime& rt, const FeedQuery& q, const PageFn& page, const char* items,
                    httplib::Response& res) {
  // Read before the page: a change while the page is read wakes the waiter at once.
  const std::uint64_t seen = rt.waiters().counter();
  Result<json> first = json::object();
  rt.tasks().run_and_wait([&] { first = page(rt, q); });
  if (!first.is_ok()) return reply_error(res, first.status());
  Exchange* exchange = Exchange::current();
  if (!(*first)[items].empty() || q.wait_ms == 0 || exchange == nullptr) {
    return reply(res, 200, *first);
  }
  const auto deadline = after_ms(q.wait_ms);
  exchange->park({0, seen, deadline,
                  poll_wake(rt, q, page, items, exchange->keep_alive(), deadline)});
  res.status = 200;  // a placeholder httplib writes and the front drops
}

// ---- event stream (server-sent events)

struct Stream {
  std::uint64_t after = 0;  // the last position sent
  bool started = false;     // the head went out
};

std::string stream_head() {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
         "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
         "retry: " + std::to_string(feed_limits::kStreamRetryMs) + "\n\n";
}

// One event: its position is the SSE id a client resumes after (Last-Event-ID).
std::string stream_event(const EventRecord& r, const std::vector<std::string>& sensitive) {
  json e = feed_event_json(r, sensitive);
  return "id: " + std::to_string(r.local_seq) + "\nevent: " + r.kind + "\ndata: " +
         (e.is_null() ? "null" : dump(e)) + "\n\n";
}

// Each wake sends what was stored since the last one (a page at most; the rest at the next
// tick), or a heartbeat when the stream has been quiet. It never finishes by itself: the client
// hangs up, or the node stops.
ChangeWaiters::WakeFn stream_wake(NodeRuntime& rt, std::shared_ptr<Stream> st) {
  return [&rt, st](bool timed_out) {
    ChangeWaiters::Wake w;
    w.finished = false;
    if (!st->started) w.bytes = stream_head();
    st->started = true;
    auto recs = rt.store().events_after(st->after, feed_limits::kStreamPageEvents);
    if (!recs.is_ok()) {
      // The client reconnects after `retry` and resumes where it stopped.
      log_warning("api: an event stream ends: " + recs.status().to_string());
      w.finished = true;
      return w;
    }
    for (const auto& r : *recs) {
      w.bytes += stream_event(r, rt.config().privacy.sensitive_fields);
      st->after = r.local_seq;
    }
    if (recs->empty() && timed_out) w.bytes += ": keep-alive\n\n";
    const bool more = recs->size() == feed_limits::kStreamPageEvents;
    w.next_deadline = after_ms(more ? 0 : feed_limits::kStreamHeartbeatMs);
    return w;
  };
}

bool wants_stream(const httplib::Request& req) {
  return req.get_header_value("Accept").find("text/event-stream") != std::string::npos;
}

void serve_stream(NodeRuntime& rt, const ApiCall& call, httplib::Response& res) {
  auto q = parse_event_stream(call.request, call.http.get_header_value("Last-Event-ID"));
  if (!q.ok()) return reply_error(res, q.error());
  Exchange* exchange = Exchange::current();
  if (exchange == nullptr) {
    // The TLS listener is httplib's own server, without the front that holds streams.
    return reply_error(res, ApiError{501, "not_supported",
                                     ui_text("an event stream is served on api.listen only; "
                                             "over api.tls_listen use GET /api/events?after=L "
                                             "(polling) or a webhook"),
                                     ""});
  }
  exchange->close_after();
  // A `seen` the counter never reaches, so the first wake (the head and the backlog) runs at once.
  constexpr std::uint64_t kNeverSeen = std::numeric_limits<std::uint64_t>::max();
  exchange->park({0, kNeverSeen, after_ms(feed_limits::kStreamHeartbeatMs),
                  stream_wake(rt, std::make_shared<Stream>(Stream{q->after, false}))});
  res.status = 200;  // a placeholder httplib writes and the front drops
}

}  // namespace

json feed_event_json(const EventRecord& record, const std::vector<std::string>& sensitive) {
  auto e = decode_event(record.signed_bytes);
  if (!e.is_ok()) return nullptr;
  return event_json({record, *e}, masked_body(*e, false, sensitive));
}

void register_feed_routes(httplib::Server& server, NodeRuntime& rt) {
  server.Get("/api/events", on_own_thread(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    if (wants_stream(call.http)) return serve_stream(rt, call, res);
    auto q = parse_events_feed(call.request);
    if (!q.ok()) return reply_error(res, q.error());
    answer_or_park(rt, *q, events_page, "events", res);
  }));
  server.Get("/api/changes", on_own_thread(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    auto q = parse_changes(call.request);
    if (!q.ok()) return reply_error(res, q.error());
    answer_or_park(rt, *q, changes_page, "changes", res);
  }));
}

}  // namespace casesync
