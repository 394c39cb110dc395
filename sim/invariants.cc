#include "sim/invariants.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/work_calendar.h"
#include "sim/sim_policy.h"
#include "sync/stall_detector.h"
#include "sync/case_fold.h"
#include "sync/case_kinds.h"
#include "sync/case_view.h"
#include "sync/routing.h"

namespace casesync::sim {

namespace {

using Key = std::pair<std::string, std::uint64_t>;  // (origin, seq)
using Events = std::vector<const EventRecord*>;

Key key_of(const EventRecord& r) { return {r.origin, r.seq}; }
std::string name_of(const EventRecord& r) { return r.origin + ":" + std::to_string(r.seq); }

// Derived once from the World and shared by every check.
struct Catalog {
  std::map<Key, const EventRecord*> origin_copy;         // each origin's own stored events
  std::map<std::string, Events> by_case;                 // every distinct event, by case, key order
  std::map<std::string, std::set<std::string>> holders;  // case -> nodes that should hold it
  // Cases with an event whose parent no node holds: the losing version of an equivocation,
  // whose origin (and so audience) the union no longer shows.
  std::set<std::string> with_lost_parent;
  std::vector<std::map<std::string, Events>> node_cases;  // per node: case -> events, local order
  std::vector<std::set<Key>> node_keys;
};

class Reporter {
 public:
  explicit Reporter(std::vector<Violation>* out) : out_(out) {}
  void add(std::string invariant, std::string node, std::string case_id, std::string detail) {
    if (count_++ < kViolationsPerCheckMax) {
      out_->push_back(
          {std::move(invariant), std::move(node), std::move(case_id), std::move(detail)});
    }
  }

 private:
  std::vector<Violation>* out_;
  std::size_t count_ = 0;
};

void add_with_ancestors(const Roster& roster, const std::string& node, std::set<std::string>* out) {
  out->insert(node);
  for (const auto& a : roster.ancestors_of(node)) out->insert(a);
}

// Audience per sync/routing.h: every origin and every forward's target, plus their ancestors;
// but no retired (revoked and switched off) node.
std::set<std::string> expected_holders(const World& w, const Events& events) {
  const Roster& roster = *w.roster;
  std::set<std::string> out;
  for (const EventRecord* r : events) {
    add_with_ancestors(roster, r->origin, &out);
    if (r->kind != kForwardKind) continue;
    auto e = decode_event(r->signed_bytes);
    if (e.is_ok() && roster.find(e->field("to"))) add_with_ancestors(roster, e->field("to"), &out);
  }
  for (const auto& n : w.nodes) {
    if (n.retired) out.erase(n.id);
  }
  return out;
}

Catalog build_catalog(const World& w) {
  Catalog c;
  std::map<Key, const EventRecord*> distinct;
  c.node_cases.resize(w.nodes.size());
  c.node_keys.resize(w.nodes.size());
  for (std::size_t i = 0; i < w.nodes.size(); ++i) {
    for (const auto& r : w.nodes[i].events) {
      if (r.origin == w.nodes[i].id) c.origin_copy[key_of(r)] = &r;
      if (w.nodes[i].retired) continue;  // what never left it is gone with it
      distinct.try_emplace(key_of(r), &r);
      c.node_cases[i][r.case_id].push_back(&r);
      c.node_keys[i].insert(key_of(r));
    }
  }
  for (const auto& [key, r] : distinct) c.by_case[r->case_id].push_back(r);
  std::set<Hash32> hashes;
  for (const auto& [key, r] : distinct) hashes.insert(r->hash);
  for (const auto& [case_id, events] : c.by_case) {
    c.holders[case_id] = expected_holders(w, events);
    for (const EventRecord* r : events) {
      auto e = decode_event(r->signed_bytes);
      if (!e.is_ok()) continue;
      for (const Hash32& p : e->parents) {
        if (!hashes.count(p)) c.with_lost_parent.insert(case_id);
      }
    }
  }
  return c;
}

void check_observations(const World& w, const Catalog&, Reporter& rep) {
  for (const auto& o : w.observations) rep.add(o.invariant, o.node, "", o.detail);
}

void check_acked(const World& w, const Catalog& c, Reporter& rep) {
  for (const auto& a : w.ledger->events()) {
    if (!a.written_off.empty()) continue;
    const std::string name = a.origin + ":" + std::to_string(a.seq);
    auto own = c.origin_copy.find({a.origin, a.seq});
    // An equivocator's write may lose to the other version of its seq by the fixed rule.
    const bool superseded = own != c.origin_copy.end() && own->second->hash != a.hash &&
                            w.equivocators.count(a.origin);
    if (own == c.origin_copy.end() || (own->second->hash != a.hash && !superseded)) {
      rep.add("acked_event_lost", a.origin, a.case_id,
              a.kind + " " + name + " acknowledged at " + std::to_string(a.acked_at_ms) +
                  " ms is not held by its own origin");
      continue;
    }
    if (superseded) continue;  // the kept version's holders are checked by the digests
    const auto holders = c.holders.find(a.case_id);
    if (holders == c.holders.end()) continue;  // held only by its own, retired origin
    for (std::size_t i = 0; i < w.nodes.size(); ++i) {
      if (holders->second.count(w.nodes[i].id) &&
          !c.node_keys[i].count({a.origin, a.seq})) {
        rep.add("acked_event_lost", w.nodes[i].id, a.case_id,
                a.kind + " " + name + " acknowledged at " + std::to_string(a.acked_at_ms) +
                    " ms is missing here");
      }
    }
  }
}

void check_phantoms(const World& w, const Catalog& c, Reporter& rep) {
  for (const auto& n : w.nodes) {
    if (n.retired) continue;
    for (const auto& r : n.events) {
      auto own = c.origin_copy.find(key_of(r));
      if (own == c.origin_copy.end()) {
        rep.add("phantom_event", n.id, r.case_id, name_of(r) + " is not held by its origin");
      } else if (own->second->hash != r.hash || own->second->signature != r.signature) {
        rep.add("phantom_event", n.id, r.case_id,
                name_of(r) + " differs from the origin's own copy (hash " + to_hex(r.hash) +
                    " vs " + to_hex(own->second->hash) + ")");
      }
    }
  }
}

void check_equivocation(const World& w, const Catalog&, Reporter& rep) {
  if (!w.equivocators.empty()) return;  // the run made some: counted and alerted on purpose
  for (const auto& n : w.nodes) {
    const auto chain = n.totals.rejects.find("chain_break");
    const auto alerts = n.totals.alerts.find(alert_kind_name(AlertKind::kEquivocation));
    const std::uint64_t breaks = chain == n.totals.rejects.end() ? 0 : chain->second;
    const std::uint64_t alerted = alerts == n.totals.alerts.end() ? 0 : alerts->second;
    if (n.totals.equivocations || breaks || alerted) {
      rep.add("equivocation", n.id, "",
              "equivocations=" + std::to_string(n.totals.equivocations) + " chain_breaks=" +
                  std::to_string(breaks) + " equivocation_alerts=" + std::to_string(alerted));
    }
  }
}

std::string first_difference(const Events& want, const Events& held) {
  std::set<Key> have;
  for (const EventRecord* r : held) have.insert(key_of(*r));
  std::size_t missing = 0;
  std::string first;
  for (const EventRecord* r : want) {
    if (have.count(key_of(*r))) continue;
    if (missing++ == 0) first = r->kind + " " + name_of(*r);
  }
  return "holds " + std::to_string(held.size()) + " of " + std::to_string(want.size()) +
         " events; missing " + std::to_string(missing) + (missing ? ", first " + first : "");
}

// (origin, case) of every losing version of an equivocation any node knows of.
std::set<std::pair<std::string, std::string>> lost_versions(const World& w) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& n : w.nodes) {
    if (!n.core) continue;
    for (const auto& [key, e] : n.core->evidence().all()) {
      for (const auto& l : e.losers) out.insert({l.origin, l.case_id});
    }
  }
  return out;
}

void check_case_sets(const World& w, const Catalog& c, Reporter& rep) {
  const auto lost = lost_versions(w);
  for (const auto& [case_id, events] : c.by_case) {
    const auto& holders = c.holders.at(case_id);
    for (std::size_t i = 0; i < w.nodes.size(); ++i) {
      if (w.nodes[i].retired) continue;
      auto held = c.node_cases[i].find(case_id);
      const bool should = holders.count(w.nodes[i].id) != 0;
      // A node that held the losing version of an equivocation holds the winner in its place,
      // whatever case the winner belongs to.
      const bool only_winners =
          held != c.node_cases[i].end() &&
          std::all_of(held->second.begin(), held->second.end(),
                      [&](const EventRecord* r) { return w.equivocators.count(r->origin) > 0; });
      const bool audience_unknown = !w.equivocators.empty() && c.with_lost_parent.count(case_id);
      // A node copied back by hand joined the case by an event of its own whose other version
      // won (seed 20261310241: s04's desk took a department system's case, then signed that seq
      // again): what it and the nodes above it (which relay for it) received for the case while
      // that version stood stays with them (seed 20261360032: s12 for its community s12-c03).
      bool joined_by_lost_version = false;
      for (const auto& [origin, lost_case] : lost) {
        joined_by_lost_version = joined_by_lost_version ||
                                 (lost_case == case_id && w.roster->in_subtree(origin, w.nodes[i].id));
      }
      if (!should && held != c.node_cases[i].end() && !only_winners && !audience_unknown &&
          !joined_by_lost_version) {
        rep.add("unexpected_case", w.nodes[i].id, case_id,
                "holds " + std::to_string(held->second.size()) +
                    " events of a case whose "
                    "audience does not reach it");
      } else if (should &&
                 (held == c.node_cases[i].end() || held->second.size() != events.size())) {
        rep.add("missing_events", w.nodes[i].id, case_id,
                first_difference(events, held == c.node_cases[i].end() ? Events{} : held->second));
      }
    }
  }
}

struct Folded {
  Hash32 digest{};
  Hash32 state_hash{};
};

Result<Folded> fold(const Events& events, const Roster& roster) {
  std::vector<EventRecord> records;
  records.reserve(events.size());
  for (const EventRecord* r : events) records.push_back(*r);
  ASSIGN_OR_RETURN(auto ordered, canonical_order(records));
  return Folded{events_digest(ordered), fold_case(ordered, roster).state_hash};
}

// Only cases whose event set is complete here: an incomplete one is reported by check_case_sets.
void check_node_digests(const World& w, const Catalog& c, std::size_t i,
                        const std::map<std::string, Folded>& reference, Reporter& rep) {
  const NodeSnapshot& n = w.nodes[i];
  for (const auto& [case_id, events] : c.node_cases[i]) {
    const auto ref = reference.find(case_id);
    if (ref == reference.end() || events.size() != c.by_case.at(case_id).size()) continue;
    auto mine = fold(events, *w.roster);
    if (!mine.is_ok() || mine->digest != ref->second.digest ||
        mine->state_hash != ref->second.state_hash) {
      rep.add("digest_mismatch", n.id, case_id,
              mine.is_ok() ? "digest " + to_hex(mine->digest) + " vs " + to_hex(ref->second.digest)
                           : mine.status().to_string());
      continue;
    }
    if (!n.core) continue;
    auto view = n.core->case_state(case_id);
    if (!view.is_ok() || case_state_hash(*view) != mine->state_hash) {
      rep.add("cache_fold_mismatch", n.id, case_id,
              view.is_ok() ? "the incrementally folded view differs from a full re-fold"
                           : view.status().to_string());
    }
  }
}

void check_digests(const World& w, const Catalog& c, Reporter& rep) {
  std::map<std::string, Folded> reference;
  for (const auto& [case_id, events] : c.by_case) {
    auto f = fold(events, *w.roster);
    if (!f.is_ok()) {
      rep.add("digest_mismatch", "", case_id,
              "the union of all copies does not fold: " + f.status().to_string());
      continue;
    }
    reference.emplace(case_id, *f);
  }
  for (std::size_t i = 0; i < w.nodes.size(); ++i) {
    if (!w.nodes[i].retired) check_node_digests(w, c, i, reference, rep);
  }
}

void check_seq_gaps(const World& w, const Catalog& c, Reporter& rep) {
  const auto district = std::find_if(w.nodes.begin(), w.nodes.end(), [&](const NodeSnapshot& n) {
    return w.roster->find(n.id)->role == Role::kDistrict;
  });
  if (district == w.nodes.end()) return;
  const auto& held = c.node_keys[static_cast<std::size_t>(district - w.nodes.begin())];
  for (const auto& n : w.nodes) {
    if (n.retired || w.equivocators.count(n.id)) continue;
    for (std::uint64_t seq = 1; seq <= n.last_seq; ++seq) {
      if (held.count({n.id, seq}) || w.lost_seqs.count({n.id, seq})) continue;
      rep.add("seq_gap", district->id, "",
              "holds " + n.id + "'s seqs only up to " + std::to_string(seq - 1) + " of " +
                  std::to_string(n.last_seq));
      break;
    }
  }
}

void check_hlc(const World& w, const Catalog& c, Reporter& rep) {
  const EventRecord* prev = nullptr;
  for (const auto& [key, r] : c.origin_copy) {
    if (w.equivocators.count(r->origin)) continue;
    if (prev && prev->origin == r->origin && prev->seq + 1 == r->seq && prev->hlc >= r->hlc) {
      rep.add("hlc_not_monotonic", r->origin, r->case_id,
              name_of(*r) + " has hlc " + std::to_string(r->hlc) + " <= its predecessor's " +
                  std::to_string(prev->hlc));
    }
    prev = r;
  }
}

// The creates of a case as one fold decided them: "kept A:1; duplicates B:2 C:3".
std::string creates_decided(const Events& events, const Roster& roster) {
  std::vector<EventRecord> records;
  for (const EventRecord* r : events) records.push_back(*r);
  auto ordered = canonical_order(records);
  if (!ordered.is_ok()) return ordered.status().to_string();
  const CaseState s = fold_case(*ordered, roster);
  std::string kept, duplicates;
  for (const auto& t : s.timeline) {
    if (t.kind != kinds::kCreated) continue;
    const std::string name = t.origin + ":" + std::to_string(t.seq);
    if (t.applied) kept += (kept.empty() ? "" : ",") + name;
    if (!t.applied) duplicates += " " + name + "(" + t.summary + ")";
  }
  return "kept " + kept + "; duplicates" + duplicates;
}

// A department system's reference names one case (sync/external_ref.h), and where one was
// created at several stations every node holding the case keeps the same create and marks the
// same others duplicate_of it.
void check_duplicates(const World& w, const Catalog& c, Reporter& rep) {
  std::map<std::string, std::set<std::string>> cases_of_ref;
  for (const auto& [case_id, events] : c.by_case) {
    std::size_t creates = 0;
    for (const EventRecord* r : events) {
      if (r->kind != kinds::kCreated) continue;
      ++creates;
      auto e = decode_event(r->signed_bytes);
      const std::string ref = e.is_ok() ? e->field("external_ref") : "";
      if (!ref.empty()) cases_of_ref[e->field("external_source") + " " + ref].insert(case_id);
    }
    if (creates < 2) continue;
    const std::string want = creates_decided(events, *w.roster);
    if (want.rfind("kept ", 0) != 0 || want.find(',') != std::string::npos ||
        want.rfind("kept ;", 0) == 0) {
      rep.add("duplicate_disagreement", "", case_id, "not exactly one create kept: " + want);
    }
    for (std::size_t i = 0; i < w.nodes.size(); ++i) {
      auto held = c.node_cases[i].find(case_id);
      if (held == c.node_cases[i].end() || held->second.size() != events.size()) continue;
      const std::string mine = creates_decided(held->second, *w.roster);
      if (mine != want) {
        rep.add("duplicate_disagreement", w.nodes[i].id, case_id, mine + " vs " + want);
      }
    }
  }
  for (const auto& [ref, cases] : cases_of_ref) {
    if (cases.size() < 2) continue;
    rep.add("duplicate_disagreement", "", *cases.begin(),
            "reference " + ref + " names " + std::to_string(cases.size()) + " cases");
  }
}

// After healing every node holds the district's newest policy bundle, byte for byte, and so
// computes the same due time for the same hop (docs/POLICY.md).
void check_policy(const World& w, const Catalog&, Reporter& rep) {
  const std::string want_text = sim_policy_text(w.policy_version);
  const std::uint64_t from = WorkCalendar::weekdays(8 * 60).day_start_utc(
      WorkCalendar::day_from_civil(2027, 2, 5));
  SignedDoc want{w.policy_version, want_text, ""};
  const std::uint64_t want_due = sim_policy_inputs(want).calendar.add_working_days(from, 3);
  for (const auto& n : w.nodes) {
    if (n.retired) continue;
    if (n.policy.version != w.policy_version || n.policy.text != want_text) {
      rep.add("policy_diverged", n.id, "",
              "holds policy version " + std::to_string(n.policy.version) + ", the district published " +
                  std::to_string(w.policy_version));
      continue;
    }
    const std::uint64_t due = sim_policy_inputs(n.policy).calendar.add_working_days(from, 3);
    if (due != want_due) {
      rep.add("policy_due_diverged", n.id, "",
              "due " + std::to_string(due) + " for a 3-working-day hop, the district " +
                  std::to_string(want_due));
    }
  }
}

// Issue 25: a stolen key decides no honest node's case. No node stores what the hostile forged;
// each node refused as `unauthorized` at most the forgeries it was sent that break their
// origin's own history (more would be an honest event refused: its author's work lost), and
// named the origin in a security alert when it refused them. A rollback by hand (equivocators)
// may branch a node's own history for real, so the count is not checked then.
void check_hostile(const World& w, const Catalog&, Reporter& rep) {
  const HostileRecord& h = w.hostile;
  for (const auto& n : w.nodes) {
    for (const auto& r : n.events) {
      if (h.forged.count(r.hash)) {
        rep.add("hostile_stored", n.id, r.case_id, r.kind + " " + name_of(r) + " was forged with " +
                                                       h.origin + "'s stolen key, and is stored");
      }
    }
    const auto due_it = h.refusals_due.find(n.id);
    const std::uint64_t due = due_it == h.refusals_due.end() ? 0 : due_it->second;
    const auto refused_it = n.totals.rejects.find("unauthorized");
    const std::uint64_t refused = refused_it == n.totals.rejects.end() ? 0 : refused_it->second;
    if (refused > due && w.equivocators.empty()) {
      rep.add("unauthorized_honest", n.id, "",
              "refused " + std::to_string(refused) + " events as unauthorized, of which only " +
                  std::to_string(due) + " were forged: an honest event was refused");
    }
    if (due > 0 && !n.security_origins.count(h.origin)) {
      rep.add("hostile_unnamed", n.id, "",
              "was sent " + std::to_string(due) + " forgeries signed with " + h.origin +
                  "'s key and raised no security alert naming " + h.origin);
    }
  }
}

// The due time of every pending deadline of a case (hop stages and the case's own), by key, as a
// node holding `policy` computes it from its own folded view.
std::map<std::string, std::uint64_t> dues_of(const CaseState& s, const SignedDoc& policy,
                                             const Roster& roster) {
  const SimPolicyInputs p = sim_policy_inputs(policy);
  DeadlineInputs in;
  in.roster = &roster;
  in.calendar = &p.calendar;
  in.policy = &p.stall;
  in.policy_version = policy.version;
  in.matter_limit_days = [](const std::string&) { return 3u; };  // every simulated matter
  std::map<std::string, std::uint64_t> out;
  for (const auto& h : s.hops) {
    if (auto d = hop_deadline(h, s, in)) out[due_key(s.id, h.id, d->stage)] = d->due_ms;
  }
  if (auto d = case_deadline(s, in)) out[due_key(s.id, "", "case")] = d->due_ms;
  return out;
}

// Once every node holds the same policy version, every node that holds a case whole computes
// the same due time for each of its hops (and the case), from its own view and its own bundle.
void check_hop_dues(const World& w, const Catalog& c, Reporter& rep) {
  for (const auto& n : w.nodes) {
    if (!n.retired && n.policy.version != w.policy_version) return;  // policy_diverged says so
  }
  std::map<std::string, std::pair<std::string, std::map<std::string, std::uint64_t>>> first;
  for (std::size_t i = 0; i < w.nodes.size(); ++i) {
    const NodeSnapshot& n = w.nodes[i];
    if (n.retired || !n.core) continue;
    for (const auto& [case_id, events] : c.node_cases[i]) {
      // Held in part, or only as versions no origin kept (phantoms): other checks' concern.
      auto expected = c.by_case.find(case_id);
      if (expected == c.by_case.end() || events.size() != expected->second.size()) continue;
      auto view = n.core->case_state(case_id);
      if (!view.is_ok()) continue;  // cache_fold_mismatch's concern
      auto dues = dues_of(*view, n.policy, *w.roster);
      auto [ref, inserted] = first.try_emplace(case_id, n.id, dues);
      if (inserted || ref->second.second == dues) continue;
      std::string which = "the set of pending deadlines";
      for (const auto& [key, due] : dues) {
        auto theirs = ref->second.second.find(key);
        if (theirs != ref->second.second.end() && theirs->second != due) {
          which = key + " due " + std::to_string(due) + " vs " + std::to_string(theirs->second);
          break;
        }
      }
      rep.add("policy_hop_due_diverged", n.id, case_id,
              which + " at " + ref->second.first + ", both at policy version " +
                  std::to_string(n.policy.version));
    }
  }
}

using Check = void (*)(const World&, const Catalog&, Reporter&);
// The extension point: stall attribution and receipt/trace completeness join this list.
constexpr Check kChecks[] = {check_observations, check_acked,    check_phantoms,
                             check_equivocation, check_case_sets, check_digests,
                             check_seq_gaps,     check_hlc,       check_duplicates,
                             check_policy,       check_hostile,  check_hop_dues};

}  // namespace

std::string to_string(const Violation& v) {
  std::string out = "invariant " + v.invariant + " failed";
  if (!v.node.empty()) out += ": node=" + v.node;
  if (!v.case_id.empty()) out += (v.node.empty() ? ": case=" : " case=") + v.case_id;
  return out + ": " + v.detail;
}

std::vector<Violation> check_world(const World& world) {
  const Catalog catalog = build_catalog(world);
  std::vector<Violation> out;
  for (Check check : kChecks) {
    Reporter rep(&out);
    check(world, catalog, rep);
  }
  return out;
}

}  // namespace casesync::sim
