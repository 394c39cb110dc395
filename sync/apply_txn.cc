#include "sync/apply_txn.h"

namespace casesync {

namespace {
bool disk_error(const Status& st) {
  return st.code() == Code::kDiskFull || st.code() == Code::kIoError;
}
}  // namespace

ApplyTxn::ApplyTxn(NodeCore* state)
    : state_(state),
      seq_before_(state->id.next_seq),
      hash_before_(state->id.last_hash),
      applied_before_(state->counters.events_applied),
      authored_before_(state->counters.events_authored) {
  begun_ = state_->store->begin();
  open_ = begun_.is_ok();
  if (!open_ && disk_error(begun_)) state_->commit_failed(begun_, "a transaction");
}

ApplyTxn::~ApplyTxn() {
  if (open_) undo();
}

Status ApplyTxn::commit(const std::string& what) {
  if (!open_) return begun_.is_ok() ? Status::error(Code::kInternal, "committed twice") : begun_;
  Status st = state_->id.persist(*state_->store);
  if (st.is_ok()) st = state_->store->commit();
  if (!st.is_ok()) {
    rollback(st, what);
    return st;
  }
  open_ = false;
  state_->disk_trouble = false;
  state_->counters.events_authored += signed_here();
  return Status::ok();
}

void ApplyTxn::rollback(const Status& why, const std::string& what) {
  if (!open_) return;
  undo();
  if (disk_error(why)) state_->commit_failed(why, what);
}

void ApplyTxn::undo() {
  open_ = false;
  state_->store->rollback();
  // The cache may hold events of the rolled-back transaction.
  state_->cases.clear();
  // Nothing was released, so these sequence numbers can be used again.
  state_->id.next_seq = seq_before_;
  state_->id.last_hash = hash_before_;
  state_->counters.events_applied = applied_before_;
  state_->counters.events_authored = authored_before_;
}

}  // namespace casesync
