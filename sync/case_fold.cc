#include "sync/case_fold.h"

#include <algorithm>
#include <set>

#include "sync/case_kinds.h"
#include "sync/case_rules.h"
#include "sync/event_content.h"
#include "sync/hlc.h"
#include "sync/stall_sighting.h"

namespace casesync {

namespace {

using namespace kinds;

std::string name_of(const Event& e) { return e.origin + ":" + std::to_string(e.seq); }

std::string body(const Event& e, std::string_view key) { return e.field(std::string(key)); }

void add_to_path(CaseState& s, const std::string& node) {
  if (!node.empty() && !s.on_path(node)) s.path.push_back(node);
}

// A completion or withdrawal closes the case; a completion says who completed it and as what.
void close_case(CaseState& s, const Event& e, std::uint64_t ms) {
  const bool completed = e.kind == kCompleted;
  s.status = completed ? CaseStatus::kCompleted : CaseStatus::kWithdrawn;
  s.outcome = completed ? body(e, kOutcome) : "";
  s.completed_ms = completed ? ms : 0;
  s.completed_by = completed ? e.origin : "";
  s.completion_authority =
      !completed ? "" : body(e, kAuthority) == kDistrictAdmin ? "district_admin" : "receiving_office";
}

std::string close_summary(const CaseState& s, const Event& e) {
  std::string out = e.kind + (s.outcome.empty() ? "" : " " + s.outcome) + " by " + e.origin;
  if (s.completion_authority == "district_admin") out += " (district admin)";
  return out;
}

}  // namespace

// A stall_seen changes nothing of the case; the sightings feed sync/stall_fold.h.
std::string CaseFolder::note_sighting(const Event& e) {
  const auto x = read_sighting(e);  // the rules checked it: present
  if (!x) return e.kind;
  state_.sightings.push_back(*x);
  const std::string what = x->stage == "case" ? "the case" : "hop " + x->hop;
  const char* steps[] = {"due soon", "overdue", "overdue, escalated", "overdue, escalated twice"};
  return "stall seen by " + e.origin + ": " + what + " " + x->stage + " " + steps[x->step] +
         " (its own clock)";
}

int CaseFolder::level_of(const std::string& node) const {
  return static_cast<int>(roster_->ancestors_of(node).size());
}

bool CaseFolder::is_ancestor(std::size_t ancestor, std::size_t of) const {
  std::vector<std::size_t> stack{of};
  std::set<std::size_t> seen;
  while (!stack.empty()) {
    std::size_t i = stack.back();
    stack.pop_back();
    for (const auto& p : events_[i].parents) {
      auto it = index_of_.find(p);
      if (it == index_of_.end()) continue;
      if (it->second == ancestor) return true;
      if (seen.insert(it->second).second) stack.push_back(it->second);
    }
  }
  return false;
}

std::size_t CaseFolder::blocker_index(Blocker b, const Event& e) const {
  auto in = [](const std::map<std::string, std::size_t>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? SIZE_MAX : it->second;
  };
  switch (b) {
    case Blocker::kNone: return SIZE_MAX;
    case Blocker::kHolder: return holder_set_by_;
    case Blocker::kTerminal: return terminal_set_by_;
    case Blocker::kHopAccepted: return in(hop_accepted_by_, body(e, kHop));
    case Blocker::kHopAnswered: return in(hop_answered_by_, body(e, kHop));
    case Blocker::kReopened: return reopened_by_;
    case Blocker::kCreated: return created_by_;
  }
  return SIZE_MAX;
}

void CaseFolder::apply(const OrderedEvent& e) {
  const std::size_t idx = events_.size();
  events_.push_back({e.event.parents});
  names_.push_back(name_of(e.event));
  index_of_[e.record.hash] = idx;
  applied_.push_back(e);
  const std::set<Hash32> parents(e.event.parents.begin(), e.event.parents.end());
  const bool saw_everything = parents == heads_;
  for (const auto& p : parents) {
    referenced_.insert(p);
    heads_.erase(p);
  }
  if (!referenced_.count(e.record.hash)) heads_.insert(e.record.hash);

  // An author who had not seen everything folded so far is judged first by what it had seen:
  // refused there, the event is invalid, whatever happened concurrently.
  const Verdict here = check_event(e.event, state_, *roster_);
  const Verdict past = saw_everything ? here : verdict_in_own_past(idx, e);
  if (!past.ok) {
    // English, never the reader's language: `invalid` is part of the state hash.
    state_.invalid.push_back(names_[idx] + " " + past.reason.english());
    record(e, false, "invalid: " + past.reason.english());
  } else if (here.ok) {
    mutate(idx, e);
    record_clashes(idx, e.event);
  } else {
    resolve_conflict(idx, e, here.reason.english(), here.blocker);
  }
}

const ClashRule* clash_rule(std::string_view a, std::string_view b) {
  for (const auto& r : kClashRules) {
    if ((r.first == a && r.second == b) || (r.first == b && r.second == a)) return &r;
  }
  return nullptr;
}

bool CaseFolder::still_applied(std::size_t idx) const {
  // terminal_race may take a terminal event back after it was applied.
  for (const auto& t : state_.timeline) {
    if (t.origin + ":" + std::to_string(t.seq) == names_[idx]) return t.applied;
  }
  return false;
}

// An applied event concurrent with an applied event of a clashing kind: both stand, and the
// clash is recorded (the table in the header names the loser).
void CaseFolder::record_clashes(std::size_t idx, const Event& e) {
  bool clashes = false;
  for (const auto& r : kClashRules) clashes = clashes || r.first == e.kind || r.second == e.kind;
  if (!clashes) return;
  for (std::size_t j : clash_candidates_) {
    const OrderedEvent& other = applied_[j];
    const ClashRule* rule = clash_rule(other.event.kind, e.kind);
    if (!rule || is_ancestor(j, idx) || !still_applied(j)) continue;
    const bool this_loses = rule->loser == e.kind;
    state_.conflicts.push_back({std::string(rule->rule), names_[this_loses ? j : idx],
                                names_[this_loses ? idx : j], std::string(rule->why)});
  }
  clash_candidates_.push_back(idx);
}

Verdict CaseFolder::verdict_in_own_past(std::size_t idx, const OrderedEvent& e) const {
  if (auto it = own_past_->find(e.record.hash); it != own_past_->end()) return it->second;
  std::set<std::size_t> past;
  std::vector<std::size_t> pending{idx};
  while (!pending.empty()) {
    std::size_t i = pending.back();
    pending.pop_back();
    for (const auto& p : events_[i].parents) {
      auto it = index_of_.find(p);
      // A parent not held here: the past is incomplete, so give the author the benefit.
      if (it == index_of_.end()) return Verdict::allow();
      if (it->second != idx && past.insert(it->second).second) pending.push_back(it->second);
    }
  }
  CaseFolder sub(roster_);
  sub.own_past_ = own_past_;
  for (std::size_t i : past) sub.apply(applied_[i]);  // ascending index = canonical order
  Verdict v = check_event(e.event, sub.state(), *roster_);
  own_past_->emplace(e.record.hash, v);
  return v;
}

// An event whose author had seen a create that lost duplicate_create but not the kept one: it
// was written for the duplicate.
bool CaseFolder::built_on_duplicate(std::size_t idx) const {
  if (duplicate_creates_.empty() || is_ancestor(created_by_, idx)) return false;
  for (std::size_t d : duplicate_creates_) {
    if (is_ancestor(d, idx)) return true;
  }
  return false;
}

// Allowed in its author's view, refused at its place in the order: a concurrent event got there
// first. The rules in the header decide; the loser is kept and recorded.
void CaseFolder::resolve_conflict(std::size_t idx, const OrderedEvent& e, const std::string& reason,
                                  Blocker b) {
  const Event& ev = e.event;
  if (b == Blocker::kCreated || built_on_duplicate(idx)) {
    if (b == Blocker::kCreated) duplicate_creates_.push_back(idx);
    state_.conflicts.push_back({"duplicate_create", names_[created_by_], names_[idx], reason});
    record(e, false, "duplicate_of " + names_[created_by_] + " (duplicate_create)");
    return;
  }
  std::size_t winner = blocker_index(b, ev);
  if (winner != SIZE_MAX && is_ancestor(winner, idx)) winner = SIZE_MAX;
  std::string rule = "stale_holder";
  if (b == Blocker::kHolder && ev.kind == kForwarded) rule = "concurrent_forward";
  if (b == Blocker::kHopAccepted) rule = "duplicate_accept";
  if (b == Blocker::kHopAnswered) rule = "answer_race";
  if (b == Blocker::kReopened) rule = "concurrent_reopen";
  if (b == Blocker::kTerminal) {
    rule = ev.kind == kEdited ? "edit_vs_terminal" : "after_terminal";
    if (ev.kind == kCompleted || ev.kind == kWithdrawn) {
      rule = "terminal_race";
      if (winner != SIZE_MAX && terminal_race_won(idx, ev, winner)) return;
    }
  }
  if (rule == "concurrent_forward") {
    // Keep the losing hop visible (its receiver may have signed for it) but out of play.
    Hop h{.id = names_[idx], .from = ev.origin, .to = body(ev, kTo), .desk = body(ev, kDesk),
          .forward_hash = e.record.hash, .forwarded_ms = HybridClock::millis(ev.hlc),
          .superseded = true};
    state_.hops.push_back(std::move(h));
  }
  const std::string winner_name = winner == SIZE_MAX ? "a concurrent event" : names_[winner];
  state_.conflicts.push_back({rule, winner_name, names_[idx], reason});
  record(e, false, "superseded by " + winner_name + " (" + rule + ")");
}

bool CaseFolder::terminal_race_won(std::size_t idx, const Event& ev, std::size_t holder_idx) {
  // The previous terminal event's author: recover it from its name "<origin>:<seq>".
  const std::string& prev = names_[holder_idx];
  const std::string prev_origin = prev.substr(0, prev.rfind(':'));
  if (level_of(ev.origin) >= level_of(prev_origin)) return false;
  for (auto& t : state_.timeline) {
    if (t.origin + ":" + std::to_string(t.seq) == prev) t.applied = false;
  }
  // The taken-back event no longer stands, so its clashes are no longer one side of two.
  std::erase_if(state_.conflicts, [&](const ConflictRecord& c) {
    return (c.winner == prev || c.loser == prev) &&
           std::any_of(std::begin(kClashRules), std::end(kClashRules),
                       [&](const ClashRule& r) { return r.rule == c.rule; });
  });
  close_case(state_, ev, HybridClock::millis(ev.hlc));
  state_.conflicts.push_back({"terminal_race", names_[idx], prev,
                              "the higher level's " + ev.kind + " wins over " + prev});
  terminal_set_by_ = idx;
  record({EventRecord{}, ev}, true, close_summary(state_, ev) + " (won terminal_race)");
  record_clashes(idx, ev);
  return true;
}

void CaseFolder::mutate_hop_receipt(const Event& e, std::uint64_t ms) {
  Hop* hop = state_.find_hop(body(e, kHop));
  const bool current = hop == state_.current_hop();
  if (e.kind == kDelivered) {
    std::string at = body(e, kReceivedAt);
    hop->delivered_ms = parse_u64(at).value_or(ms);
    if (hop->stage == HopStage::kForwarded) hop->stage = HopStage::kDelivered;
    if (current && state_.status == CaseStatus::kForwarded) state_.status = CaseStatus::kDelivered;
    return;
  }
  if (e.kind == kAccepted) {
    hop->accepted_ms = ms;
    hop->accepted_by = actor_of(e);
    hop->stage = HopStage::kAccepted;
    if (current) state_.status = CaseStatus::kAccepted;
    return;
  }
  if (e.kind == kSupplementRequested) {
    hop->stage = HopStage::kSupplementRequested;
    hop->supplement_requests++;
    if (hop->pause_started_ms == 0) hop->pause_started_ms = ms;
    if (current) state_.status = CaseStatus::kSupplementRequested;
    return;
  }
  // replied or returned: the answer goes back to the hop's sender.
  if (hop->pause_started_ms) hop->paused_ms += ms - std::min(ms, hop->pause_started_ms);
  hop->pause_started_ms = 0;
  hop->answered_ms = ms;
  hop->answered_by = actor_of(e);
  hop->stage = e.kind == kReplied ? HopStage::kAnswered : HopStage::kReturned;
  hop->outcome = e.kind == kReplied ? body(e, kOutcome) : "returned";
  hop->reason = body(e, kReason);
  if (e.kind == kReturned) state_.bounces++;  // 退回 sends the case back: a bounce (来回跑)
  // Hops nest (community -> street -> district and back): an answer to an older hop moves the
  // case back when the answering node holds it, even though a later hop exists.
  if (current || state_.holder == e.origin) {
    state_.status = e.kind == kReplied ? CaseStatus::kAnswered : CaseStatus::kReturned;
    state_.holder = hop->from;
  }
}

void CaseFolder::record(const OrderedEvent& e, bool applied, std::string summary) {
  TimelineEntry t{HybridClock::millis(e.event.hlc), e.event.origin, e.event.seq, e.event.kind,
                  std::move(summary), applied, state_.holder};
  t.actor = actor_of(e.event);
  if (e.event.kind == kEdited) t.edited_field = body(e.event, kField);
  state_.timeline.push_back(std::move(t));
}

void CaseFolder::mutate(std::size_t idx, const OrderedEvent& oe) {
  const Event& e = oe.event;
  const std::uint64_t ms = HybridClock::millis(e.hlc);
  CaseState& s = state_;
  std::string summary = e.kind;
  if (e.kind == kCreated) {
    s.exists = true;
    s.id = e.case_id;
    s.matter = body(e, kMatter);
    s.applicant = body(e, kApplicant);
    s.id_number = body(e, kIdNumber);
    s.materials = materials_list(body(e, kMaterials));
    for (const auto& [k, v] : e.body) {
      const bool named = k == kMatter || k == kApplicant || k == kIdNumber || k == kMaterials;
      if (!named && !is_actor_key(k)) s.fields[k] = v;
    }
    s.receiving_node = s.holder = e.origin;
    s.status = CaseStatus::kReceived;
    s.received_ms = ms;
    add_to_path(s, e.origin);
    holder_set_by_ = idx;
    created_by_ = idx;
    summary = "received at " + e.origin + " for matter " + s.matter;
  } else if (e.kind == kPrereviewed) {
    if (s.status == CaseStatus::kReceived || s.status == CaseStatus::kReopened) {
      s.status = CaseStatus::kPrereviewed;
    }
  } else if (e.kind == kForwarded) {
    Hop h{.id = names_[idx], .from = e.origin, .to = body(e, kTo), .desk = body(e, kDesk),
          .forward_hash = oe.record.hash, .forwarded_ms = ms, .forwarded_by = actor_of(e)};
    std::string due = body(e, kDueWorkingDays);
    if (auto days = parse_u64(due); days && *days <= 3650) h.due_working_days = static_cast<std::uint32_t>(*days);
    for (const auto& prev : s.hops) {
      if (!prev.superseded && prev.from == h.to) h.bounce = true;
    }
    if (h.bounce) s.bounces++;
    summary = "forwarded " + e.origin + " -> " + h.to + (h.desk.empty() ? "" : " desk " + h.desk) +
              (h.bounce ? " (bounce)" : "");
    add_to_path(s, h.to);
    s.holder = h.to;
    s.status = CaseStatus::kForwarded;
    s.hops.push_back(std::move(h));
    holder_set_by_ = idx;
  } else if (e.kind == kDelivered || e.kind == kAccepted || e.kind == kReplied ||
             e.kind == kReturned || (e.kind == kSupplementRequested && !body(e, kHop).empty())) {
    summary = apply_receipt(idx, e, ms);
  } else if (e.kind == kSupplementRequested) {
    if (s.status != CaseStatus::kSupplementRequested) status_before_supplement_ = s.status;
    s.status = CaseStatus::kSupplementRequested;
    if (s.pause_started_ms == 0) s.pause_started_ms = ms;  // the case's clock waits
    summary = note_supplement(e);
  } else if (e.kind == kSupplementProvided) {
    summary = apply_supplement_provided(e, ms);
  } else if (e.kind == kNotified) {
    s.applicant_notified = true;
    summary = "applicant notified by " + e.origin;
  } else if (e.kind == kWithdrawn || e.kind == kCompleted) {
    close_case(s, e, ms);
    terminal_set_by_ = idx;
    summary = close_summary(s, e);
  } else if (e.kind == kReopened) {
    s.status = CaseStatus::kReopened;
    s.holder = e.origin;
    s.completed_ms = 0;
    s.completed_by.clear();
    s.completion_authority.clear();
    add_to_path(s, e.origin);
    holder_set_by_ = idx;
    reopened_by_ = idx;
    terminal_set_by_ = SIZE_MAX;
  } else if (e.kind == kEdited) {
    summary = apply_edit(idx, e);
  } else if (e.kind == kStallSeen) {
    summary = note_sighting(e);
  } else if (e.kind == kViewedFull) {
    const Actor a = actor_of(e);
    summary = "unmasked view (" + body(e, kShown) + ") by " + a.id + " (" + a.role + ") at " +
              e.origin;
  }
  record(oe, true, std::move(summary));
}

// A hop's receipt or answer: the hop's stage, and the holder when the answer moves the case.
std::string CaseFolder::apply_receipt(std::size_t idx, const Event& e, std::uint64_t ms) {
  CaseState& s = state_;
  const std::string holder_before = s.holder;
  mutate_hop_receipt(e, ms);
  const std::string hop = body(e, kHop);
  if (e.kind == kAccepted) hop_accepted_by_[hop] = idx;
  if (e.kind == kReplied || e.kind == kReturned) {
    hop_answered_by_[hop] = idx;
    if (s.holder != holder_before) holder_set_by_ = idx;
  }
  std::string detail;
  if (e.kind == kSupplementRequested) detail = ": " + note_supplement(e);
  if (e.kind == kReturned) detail = ": back to " + s.find_hop(hop)->from + " (bounce)";
  return e.kind + " hop " + hop + detail;
}

// The applicant brought the materials: the paused clocks (the window's, the hop's) run again,
// and the materials named (an older event names none) are received.
std::string CaseFolder::apply_supplement_provided(const Event& e, std::uint64_t ms) {
  CaseState& s = state_;
  std::string summary = e.kind;
  const auto brought = materials_list(body(e, kMaterials));
  for (const auto& m : brought) {
    if (std::find(s.materials_supplied.begin(), s.materials_supplied.end(), m) ==
        s.materials_supplied.end()) {
      s.materials_supplied.push_back(m);
    }
    summary += (&m == &brought.front() ? ": " : "; ") + m;
  }
  if (s.pause_started_ms) {
    s.paused_ms += ms - std::min(ms, s.pause_started_ms);
    s.pause_started_ms = 0;
  }
  Hop* h = const_cast<Hop*>(s.current_hop());
  if (h && h->pause_started_ms) {
    h->paused_ms += ms - std::min(ms, h->pause_started_ms);
    h->pause_started_ms = 0;
    if (h->stage == HopStage::kSupplementRequested) h->stage = HopStage::kAccepted;
  }
  if (s.status == CaseStatus::kSupplementRequested) {
    // Back to where the request interrupted the case (a hop's acceptance, or the window).
    const bool hop_waiting = h && h->stage == HopStage::kAccepted && h->answered_ms == 0;
    s.status = hop_waiting ? CaseStatus::kAccepted : status_before_supplement_;
  }
  return summary;
}

std::string CaseFolder::note_supplement(const Event& e) {
  CaseState& s = state_;
  s.supplement_requests++;
  // 一次性告知: every missing material must be listed at once; a second request is flagged.
  if (s.supplement_requests >= 2) s.repeated_supplement = true;
  auto listed = materials_list(body(e, kMaterials));
  s.supplement_materials.insert(s.supplement_materials.end(), listed.begin(), listed.end());
  std::string out = "requested " + std::to_string(listed.size()) + " material(s)";
  if (s.repeated_supplement) out += " (REPEATED request: 一次性告知 not met)";
  return out;
}

std::string CaseFolder::apply_edit(std::size_t idx, const Event& e) {
  const std::string f = body(e, kField);
  auto prev = field_set_by_.find(f);
  if (prev != field_set_by_.end() && !is_ancestor(prev->second, idx)) {
    // Two edits of one field that did not see each other: the later HLC (this one, since the
    // fold runs in HLC order among concurrent events) wins; the earlier is kept as superseded.
    state_.conflicts.push_back({"concurrent_edit", names_[idx], names_[prev->second],
                                "field " + f + ": later HLC wins"});
    for (auto& t : state_.timeline) {
      if (t.origin + ":" + std::to_string(t.seq) == names_[prev->second]) t.applied = false;
    }
  }
  state_.fields[f] = body(e, kValue);
  field_set_by_[f] = idx;
  return "edited " + f + " = " + body(e, kValue);
}

CaseState CaseFolder::finish() const {
  CaseState out = state_;
  out.state_hash = case_state_hash(out);
  return out;
}

CaseState fold_case(const std::vector<OrderedEvent>& ordered, const Roster& roster) {
  CaseFolder f(&roster);
  for (const auto& e : ordered) f.apply(e);
  return f.finish();
}

}  // namespace casesync
