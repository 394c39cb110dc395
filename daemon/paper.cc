#include "daemon/paper.h"

#include <cstdio>
#include <map>
#include <set>

#include "common/civil_date.h"
#include "daemon/case_json.h"
#include "daemon/page_text.h"
#include "sync/case_kinds.h"

// Embedded at build time (cmake/embed.cmake); NUL-terminated.
extern const unsigned char kPaperHtml[];

namespace casesync {

namespace {

constexpr std::string_view kOpen = "{{", kClose = "}}";

// The blocks of `text` ({{#name}}...{{/name}}) whose name is in `on`, without their markers;
// the others dropped whole. Blocks may nest.
std::string keep_blocks(std::string_view text, const std::set<std::string>& on) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const std::size_t open = text.find("{{#", at);
    const std::size_t name_end = open == text.npos ? open : text.find(kClose, open);
    if (name_end == text.npos) break;
    const std::string name(text.substr(open + 3, name_end - open - 3));
    const std::string end_marker = "{{/" + name + "}}";
    const std::size_t end = text.find(end_marker, name_end);
    if (end == text.npos) break;  // an unclosed block stays as text (a template bug, visible)
    out += text.substr(at, open - at);
    const std::string_view inner = text.substr(name_end + 2, end - name_end - 2);
    if (on.count(name)) out += keep_blocks(inner, on);
    at = end + end_marker.size();
  }
  out += text.substr(at);
  return out;
}

// Fills every {{name}} of `slots` in one pass: a value is never read again, so nothing a case
// holds can open a slot or a translation of its own.
std::string fill_slots(std::string_view text, const std::map<std::string, std::string>& slots) {
  std::string out;
  std::size_t at = 0;
  for (std::size_t open = text.find(kOpen); open != text.npos; open = text.find(kOpen, at)) {
    const std::size_t close = text.find(kClose, open);
    if (close == text.npos) break;
    auto it = slots.find(std::string(text.substr(open + 2, close - open - 2)));
    out += text.substr(at, open - at);
    out += it == slots.end() ? std::string(text.substr(open, close + 2 - open)) : it->second;
    at = close + 2;
  }
  out += text.substr(at);
  return out;
}

std::string list_html(const std::vector<std::string>& items) {
  std::string out = "<ol>";
  for (const auto& i : items) out += "<li>" + html_escape(i) + "</li>";
  return out + "</ol>";
}

// The applied event the paper is about: the create, or for a notice the latest supplement
// request (a notice before any request is the create's office telling what is missing).
const TimelineEntry* acting_event(PaperKind kind, const CaseState& s) {
  const TimelineEntry* created = nullptr;
  const TimelineEntry* requested = nullptr;
  for (const auto& t : s.timeline) {
    if (!t.applied) continue;
    if (t.kind == kinds::kCreated && !created) created = &t;
    if (t.kind == kinds::kSupplementRequested) requested = &t;
  }
  return kind == PaperKind::kNotice && requested ? requested : created;
}

bool waiting_for_materials(const CaseState& s) {
  if (s.status == CaseStatus::kSupplementRequested || s.pause_started_ms) return true;
  for (const auto& h : s.hops) {
    if (h.pause_started_ms && !h.superseded) return true;
  }
  return false;
}

std::set<std::string> blocks_of(const PaperView& v) {
  std::set<std::string> on = {paper_kind_name(v.kind)};
  on.insert(v.limit_working_days ? "limit" : "no_limit");
  on.insert(!v.due.empty() ? "due" : v.due_paused ? "paused" : "no_due");
  if (v.received.empty()) on.insert("no_received");
  if (v.missing.empty()) on.insert("no_missing");
  if (v.clerk.empty()) on.insert("no_clerk");
  return on;
}

}  // namespace

const char* paper_kind_name(PaperKind kind) {
  return kind == PaperKind::kReceipt ? "receipt" : "notice";
}

std::optional<PaperKind> paper_kind_from_name(std::string_view name) {
  if (name == "receipt") return PaperKind::kReceipt;
  if (name == "notice") return PaperKind::kNotice;
  return std::nullopt;
}

std::string local_time_text(const WorkCalendar& calendar, std::uint64_t utc_ms) {
  const std::int64_t day = calendar.local_day(utc_ms);
  const std::uint64_t minute = (utc_ms - calendar.day_start_utc(day)) / 60000;
  const CivilDate d = civil_from_day(day);
  char out[32];
  std::snprintf(out, sizeof(out), "%04d-%02u-%02u %02u:%02u", d.year, d.month, d.day,
                static_cast<unsigned>(minute / 60), static_cast<unsigned>(minute % 60));
  return out;
}

PaperView paper_view(PaperKind kind, const CaseState& s, const Matter* matter, const Roster& roster,
                     const DeadlineInputs& deadlines) {
  const WorkCalendar& cal = *deadlines.calendar;
  PaperView v;
  v.kind = kind;
  v.case_id = s.id;
  v.matter_code = s.matter;
  v.matter_name = matter ? matter->name : "";
  v.applicant = masked_value(s.applicant);
  v.id_number = s.id_number.empty() ? "" : masked_value(s.id_number);
  v.received_at = local_time_text(cal, s.received_ms);
  const TimelineEntry* acting = acting_event(kind, s);
  v.node = acting ? acting->origin : s.receiving_node;
  const RosterNode* office = roster.find(v.node);
  v.node_name = office ? office->name : v.node;
  if (acting && !acting->actor.empty()) v.clerk = acting->actor.name + " (" + acting->actor.id + ")";
  v.limit_working_days = deadlines.matter_limit_days ? deadlines.matter_limit_days(s.matter) : 0;
  if (!v.limit_working_days && matter) v.limit_working_days = matter->limit_working_days;
  if (auto due = case_deadline(s, deadlines)) v.due = local_time_text(cal, due->due_ms);
  v.due_paused = v.due.empty() && waiting_for_materials(s);
  v.received = materials_received(s);
  if (matter) v.missing = materials_missing(s, matter->materials);
  v.date = local_time_text(cal, acting ? acting->ms : s.received_ms).substr(0, 10);
  return v;
}

std::string render_paper(const PaperView& v, UiLanguage language, const MessageCatalog& chinese) {
  const std::string kept = keep_blocks(reinterpret_cast<const char*>(kPaperHtml), blocks_of(v));
  const std::string translated = render_page(kept, "", language, chinese);
  const std::map<std::string, std::string> slots = {
      {"kind", paper_kind_name(v.kind)},
      {"case_id", html_escape(v.case_id)},
      {"matter_code", html_escape(v.matter_code)},
      {"matter_name", html_escape(v.matter_name)},
      {"applicant", html_escape(v.applicant)},
      {"id_number", v.id_number.empty() ? "—" : html_escape(v.id_number)},
      {"received_at", html_escape(v.received_at)},
      {"node", html_escape(v.node)},
      {"node_name", html_escape(v.node_name)},
      {"clerk", html_escape(v.clerk)},
      {"limit_days", std::to_string(v.limit_working_days)},
      {"due", html_escape(v.due)},
      {"received", v.received.empty() ? "" : list_html(v.received)},
      {"missing", v.missing.empty() ? "" : list_html(v.missing)},
      {"date", html_escape(v.date)}};
  return fill_slots(translated, slots);
}

}  // namespace casesync
