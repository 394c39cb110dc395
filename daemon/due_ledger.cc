#include "daemon/due_ledger.h"

namespace casesync {

namespace {
std::string meta_key(const std::string& key) { return "due:" + key; }
}  // namespace

std::optional<DueRecord> DueLedger::stored(const std::string& key) const {
  if (auto p = pending_.find(key); p != pending_.end()) return p->second;
  auto text = store_->get_meta(meta_key(key));
  // An unreadable record reads as none: the due time is then shown without a note.
  if (!text.is_ok() || !text->has_value()) return std::nullopt;
  return decode_due_record(**text);
}

DueRecord DueLedger::remember(const std::string& key, std::uint64_t version,
                              std::uint64_t due_ms) {
  const std::optional<DueRecord> was = stored(key);
  const DueRecord now = advance_due_record(was, version, due_ms);
  if (!was || !(*was == now)) pending_[key] = now;
  return now;
}

Status DueLedger::flush() {
  if (pending_.empty()) return Status::ok();
  RETURN_IF_ERROR(store_->begin());
  for (const auto& [key, record] : pending_) {
    if (Status st = store_->put_meta(meta_key(key), encode_due_record(record)); !st.is_ok()) {
      store_->rollback();
      return st;
    }
  }
  RETURN_IF_ERROR(store_->commit());
  pending_.clear();
  return Status::ok();
}

}  // namespace casesync
