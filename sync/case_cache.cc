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

Result<std::optional<CaseState>> CaseCache::causal_state(const Event& event) {
  ASSIGN_OR_RETURN(Entry * e, entry(event.case_id));
  // A past with a hole (an ancestor that is the other version of an equivocation, stood in for
  // by the version held here) is not the author's: the fold decides (sync/admission.h).
  for (const Hash32& r : e->referenced) {
    if (!e->stored.count(r)) return std::optional<CaseState>();
  }
  const std::set<Hash32> parents(event.parents.begin(), event.parents.end());
  if (parents == e->heads) {
    // The common case: the author had seen everything held here.
    if (!e->folder) RETURN_IF_ERROR(rebuild_folder(event.case_id, e));
    return std::optional<CaseState>(e->folder->state());
  }
  if (e->branch && e->branch->heads == parents) return std::optional<CaseState>(e->branch->folder->finish());
  // Walk the ancestry through what is stored; any missing ancestor makes the past incomplete.
  ASSIGN_OR_RETURN(auto records, store_->case_events(event.case_id));
  std::map<Hash32, const EventRecord*> by_hash;
  std::map<Hash32, std::vector<Hash32>> parents_of;
  for (const auto& r : records) {
    by_hash[r.hash] = &r;
    ASSIGN_OR_RETURN(Event ev, decode_event(r.signed_bytes));
    parents_of[r.hash] = ev.parents;
  }
  std::set<Hash32> past;
  std::vector<Hash32> pending(event.parents.begin(), event.parents.end());
  while (!pending.empty()) {
    Hash32 h = pending.back();
    pending.pop_back();
    if (!by_hash.count(h)) return std::optional<CaseState>();
    if (!past.insert(h).second) continue;
    for (const auto& p : parents_of[h]) pending.push_back(p);
  }
  std::vector<EventRecord> ancestors;
  for (const auto& h : past) ancestors.push_back(*by_hash[h]);
  ASSIGN_OR_RETURN(auto ordered, canonical_order(ancestors));
  Branch branch{parents, std::make_unique<CaseFolder>(roster_)};
  for (const auto& o : ordered) branch.folder->apply(o);
  CaseState folded = branch.folder->finish();
  e->branch = std::move(branch);
  return std::optional<CaseState>(std::move(folded));
}

void CaseCache::on_stored(const EventRecord& record, const Event& event) {
  auto it = entries_.find(event.case_id);
  if (it == entries_.end()) return;  // rebuilt from the store on next use
  Entry& e = it->second;
  const std::set<Hash32> parents(event.parents.begin(), event.parents.end());
  const bool extends_all = parents == e.heads;
  e.stored.insert(record.hash);
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
