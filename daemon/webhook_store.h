// WebhookStore: where each webhook's delivery stands — its cursor (the local position delivered
// through) and its dead letters — in a small SQLite file of its own (DATA_DIR/webhooks.db).
// Its own file, so a delivery never takes the node database's one writer and no commit of its
// waits on the event loop; the node's database stays the only thing a backup must hold. After
// a restore the node's log may end before a cursor: the cursor is clamped to it at start, so
// nothing written after the restore is skipped (daemon/webhooks.h).
//
// The cursor and a dead letter move in one transaction. synchronous=NORMAL: a power cut may
// lose the last few moves, which only resends those events (delivery is at least once).
// Thread-safe (one mutex; the senders write a row per event).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

struct sqlite3;

namespace casesync {

struct DeadLetter {
  std::uint64_t local_seq = 0;  // the event's position in the node's log
  std::string case_id;
  std::string kind;
  std::string event_hash;       // hex: what the receiver dedupes by
  std::uint32_t attempts = 0;   // POSTs made for it (0: held behind an earlier dead letter)
  std::string error;            // the last failure, as the operator should read it
  std::uint64_t failed_at_ms = 0;
};

class WebhookStore {
 public:
  static Result<std::unique_ptr<WebhookStore>> open(const std::string& path);
  ~WebhookStore();
  WebhookStore(const WebhookStore&) = delete;
  WebhookStore& operator=(const WebhookStore&) = delete;

  // The position delivered (or dead-lettered) through; 0 for a new webhook.
  Result<std::uint64_t> cursor(const std::string& webhook);
  // Moves the cursor to `through`, keeping `dead` (if any) as a dead letter in the same
  // transaction.
  Status advance(const std::string& webhook, std::uint64_t through, const DeadLetter* dead);
  // Sets the cursor back to `through` (a restored database ends before it).
  Status clamp(const std::string& webhook, std::uint64_t through);
  // Oldest first, at most `limit`.
  Result<std::vector<DeadLetter>> dead_letters(const std::string& webhook, std::size_t limit);
  Result<std::uint64_t> dead_count(const std::string& webhook);
  // A dead letter was delivered on retry: gone. Or it failed again: its attempts and error.
  Status remove_dead(const std::string& webhook, std::uint64_t local_seq);
  Status update_dead(const std::string& webhook, const DeadLetter& dead);

 private:
  explicit WebhookStore(std::string path) : path_(std::move(path)) {}
  Status exec(const char* sql, const char* what);
  Status fail(const char* what) const;

  std::string path_;
  sqlite3* db_ = nullptr;
  mutable std::mutex mu_;
};

}  // namespace casesync
