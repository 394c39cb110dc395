// CrashPointStore: a Store that can die in the middle of a commit. It forwards every call to a
// MemoryStore; once armed, the chosen commit() does not commit: the open transaction is discarded
// (MemoryStore::crash, as power loss before fsync would) and NodeCrashed is thrown, unwinding out
// of the protocol core to the simulator, which then throws that SyncNode away — the process died.
// This reaches the crash windows a crash *between* calls cannot: mid-batch, mid-author, mid-ack.
#pragma once

#include <cstdint>

#include "storage/memory_store.h"

namespace casesync::sim {

// Thrown by an armed commit. Only the simulator catches it.
struct NodeCrashed {};

class CrashPointStore final : public Store {
 public:
  MemoryStore& memory() { return *memory_; }
  // Replaces everything committed with `snapshot` (a backup copied back by hand or by
  // `casesyncctl restore`). REQUIRES: no transaction is open.
  void replace(std::unique_ptr<MemoryStore> snapshot) { memory_ = std::move(snapshot); }
  // The `n`th commit from now (1 = the next one) crashes. 0 disarms.
  void arm(std::uint32_t n) { crash_in_commits_ = n; }
  bool armed() const { return crash_in_commits_ != 0; }

  Status begin() override { return memory_->begin(); }
  Status commit() override;
  void rollback() override { memory_->rollback(); }

  Result<InsertResult> insert_event(const EventRecord& e) override {
    return memory_->insert_event(e);
  }
  Result<std::uint64_t> replace_event(const EventRecord& e) override {
    return memory_->replace_event(e);
  }
  Result<std::uint64_t> enqueue(const std::string& peer, const std::string& origin,
                                std::uint64_t seq) override {
    return memory_->enqueue(peer, origin, seq);
  }
  Result<std::vector<OutboxItem>> read_outbox(const std::string& peer, std::uint64_t after_pos,
                                              std::size_t max_items,
                                              std::size_t max_bytes) override {
    return memory_->read_outbox(peer, after_pos, max_items, max_bytes);
  }
  Status trim_outbox(const std::string& peer, std::uint64_t through_pos) override {
    return memory_->trim_outbox(peer, through_pos);
  }
  Result<std::uint64_t> contiguous_seq(const std::string& origin) override {
    return memory_->contiguous_seq(origin);
  }
  Result<std::uint64_t> last_seq(const std::string& origin) override {
    return memory_->last_seq(origin);
  }
  Status reset_outbox(const std::string& peer, std::uint64_t next_pos) override {
    return memory_->reset_outbox(peer, next_pos);
  }
  Result<OutboxStats> outbox_stats(const std::string& peer, std::uint64_t acked_pos) override {
    return memory_->outbox_stats(peer, acked_pos);
  }
  Result<PeerCheckpoint> load_checkpoint(const std::string& peer) override {
    return memory_->load_checkpoint(peer);
  }
  Status save_checkpoint(const std::string& peer, const PeerCheckpoint& cp) override {
    return memory_->save_checkpoint(peer, cp);
  }
  Result<std::optional<std::string>> get_meta(const std::string& key) override {
    return memory_->get_meta(key);
  }
  Status put_meta(const std::string& key, const std::string& value) override {
    return memory_->put_meta(key, value);
  }
  Result<std::vector<std::string>> case_audience(const std::string& case_id) override {
    return memory_->case_audience(case_id);
  }
  Result<bool> add_audience(const std::string& case_id, const std::string& node) override {
    return memory_->add_audience(case_id, node);
  }
  Result<std::optional<EventRecord>> get_event(const std::string& origin,
                                               std::uint64_t seq) override {
    return memory_->get_event(origin, seq);
  }
  Result<std::vector<EventRecord>> case_events(const std::string& case_id) override {
    return memory_->case_events(case_id);
  }
  Result<std::vector<CaseRow>> list_cases(std::size_t limit) override {
    return memory_->list_cases(limit);
  }
  Result<std::vector<EventRecord>> events_after(std::uint64_t after_local_seq,
                                                std::size_t max_items) override {
    return memory_->events_after(after_local_seq, max_items);
  }
  Result<StoreStats> stats() override { return memory_->stats(); }

 private:
  std::unique_ptr<MemoryStore> memory_ = std::make_unique<MemoryStore>();
  std::uint32_t crash_in_commits_ = 0;
};

}  // namespace casesync::sim
