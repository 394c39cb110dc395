// DueLedger: the due times this node computed, each with the district policy version it was
// computed with (sync/due_record.h), kept in the store's metadata under "due:" + key. So when a
// newer policy moves a pending due time, `case trace` says which version moved it and what the
// due time was, after a restart too (docs/POLICY.md). Runs on the loop thread, which owns the
// store.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/status.h"
#include "storage/store.h"
#include "sync/due_record.h"

namespace casesync {

class DueLedger {
 public:
  // `store` must remain live while this ledger is in use.
  explicit DueLedger(Store* store) : store_(store) {}

  // The record of `key` once `due_ms` was computed with `version`; a change is kept in memory
  // and written by the next flush().
  DueRecord remember(const std::string& key, std::uint64_t version, std::uint64_t due_ms);
  // Writes the changed records in one transaction.
  Status flush();

 private:
  std::optional<DueRecord> stored(const std::string& key) const;

  Store* store_;
  std::map<std::string, DueRecord> pending_;  // changed since the last flush
};

}  // namespace casesync
