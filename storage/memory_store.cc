#include "storage/memory_store.h"

#include <algorithm>
#include <cassert>

namespace casesync {

// --- transactions ---

void MemoryStore::crash() { rollback(); }

void MemoryStore::set_fail_commits(bool fail) { fail_commits_ = fail; }

Status MemoryStore::begin() {
  assert(!in_transaction_ && "begin() while a transaction is open");
  assert(undo_log_.empty());
  in_transaction_ = true;
  return Status::ok();
}

Status MemoryStore::commit() {
  assert(in_transaction_ && "commit() without begin()");
  if (fail_commits_) {
    return Status::error(Code::kDiskFull, "memory store: commit refused (simulated full disk)");
  }
  undo_log_.clear();
  in_transaction_ = false;
  return Status::ok();
}

void MemoryStore::rollback() {
  if (!in_transaction_) return;
  for (auto undo = undo_log_.rbegin(); undo != undo_log_.rend(); ++undo) (*undo)();
  undo_log_.clear();
  in_transaction_ = false;
}

void MemoryStore::require_transaction() const {
  assert(in_transaction_ && "Store contract: every mutating call happens inside begin()/commit()");
}

void MemoryStore::on_rollback(std::function<void()> undo) { undo_log_.push_back(std::move(undo)); }

// --- events ---

const EventRecord* MemoryStore::find(const std::string& origin, std::uint64_t seq) const {
  const auto found = by_key_.find(EventKey{origin, seq});
  return found == by_key_.end() ? nullptr : &events_[found->second - 1];
}

Result<InsertResult> MemoryStore::insert_event(const EventRecord& event) {
  require_transaction();
  if (const EventRecord* held = find(event.origin, event.seq)) {
    const InsertOutcome outcome =
        held->hash == event.hash ? InsertOutcome::kDuplicate : InsertOutcome::kEquivocation;
    return InsertResult{outcome, held->local_seq, held->hash};
  }
  const std::uint64_t local_seq = events_.size() + 1;
  EventKey key{event.origin, event.seq};
  events_.push_back(event);
  events_.back().local_seq = local_seq;
  by_key_.emplace(key, local_seq);
  by_case_[event.case_id].push_back(local_seq);
  on_rollback([this, key = std::move(key), case_id = event.case_id] {
    events_.pop_back();
    by_key_.erase(key);
    const auto case_entry = by_case_.find(case_id);
    case_entry->second.pop_back();
    if (case_entry->second.empty()) by_case_.erase(case_entry);
  });
  return InsertResult{InsertOutcome::kInserted, local_seq, {}};
}

Result<std::uint64_t> MemoryStore::replace_event(const EventRecord& event) {
  require_transaction();
  const EventKey key{event.origin, event.seq};
  const auto found = by_key_.find(key);
  if (found == by_key_.end()) {
    return Status::error(Code::kNotFound, "no event " + event.origin + ":" + std::to_string(event.seq));
  }
  const std::uint64_t old_seq = found->second;
  EventRecord old = events_[old_seq - 1];
  std::vector<std::uint64_t>& old_case = by_case_[old.case_id];
  old_case.erase(std::find(old_case.begin(), old_case.end(), old_seq));
  if (old_case.empty()) by_case_.erase(old.case_id);
  events_[old_seq - 1].local_seq = 0;
  replaced_++;
  const std::uint64_t local_seq = events_.size() + 1;
  events_.push_back(event);
  events_.back().local_seq = local_seq;
  found->second = local_seq;
  by_case_[event.case_id].push_back(local_seq);
  on_rollback([this, key, old = std::move(old), old_seq, case_id = event.case_id] {
    events_.pop_back();
    std::vector<std::uint64_t>& now_case = by_case_[case_id];
    now_case.pop_back();
    if (now_case.empty()) by_case_.erase(case_id);
    events_[old_seq - 1] = old;
    replaced_--;
    by_key_[key] = old_seq;
    std::vector<std::uint64_t>& back = by_case_[old.case_id];
    back.insert(std::lower_bound(back.begin(), back.end(), old_seq), old_seq);
  });
  return local_seq;
}

Result<std::uint64_t> MemoryStore::last_seq(const std::string& origin) {
  // by_key_ sorts by (origin, seq): the entry before the first of the next origin.
  auto it = by_key_.lower_bound({origin + '\0', 0});
  if (it == by_key_.begin()) return std::uint64_t{0};
  --it;
  return it->first.first == origin ? it->first.second : 0;
}

Result<std::uint64_t> MemoryStore::contiguous_seq(const std::string& origin) {
  std::uint64_t run = 0;
  for (auto it = by_key_.lower_bound({origin, 1}); it != by_key_.end() && it->first.first == origin &&
                                                   it->first.second == run + 1;
       ++it) {
    run++;
  }
  return run;
}

Result<std::optional<EventRecord>> MemoryStore::get_event(const std::string& origin,
                                                          std::uint64_t seq) {
  const EventRecord* held = find(origin, seq);
  if (held == nullptr) return std::optional<EventRecord>();
  return std::optional<EventRecord>(*held);
}

Result<std::vector<EventRecord>> MemoryStore::case_events(const std::string& case_id) {
  std::vector<EventRecord> out;
  const auto case_entry = by_case_.find(case_id);
  if (case_entry == by_case_.end()) return out;
  for (const std::uint64_t local_seq : case_entry->second) out.push_back(events_[local_seq - 1]);
  return out;
}

Result<std::vector<CaseRow>> MemoryStore::list_cases(std::size_t limit) {
  std::vector<CaseRow> rows;
  for (const auto& [case_id, local_seqs] : by_case_) {
    CaseRow row{case_id, local_seqs.size(), events_[local_seqs.front() - 1].hlc, 0};
    for (const std::uint64_t local_seq : local_seqs) {
      row.first_hlc = std::min(row.first_hlc, events_[local_seq - 1].hlc);
      row.last_hlc = std::max(row.last_hlc, events_[local_seq - 1].hlc);
    }
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const CaseRow& a, const CaseRow& b) {
    return a.last_hlc > b.last_hlc;  // by_case_ already orders ties by case_id
  });
  if (rows.size() > limit) rows.resize(limit);
  return rows;
}

Result<std::vector<EventRecord>> MemoryStore::events_after(std::uint64_t after_local_seq,
                                                           std::size_t max_items) {
  std::vector<EventRecord> out;
  // events_[i] holds local_seq i + 1, so the first one after `after_local_seq` is at that index.
  for (std::uint64_t i = after_local_seq; i < events_.size() && out.size() < max_items; ++i) {
    if (events_[i].local_seq != 0) out.push_back(events_[i]);
  }
  return out;
}

Result<StoreStats> MemoryStore::stats() { return StoreStats{events_.size() - replaced_, 0, 0}; }

// --- outboxes ---

MemoryStore::Peer& MemoryStore::peer_for_write(const std::string& peer) {
  const auto [entry, created] = peers_.try_emplace(peer);
  if (created) on_rollback([this, peer] { peers_.erase(peer); });
  return entry->second;
}

Result<std::uint64_t> MemoryStore::enqueue(const std::string& peer, const std::string& origin,
                                           std::uint64_t seq) {
  require_transaction();
  if (find(origin, seq) == nullptr) {
    return Status::error(Code::kNotFound, "memory store: cannot enqueue " + origin + "/" +
                                              std::to_string(seq) + " for " + peer +
                                              ": the event is not stored");
  }
  Peer& entry = peer_for_write(peer);
  const std::uint64_t pos = entry.next_pos++;
  entry.outbox.emplace(pos, EventKey{origin, seq});
  on_rollback([this, peer, pos] {
    Peer& undone = peers_.at(peer);
    undone.outbox.erase(pos);
    undone.next_pos = pos;
  });
  return pos;
}

Result<std::vector<OutboxItem>> MemoryStore::read_outbox(const std::string& peer,
                                                         std::uint64_t after_pos,
                                                         std::size_t max_items,
                                                         std::size_t max_bytes) {
  std::vector<OutboxItem> items;
  const auto entry = peers_.find(peer);
  if (entry == peers_.end()) return items;
  const auto& outbox = entry->second.outbox;
  std::size_t total_bytes = 0;
  for (auto it = outbox.upper_bound(after_pos); it != outbox.end() && items.size() < max_items;
       ++it) {
    const EventRecord* event = find(it->second.first, it->second.second);
    assert(event != nullptr && "enqueue() only accepts stored events, which are never deleted");
    const std::size_t size = event->signed_bytes.size() + event->signature.size();
    if (!items.empty() && total_bytes + size > max_bytes) break;
    total_bytes += size;
    items.push_back({it->first, *event});
  }
  return items;
}

Status MemoryStore::trim_outbox(const std::string& peer, std::uint64_t through_pos) {
  require_transaction();
  const auto entry = peers_.find(peer);
  if (entry == peers_.end()) return Status::ok();
  auto& outbox = entry->second.outbox;
  std::map<std::uint64_t, EventKey> removed;
  while (!outbox.empty() && outbox.begin()->first <= through_pos) {
    removed.insert(outbox.extract(outbox.begin()));
  }
  if (removed.empty()) return Status::ok();
  on_rollback([this, peer, removed = std::move(removed)]() mutable {
    peers_.at(peer).outbox.merge(removed);
  });
  return Status::ok();
}

std::unique_ptr<MemoryStore> MemoryStore::backup() const {
  assert(!in_transaction_ && "back up between transactions");
  auto copy = std::make_unique<MemoryStore>();
  copy->events_ = events_;
  copy->replaced_ = replaced_;
  copy->by_key_ = by_key_;
  copy->by_case_ = by_case_;
  copy->peers_ = peers_;
  copy->meta_ = meta_;
  copy->audience_ = audience_;
  return copy;
}

Status MemoryStore::reset_outbox(const std::string& peer, std::uint64_t next_pos) {
  require_transaction();
  Peer& entry = peer_for_write(peer);
  on_rollback([this, peer, outbox = entry.outbox, old_next = entry.next_pos] {
    Peer& undone = peers_.at(peer);
    undone.outbox = outbox;
    undone.next_pos = old_next;
  });
  entry.outbox.clear();
  entry.next_pos = next_pos;
  return Status::ok();
}

Result<OutboxStats> MemoryStore::outbox_stats(const std::string& peer, std::uint64_t acked_pos) {
  OutboxStats stats;
  const auto entry = peers_.find(peer);
  if (entry == peers_.end()) return stats;
  const auto& outbox = entry->second.outbox;
  const auto first_pending = outbox.upper_bound(acked_pos);
  stats.pending = static_cast<std::uint64_t>(std::distance(first_pending, outbox.end()));
  if (first_pending != outbox.end()) {
    stats.oldest_pending_hlc = find(first_pending->second.first, first_pending->second.second)->hlc;
  }
  stats.last_pos = entry->second.next_pos - 1;
  if (!outbox.empty()) stats.first_pos = outbox.begin()->first;
  return stats;
}

// --- checkpoints, metadata, audiences ---

Result<PeerCheckpoint> MemoryStore::load_checkpoint(const std::string& peer) {
  const auto entry = peers_.find(peer);
  return entry == peers_.end() ? PeerCheckpoint{} : entry->second.checkpoint;
}

Status MemoryStore::save_checkpoint(const std::string& peer, const PeerCheckpoint& cp) {
  require_transaction();
  Peer& entry = peer_for_write(peer);
  on_rollback([this, peer, old = entry.checkpoint] { peers_.at(peer).checkpoint = old; });
  entry.checkpoint = cp;
  return Status::ok();
}

Result<std::optional<std::string>> MemoryStore::get_meta(const std::string& key) {
  const auto entry = meta_.find(key);
  if (entry == meta_.end()) return std::optional<std::string>();
  return std::optional<std::string>(entry->second);
}

Status MemoryStore::put_meta(const std::string& key, const std::string& value) {
  require_transaction();
  const auto entry = meta_.find(key);
  std::optional<std::string> old;
  if (entry != meta_.end()) old = entry->second;
  on_rollback([this, key, old = std::move(old)] {
    if (old.has_value()) {
      meta_[key] = *old;
    } else {
      meta_.erase(key);
    }
  });
  meta_[key] = value;
  return Status::ok();
}

Result<std::vector<std::string>> MemoryStore::case_audience(const std::string& case_id) {
  const auto entry = audience_.find(case_id);
  if (entry == audience_.end()) return std::vector<std::string>();
  return std::vector<std::string>(entry->second.begin(), entry->second.end());
}

Result<bool> MemoryStore::add_audience(const std::string& case_id, const std::string& node) {
  require_transaction();
  // A case already holding the node exists, so a refused insert leaves nothing to undo.
  if (!audience_[case_id].insert(node).second) return false;
  on_rollback([this, case_id, node] {
    const auto entry = audience_.find(case_id);
    entry->second.erase(node);
    if (entry->second.empty()) audience_.erase(entry);
  });
  return true;
}

}  // namespace casesync
