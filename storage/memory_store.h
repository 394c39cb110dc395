// MemoryStore: the Store of unit tests and the deterministic simulator. Everything lives in
// ordered containers, so every run visits data in the same order. A transaction changes the data
// in place and logs how to undo each change: begin() costs nothing, commit() drops the log, and
// rollback() or a simulated crash() replays it backwards. Only committed data survives a crash().
// Not thread-safe; one simulated node owns it.
#pragma once

#include <functional>
#include <memory>
#include <map>
#include <set>
#include <utility>

#include "storage/store.h"

namespace casesync {

class MemoryStore final : public Store {
 public:
  MemoryStore() = default;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // Simulates a process crash: the open transaction, if any, is lost; committed data stays and
  // the store is ready for the restarted node.
  void crash();
  // While set, commit() fails with kDiskFull and leaves the transaction open for the caller to
  // roll back, as SQLite may on SQLITE_FULL.
  void set_fail_commits(bool fail);
  // A copy of what is committed, as an online backup would take it (tests of restore).
  // REQUIRES: no transaction is open.
  std::unique_ptr<MemoryStore> backup() const;
  // The highest local_seq given so far: grows with every insert and replacement (the simulator
  // notices any change of what is stored with it).
  std::uint64_t local_seq_high() const { return events_.size(); }

  Status begin() override;
  Status commit() override;
  void rollback() override;

  Result<InsertResult> insert_event(const EventRecord& event) override;
  Result<std::uint64_t> replace_event(const EventRecord& event) override;

  Result<std::uint64_t> enqueue(const std::string& peer, const std::string& origin,
                                std::uint64_t seq) override;
  Result<std::vector<OutboxItem>> read_outbox(const std::string& peer, std::uint64_t after_pos,
                                              std::size_t max_items,
                                              std::size_t max_bytes) override;
  Status trim_outbox(const std::string& peer, std::uint64_t through_pos) override;
  Status reset_outbox(const std::string& peer, std::uint64_t next_pos) override;
  Result<OutboxStats> outbox_stats(const std::string& peer, std::uint64_t acked_pos) override;

  Result<PeerCheckpoint> load_checkpoint(const std::string& peer) override;
  Status save_checkpoint(const std::string& peer, const PeerCheckpoint& cp) override;

  Result<std::optional<std::string>> get_meta(const std::string& key) override;
  Status put_meta(const std::string& key, const std::string& value) override;

  Result<std::vector<std::string>> case_audience(const std::string& case_id) override;
  Result<bool> add_audience(const std::string& case_id, const std::string& node) override;

  Result<std::optional<EventRecord>> get_event(const std::string& origin,
                                               std::uint64_t seq) override;
  Result<std::uint64_t> last_seq(const std::string& origin) override;
  Result<std::uint64_t> contiguous_seq(const std::string& origin) override;
  Result<std::vector<EventRecord>> case_events(const std::string& case_id) override;
  // Most recently active first (highest last_hlc), ties by case_id, as SqliteStore.
  Result<std::vector<CaseRow>> list_cases(std::size_t limit) override;
  Result<std::vector<EventRecord>> events_after(std::uint64_t after_local_seq,
                                                std::size_t max_items) override;
  // event_count only: nothing is on disk, so db_bytes and wal_bytes are 0.
  Result<StoreStats> stats() override;

 private:
  using EventKey = std::pair<std::string, std::uint64_t>;  // (origin, seq)
  struct Peer {
    std::uint64_t next_pos = 1;  // survives trims: positions are never reused
    PeerCheckpoint checkpoint;
    std::map<std::uint64_t, EventKey> outbox;  // pos -> event
  };

  void require_transaction() const;
  // Logs how to undo a change the open transaction just made.
  void on_rollback(std::function<void()> undo);
  // The peer's entry, created (undoably) when absent.
  Peer& peer_for_write(const std::string& peer);
  const EventRecord* find(const std::string& origin, std::uint64_t seq) const;

  std::vector<EventRecord> events_;  // events_[local_seq - 1]; local_seq 0 there: replaced
  std::uint64_t replaced_ = 0;      // slots of events_ that a replace_event emptied
  std::map<EventKey, std::uint64_t> by_key_;                   // (origin, seq) -> local_seq
  std::map<std::string, std::vector<std::uint64_t>> by_case_;  // case_id -> local_seqs, ascending
  std::map<std::string, Peer> peers_;
  std::map<std::string, std::string> meta_;
  std::map<std::string, std::set<std::string>> audience_;
  std::vector<std::function<void()>> undo_log_;  // the open transaction's changes, oldest first
  bool in_transaction_ = false;
  bool fail_commits_ = false;
};

}  // namespace casesync
