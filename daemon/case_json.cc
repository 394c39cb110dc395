#include "daemon/case_json.h"

#include <algorithm>
#include <map>

#include "daemon/api_json.h"
#include "common/utf8.h"
#include "sync/actor.h"
#include "sync/case_kinds.h"
#include "sync/dwell.h"
#include "sync/event_content.h"

namespace casesync {

using nlohmann::json;

namespace {

json time_or_null(std::uint64_t ms) { return ms == 0 ? json() : json(format_time_ms(ms)); }

// Which policy a due time was computed with, and, when a newer policy this node installed moved
// it, the due time before and the version that moved it (kept by daemon/due_ledger.h, so a
// restart keeps the note too).
void add_due_policy(json& out, const DeadlineInputs& in, const std::optional<Deadline>& d,
                    const std::string& key) {
  out["due_policy_version"] = in.policy_version;
  if (!d || !in.remember_due) return;
  const DueRecord r = in.remember_due(key, d->due_ms);
  if (r.moved_by == 0) return;
  out["due_before"] = format_time_ms(r.before_ms);
  out["due_moved_by_policy"] = r.moved_by;
}

// The deadline fields of a hop (see CaseViewOptions).
void add_hop_due(json& out, const Hop& h, const CaseState& s, const DeadlineInputs* in) {
  if (!in) return;
  const auto d = hop_deadline(h, s, *in);
  out["due"] = d ? json(format_time_ms(d->due_ms)) : json();
  add_due_policy(out, *in, d, due_key(s.id, h.id, d ? d->stage : ""));
  out["due_stage"] = d                                            ? json(d->stage)
                     : h.stage == HopStage::kSupplementRequested && !h.superseded ? json("paused")
                                                                  : json();
}

json hop_json(const Hop& h, const CaseState& s, const DeadlineInputs* deadlines) {
  json out = {{"hop", h.id},
              {"from", h.from},
              {"to", h.to},
              {"forwarded_by", actor_json(h.forwarded_by)},
              {"accepted_by", actor_json(h.accepted_by)},
              {"answered_by", actor_json(h.answered_by)},
              {"desk", h.desk},
              {"stage", hop_stage_name(h.stage)},
              {"forwarded_at", time_or_null(h.forwarded_ms)},
              {"delivered_at", time_or_null(h.delivered_ms)},
              {"accepted_at", time_or_null(h.accepted_ms)},
              {"answered_at", time_or_null(h.answered_ms)},
              {"outcome", h.outcome},
              {"reason", h.reason},
              {"due_working_days", h.due_working_days},
              {"supplement_requests", h.supplement_requests},
              {"paused_ms", h.paused_ms},
              {"paused_since", time_or_null(h.pause_started_ms)},
              {"superseded", h.superseded},
              {"bounce", h.bounced()}};
  add_hop_due(out, h, s, deadlines);
  return out;
}

json hops_json(const CaseState& s, const DeadlineInputs* deadlines) {
  json hops = json::array();
  for (const auto& h : s.hops) hops.push_back(hop_json(h, s, deadlines));
  return hops;
}

// The case's own deadline fields (see CaseViewOptions).
void add_case_due(json& out, const CaseState& s, const DeadlineInputs* in) {
  out["paused_ms"] = total_paused_ms(s);
  out["paused_since"] = time_or_null(s.pause_started_ms);
  if (!in) return;
  const auto d = case_deadline(s, *in);
  out["due"] = d ? json(format_time_ms(d->due_ms)) : json();
  add_due_policy(out, *in, d, due_key(s.id, "", "case"));
}

// Time at each node, each on its own clock (sync/dwell.h).
json dwell_json(const CaseState& s) {
  json out = json::array();
  for (const auto& d : dwell_of(s)) out.push_back({{"node", d.node}, {"ms", d.ms}});
  return out;
}

json field_or_null(const CaseState& s, std::string_view name) {
  auto it = s.fields.find(std::string(name));
  return it == s.fields.end() ? json() : json(it->second);
}

// Creates of this case that lost duplicate_create (sync/case_fold.h): who else created it.
json duplicates_json(const CaseState& s) {
  std::string kept;
  for (const auto& t : s.timeline) {
    if (t.kind == kinds::kCreated && t.applied) kept = t.origin + ":" + std::to_string(t.seq);
  }
  json out = json::array();
  for (const auto& t : s.timeline) {
    if (t.kind != kinds::kCreated || t.applied || kept.empty()) continue;
    if (t.summary.rfind("duplicate_of ", 0) != 0) continue;  // an invalid create, not a duplicate
    out.push_back({{"event", t.origin + ":" + std::to_string(t.seq)},
                   {"node", t.origin},
                   {"created_at", format_time_ms(t.ms)},
                   {"duplicate_of", kept}});
  }
  return out;
}

bool is_sensitive(const std::vector<std::string>& sensitive, const std::string& key) {
  return std::find(sensitive.begin(), sensitive.end(), key) != sensitive.end();
}

const std::vector<std::string>& fields_or_default(const std::vector<std::string>* sensitive) {
  return sensitive ? *sensitive : default_sensitive_fields();
}

// A timeline summary with an edit's sensitive value masked ("edited phone = 138******00").
std::string shown_summary(const TimelineEntry& t, const std::vector<std::string>& sensitive) {
  if (t.kind != kinds::kEdited || !is_sensitive(sensitive, t.edited_field)) return t.summary;
  const std::string head = "edited " + t.edited_field + " = ";
  if (t.summary.rfind(head, 0) != 0) return "edited " + t.edited_field;
  return head + masked_value(t.summary.substr(head.size()));
}

// The free fields, sensitive ones masked unless `full`, without the department system's
// reference (shown on its own).
json free_fields_json(const CaseState& s, const std::vector<std::string>& sensitive, bool full) {
  json out = json::object();
  for (const auto& [k, v] : s.fields) {
    if (k == kinds::kExternalRef || k == kinds::kExternalSource) continue;
    out[k] = !full && is_sensitive(sensitive, k) ? masked_value(v) : v;
  }
  return out;
}

}  // namespace

const std::vector<std::string>& default_sensitive_fields() {
  static const std::vector<std::string> kDefault = {std::string(kinds::kIdNumber), "phone"};
  return kDefault;
}

std::string masked_value(const std::string& value) {
  const bool ascii = std::all_of(value.begin(), value.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return mask_id_number(value);
  // Text beyond ASCII: keep its first character only (never cut one in half).
  const std::string_view first = utf8_prefix(value, 1);
  return std::string(first) + std::string(utf8_chars(value) - 1, '*');
}

json masked_body(const Event& e, bool full, const std::vector<std::string>& sensitive) {
  json b = json::object();
  const bool sensitive_edit = e.kind == kinds::kEdited &&
                              is_sensitive(sensitive, e.field(std::string(kinds::kField)));
  for (const auto& [key, value] : e.body) {
    if (is_actor_key(key)) continue;
    const bool mask = !full && (is_sensitive(sensitive, key) ||
                                (sensitive_edit && key == kinds::kValue));
    b[key] = mask ? masked_value(value) : value;
  }
  auto mats = e.body.find(std::string(kinds::kMaterials));
  if (mats != e.body.end()) b[std::string(kinds::kMaterials)] = materials_list(mats->second);
  return b;
}

json case_summary_json(const CaseState& s, const MattersCatalogue* matters,
                       const DeadlineInputs* deadlines) {
  const Matter* m = matters ? matters->find(s.matter) : nullptr;
  json out = {{"id", s.id},
          {"matter", s.matter},
          {"matter_name", m ? m->name : ""},
          {"applicant", s.applicant},
          {"id_number", masked_value(s.id_number)},
          {"receiving_node", s.receiving_node},
          {"origin", s.receiving_node},
          {"status", case_status_name(s.status)},
          {"holder", s.holder},
          {"hops", s.hops.size()},
          {"bounces", s.bounces},
          {"repeated_supplement", s.repeated_supplement},
          {"conflicts", s.conflicts.size()},
          {"received_at", time_or_null(s.received_ms)},
          {"source", field_or_null(s, kinds::kExternalSource)},
          {"external_ref", field_or_null(s, kinds::kExternalRef)},
          {"state_hash", to_hex(s.state_hash)}};
  add_case_due(out, s, deadlines);
  return out;
}

json case_trace_json(const CaseState& s, const DeadlineInputs* deadlines,
                     const std::vector<std::string>* sensitive) {
  json timeline = json::array();
  for (const auto& t : s.timeline) {
    timeline.push_back({{"time", format_time_ms(t.ms)},
                        {"event", t.origin + ":" + std::to_string(t.seq)},
                        {"kind", t.kind},
                        {"actor", actor_json(t.actor)},
                        {"who", who_text(t.actor, t.origin)},
                        {"summary", shown_summary(t, fields_or_default(sensitive))},
                        {"applied", t.applied}});
  }
  json out = {{"case", s.id},
              {"status", case_status_name(s.status)},
              {"holder", s.holder},
              {"state_hash", to_hex(s.state_hash)},
              {"hops", hops_json(s, deadlines)},
              {"dwell", dwell_json(s)},
              {"bounces", s.bounces},
              {"supplement_requests", s.supplement_requests},
              {"repeated_supplement", s.repeated_supplement},
              {"materials_received", materials_received(s)},
              {"timeline", timeline}};
  add_case_due(out, s, deadlines);
  return out;
}

json conflicts_json(const CaseState& s) {
  // "<origin>:<seq>" -> origin; the node that must look again is the loser's.
  auto origin = [](const std::string& name) {
    const auto colon = name.rfind(':');
    return colon == std::string::npos ? std::string() : name.substr(0, colon);
  };
  json out = json::array();
  for (const auto& c : s.conflicts) {
    out.push_back({{"case", s.id}, {"rule", c.rule}, {"winner", c.winner}, {"loser", c.loser},
                   {"loser_node", origin(c.loser)}, {"detail", c.detail}});
  }
  return out;
}

json case_state_json(const CaseState& s, const std::vector<OrderedEvent>& ordered,
                     const CaseViewOptions& opt) {
  json out = case_summary_json(s, opt.matters, opt.deadlines);
  const std::vector<std::string>& sensitive = fields_or_default(opt.sensitive);
  out["id_number"] = opt.full ? s.id_number : masked_value(s.id_number);
  out["materials"] = s.materials;
  out["fields"] = free_fields_json(s, sensitive, opt.full);
  out["duplicates"] = duplicates_json(s);
  out["outcome"] = s.outcome;
  out["path"] = s.path;
  out["applicant_notified"] = s.applicant_notified;
  out["supplement_requests"] = s.supplement_requests;
  out["supplement_materials"] = s.supplement_materials;
  out["materials_supplied"] = s.materials_supplied;
  out["materials_received"] = materials_received(s);
  const Matter* m = opt.matters ? opt.matters->find(s.matter) : nullptr;
  out["materials_missing"] = m ? json(materials_missing(s, m->materials)) : json();
  out["completed_at"] = time_or_null(s.completed_ms);
  out["completed_by"] = s.completed_by;
  out["completion_authority"] = s.completion_authority;
  out["event_count"] = ordered.size();
  out["events_digest"] = to_hex(events_digest(ordered));
  out["hops"] = hops_json(s, opt.deadlines);
  out["conflicts"] = conflicts_json(s);
  out["invalid"] = s.invalid;
  if (opt.with_events) {
    json events = json::array();
    for (const auto& o : ordered) events.push_back(event_json(o, masked_body(o.event, opt.full, sensitive)));
    out["events"] = events;
  }
  return out;
}

}  // namespace casesync
