// The machine's durable-insert limit: events per second stored through SqliteStore (WAL,
// synchronous=FULL, so every commit is an fsync) in transactions of a fixed size — the most a
// node could store if storing were all it did.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "common/status.h"
#include "sync/event.h"

namespace casesync::bench {

// Events per transaction, as the issue fixes it; the daemon's default batch is 512.
constexpr std::size_t kInsertsPerTransaction = 500;
constexpr std::size_t kSingleCommits = 200;

struct SqliteLimits {
  double inserts_per_s = 0;
  std::uint64_t events = 0;
  // One event per transaction, as a single clerk's write or a lone event relayed at low rate:
  // the floor under every hop of the end-to-end latency.
  double single_commit_p50_ms = 0;
  double single_commit_p99_ms = 0;
  std::string synchronous;   // PRAGMA synchronous as SQLite reports it ("2" is FULL)
  std::string journal_mode;  // "wal"
};

// Creates a fresh database at `db_path` (removing an old one) and inserts copies of `sample`
// — renumbered, so each is a new (origin, seq) — in transactions of kInsertsPerTransaction until
// `duration` has passed; then times kSingleCommits transactions of one event each.
Result<SqliteLimits> measure_sqlite(const std::string& db_path, const Event& sample,
                                    std::chrono::milliseconds duration);

}  // namespace casesync::bench
