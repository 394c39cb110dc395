// ApplyTxn: one durable transaction of the core — a batch or urgent message applied, local events
// signed, a restored peer re-synced — and the one place that undoes what the core changed in
// memory when its commit fails (sequence number, chain hash, counters, the case cache), so that
// nothing is acknowledged or released that is not on disk.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "sync/node_core.h"

namespace casesync {

class ApplyTxn {
 public:
  // Begins at once; check begun() before using it. "*state" must outlive the transaction.
  explicit ApplyTxn(NodeCore* state);
  ApplyTxn(const ApplyTxn&) = delete;
  ApplyTxn& operator=(const ApplyTxn&) = delete;
  // Rolls back when neither commit() nor rollback() was called.
  ~ApplyTxn();

  const Status& begun() const { return begun_; }
  // Persists the identity (sequence, chain, clock) and commits. On failure everything is undone
  // and, for a disk error, `what` is alerted as disk trouble. Returns the failure.
  Status commit(const std::string& what);
  // Undoes everything (an error found before committing). Disk errors are alerted like commit's.
  void rollback(const Status& why, const std::string& what);
  // Events signed inside this transaction so far.
  std::uint64_t signed_here() const { return state_->id.next_seq - seq_before_; }

 private:
  void undo();

  NodeCore* state_;
  Status begun_;
  bool open_ = false;
  std::uint64_t seq_before_;
  Hash32 hash_before_;
  std::uint64_t applied_before_;
  std::uint64_t authored_before_;
};

}  // namespace casesync
