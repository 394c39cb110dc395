#include "daemon/api_json.h"

#include <ctime>

#include "sync/hlc.h"

namespace casesync {

using nlohmann::json;

std::string format_time_ms(std::uint64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(ms % 1000));
  return buf;
}

json actor_json(const Actor& a) {
  if (a.empty()) return json();
  return {{"id", a.id}, {"name", a.name}, {"role", a.role}};
}

std::string who_text(const Actor& a, const std::string& node) {
  if (a.empty()) return node;
  return a.name + " (" + a.id + "@" + node + ", " + a.role + ")";
}

json event_json(const OrderedEvent& o, json body) {
  json parents = json::array();
  for (const auto& p : o.event.parents) parents.push_back(to_hex(p));
  const Actor actor = actor_of(o.event);
  return {{"origin", o.event.origin},
          {"seq", o.event.seq},
          {"hlc", o.event.hlc},
          {"time", format_time_ms(HybridClock::millis(o.event.hlc))},
          {"case_id", o.event.case_id},
          {"kind", o.event.kind},
          {"actor", actor_json(actor)},
          {"who", who_text(actor, o.event.origin)},
          {"body", std::move(body)},
          {"hash", to_hex(o.record.hash)},
          {"parents", parents},
          {"local_seq", o.record.local_seq}};
}

json links_json(const std::vector<LinkStatus>& links, std::uint64_t now_ms) {
  json out = json::array();
  for (const auto& l : links) {
    out.push_back({{"peer", l.peer},
                   {"direction", l.is_parent ? (l.is_fallback ? "fallback_parent" : "parent")
                                             : (l.is_fallback ? "fallback_child" : "child")},
                   {"state", link_state_name(l.state)},
                   {"sent_acked_pos", l.sent_acked_pos},
                   {"recv_applied_pos", l.recv_applied_pos},
                   {"in_flight_batches", l.in_flight_batches},
                   {"backlog_events", l.backlog_events},
                   {"outbox_capped", l.outbox_capped},
                   {"backlog_oldest_age_ms",
                    l.backlog_oldest_hlc == 0
                        ? 0
                        : now_ms - std::min(now_ms, HybridClock::millis(l.backlog_oldest_hlc))},
                   {"last_heard_ms_ago", l.last_heard_ms == 0 ? -1
                                                              : static_cast<std::int64_t>(
                                                                    now_ms - l.last_heard_ms)},
                   {"rtt_ms", l.srtt_ms},
                   {"min_rtt_ms", l.min_rtt_ms},
                   {"rto_ms", l.rto_ms},
                   {"in_flight_bytes", l.in_flight_bytes},
                   {"window_bytes", l.window_bytes},
                   {"batch_bytes", l.batch_bytes},
                   {"throughput_bps", l.delivery_rate_bps},
                   {"last_success_ms_ago", l.last_ack_ms == 0 ? -1
                                                              : static_cast<std::int64_t>(
                                                                    now_ms - std::min(now_ms, l.last_ack_ms))},
                   {"clock_offset_ms", l.clock_offset_ms}});
  }
  return out;
}

json counters_json(const NodeCounters& c) {
  json peers = json::object();
  for (const auto& [p, pc] : c.peers) {
    peers[p] = {{"events_in", pc.events_in},   {"events_out", pc.events_out},
                {"bytes_in", pc.bytes_in},     {"bytes_out", pc.bytes_out},
                {"bytes_out_uncompressed", pc.bytes_out_uncompressed},
                {"batches_resent", pc.batches_resent}, {"bytes_resent", pc.bytes_resent},
                {"urgent_out", pc.urgent_out}, {"urgent_in", pc.urgent_in},
                {"urgent_deferred", pc.urgent_deferred},
                {"outbox_caps", pc.outbox_caps},
                {"outbox_dropped_events", pc.outbox_dropped_events},
                {"catch_up_events", pc.catch_up_events},
                {"rejects", pc.rejects},       {"held", pc.held}};
  }
  return {{"events_authored", c.events_authored}, {"events_applied", c.events_applied},
          {"events_duplicate", c.events_duplicate}, {"equivocations", c.equivocations},
          {"commit_failures", c.commit_failures},   {"rejects", c.rejects},
          {"held", c.held},                         {"peers", peers}};
}

json transport_json(const Transport& transport) {
  json out = json::object();
  for (const auto& f : kTransportCounterFields) out[f.key] = transport.counters().*(f.field);
  json ended = json::object();
  for (ConnectionEnd e : kConnectionEnds) ended[connection_end_name(e)] = transport.connections().count(e);
  out["connections_ended"] = std::move(ended);
  return out;
}

json penalty_json(const PeerPenalty& penalty, std::uint64_t now_ms) {
  json banned = json::array();
  for (const auto& [peer, ban] : penalty.bans_in_force()) {
    banned.push_back({{"peer", peer},
                      {"since", format_time_ms(ban.since_ms)},
                      {"until", format_time_ms(ban.until_ms)},
                      {"remaining_ms", ban.until_ms - std::min(now_ms, ban.until_ms)},
                      {"offence", ban.offence},
                      {"rejects", ban.rejects}});
  }
  return {{"bans", penalty.bans_total()},
          {"bans_by_peer", penalty.bans_by_peer()},
          {"banned", std::move(banned)}};
}

}  // namespace casesync
