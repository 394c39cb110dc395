#include "sync/case_cache.h"

#include <algorithm>

namespace casesync {

void CaseCache::touch(const std::string& case_id) {
  auto pos = lru_pos_.find(case_id);
  if (pos != lru_pos_.end()) lru_.erase(pos->second);
  lru_.push_front(case_id);
  lru_pos_[case_id] = lru_.begin();
  while (lru_.size() > kCasesMax) {
    entries_.erase(lru_.back());
    lru_pos_.erase(lru_.back());
    lru_.pop_back();
  }
}

void CaseCache::clear() {
  entries_.clear();
  lru_.clear();
  lru_pos_.clear();
}

Result<CaseCache::Entry*> CaseCache::entry(const std::string& case_id) {
  auto it = entries_.find(case_id);
  if (it == entries_.end()) {
    ASSIGN_OR_RETURN(auto records, store_->case_events(case_id));
    Entry e;
    for (const auto& r : records) {
      ASSIGN_OR_RETURN(Event ev, decode_event(r.signed_bytes));
      e.referenced.insert(ev.parents.begin(), ev.parents.end());
      e.graph[r.hash] = {ev.origin, ev.seq, ev.hlc, std::move(ev.parents)};
    }
    for (const auto& r : records) {
      e.stored.insert(r.hash);
      if (!e.referenced.count(r.hash)) e.heads.insert(r.hash);
    }
    it = entries_.emplace(case_id, std::move(e)).first;
  }
  touch(case_id);
  return &it->second;
}

Status CaseCache::rebuild_folder(const std::string& case_id, Entry* e) {
  ASSIGN_OR_RETURN(auto records, store_->case_events(case_id));
  ASSIGN_OR_RETURN(auto ordered, canonical_order(records));
  e->folder = std::make_unique<CaseFolder>(roster_);
  for (const auto& o : ordered) e->folder->apply(o);
  return Status::ok();
}

Result<bool> CaseCache::holds_parents_of(const Event& event) {
  ASSIGN_OR_RETURN(Entry * e, entry(event.case_id));
  return std::all_of(event.parents.begin(), event.parents.end(),
                     [&](const Hash32& p) { return e->stored.count(p) > 0; });
}

Result<std::vector<Hash32>> CaseCache::missing_parents(const Event& event) {
  ASSIGN_OR_RETURN(Entry * e, entry(event.case_id));
  std::vector<Hash32> out;
  for (const Hash32& p : event.parents) {
    if (!e->stored.count(p)) out.push_back(p);
  }
  return out;
}

Result<std::vector<Hash32>> CaseCache::heads(const std::string& case_id) {
  ASSIGN_OR_RETURN(Entry * e, entry(case_id));
  return std::vector<Hash32>(e->heads.begin(), e->heads.end());
}

Result<CaseState> CaseCache::current_state(const std::string& case_id) {
  ASSIGN_OR_RETURN(Entry * e, entry(case_id));
  if (!e->folder) RETURN_IF_ERROR(rebuild_folder(case_id, e));
  return e->folder->state();
}

std::optional<std::set<Hash32>> CaseCache::ancestry(
    const Entry& e, const std::vector<Hash32>& parents, const Unheld& unheld,
    std::map<Hash32, EventRecord>* unheld_seen) const {
  std::set<Hash32> past;
  std::vector<Hash32> pending(parents.begin(), parents.end());
  while (!pending.empty()) {
    const Hash32 h = pending.back();
    pending.pop_back();
    if (!past.insert(h).second) continue;
    if (auto it = e.graph.find(h); it != e.graph.end()) {
      pending.insert(pending.end(), it->second.parents.begin(), it->second.parents.end());
      continue;
    }
    std::optional<EventRecord> version = unheld ? unheld(h) : std::nullopt;
    if (!version) return std::nullopt;
    auto ev = decode_event(version->signed_bytes);
    if (!ev.is_ok()) return std::nullopt;  // evidence is verified on arrival: cannot happen
    pending.insert(pending.end(), ev->parents.begin(), ev->parents.end());
    unheld_seen->emplace(h, std::move(*version));
  }
  return past;
}

Result<std::optional<CaseState>> CaseCache::causal_state(const Event& event, const Unheld& unheld) {
  ASSIGN_OR_RETURN(Entry * e, entry(event.case_id));
  const std::set<Hash32> parents(event.parents.begin(), event.parents.end());
  const bool whole = std::all_of(e->referenced.begin(), e->referenced.end(),
                                 [&](const Hash32& r) { return e->stored.count(r) > 0; });
  if (whole && parents == e->heads) {
    // The common case: the author had seen everything held here, and nothing is missing.
    if (!e->folder) RETURN_IF_ERROR(rebuild_folder(event.case_id, e));
    return std::optional<CaseState>(e->folder->state());
  }
  if (e->branch && e->branch->heads == parents) return std::optional<CaseState>(e->branch->folder->finish());
  // Walk the ancestry; a version no node keeps comes from the evidence, and any other missing
  // ancestor leaves the past unknown.
  std::map<Hash32, EventRecord> unheld_seen;
  auto past = ancestry(*e, event.parents, unheld, &unheld_seen);
  if (!past) return std::optional<CaseState>();
  ASSIGN_OR_RETURN(auto records, store_->case_events(event.case_id));
  std::vector<EventRecord> ancestors;
  for (auto& r : records) {
    if (past->count(r.hash)) ancestors.push_back(std::move(r));
  }
  for (auto& [h, r] : unheld_seen) ancestors.push_back(std::move(r));
  ASSIGN_OR_RETURN(auto ordered, canonical_order(ancestors));
  Branch branch{parents, std::make_unique<CaseFolder>(roster_)};
  for (const auto& o : ordered) branch.folder->apply(o);
  CaseState folded = branch.folder->finish();
  if (unheld_seen.empty()) e->branch = std::move(branch);  // on_stored continues only stored pasts
  return std::optional<CaseState>(std::move(folded));
}

Result<OwnHistory> CaseCache::own_history(const Event& event, const Unheld& unheld) {
  ASSIGN_OR_RETURN(Entry * e, entry(event.case_id));
  OwnHistory h;
  Hash32 before{};
  for (const auto& [hash, n] : e->graph) {
    if (n.origin != event.origin) continue;
    if (n.seq < event.seq && (!h.has_before || n.seq > h.before_seq)) {
      h = {true, n.seq, n.hlc, false, h.after_seq};
      before = hash;
    }
    if (n.seq > event.seq && (h.after_seq == 0 || n.seq < h.after_seq)) h.after_seq = n.seq;
  }
  if (!h.has_before) return h;
  const std::set<Hash32> parents(event.parents.begin(), event.parents.end());
  if (parents == e->heads) {
    h.before_is_ancestor = true;  // every held event lies below the heads
    return h;
  }
  std::map<Hash32, EventRecord> unheld_seen;
  auto past = ancestry(*e, event.parents, unheld, &unheld_seen);
  if (!past) {
    h.past_unknown = true;
    return h;
  }
  h.before_is_ancestor = past->count(before) > 0;
  for (const auto& [hash, r] : unheld_seen) {
    // The other version of the origin's previous event: the chain runs through it, and its
    // time, not the held version's, is the one the arriving event must follow (seed
    // 20261217024: a community copied back by hand signed seq 5 again later; its old seq 6,
    // built on the old 5, was refused as backdated against the new one and its feed stalled).
    if (r.origin == event.origin && r.seq == h.before_seq) {
      if (!h.before_is_ancestor) h.before_hlc = r.hlc;
      h.before_is_ancestor = true;
    }
  }
  return h;
}

void CaseCache::on_stored(const EventRecord& record, const Event& event) {
  auto it = entries_.find(event.case_id);
  if (it == entries_.end()) return;  // rebuilt from the store on next use
  Entry& e = it->second;
  const std::set<Hash32> parents(event.parents.begin(), event.parents.end());
  const bool extends_all = parents == e.heads;
  e.stored.insert(record.hash);
  e.graph[record.hash] = {event.origin, event.seq, event.hlc, event.parents};
  for (const auto& p : event.parents) {
    e.referenced.insert(p);
    e.heads.erase(p);
  }
  if (!e.referenced.count(record.hash)) e.heads.insert(record.hash);
  // A child of every head comes last in canonical order, so the fold can simply continue;
  // anything else may land mid-order and needs a re-fold.
  if (extends_all && e.folder) {
    e.folder->apply({record, event});
  } else {
    e.folder.reset();
  }
  // The same reasoning for the side branch: a child of all its heads continues its fold.
  if (e.branch && parents == e.branch->heads) {
    e.branch->folder->apply({record, event});
    e.branch->heads = {record.hash};
  }
}

}  // namespace casesync
