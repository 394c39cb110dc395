// SqliteStore: the durable Store of a real node, one SQLite file used through one connection.
// WAL mode with synchronous=FULL, so commit() returning ok means the transaction survives a power
// cut; BEGIN IMMEDIATE takes the write lock up front so a transaction never fails half-way on
// SQLITE_BUSY. Errors become statuses naming the file, SQLite's text and what the operator can do:
// SQLITE_FULL -> kDiskFull, SQLITE_IOERR* -> kIoError, SQLITE_CORRUPT / NOTADB -> kCorruption.
//
// Integers are stored as SQLite's signed 64-bit INTEGER: seq and hlc round-trip bit for bit;
// local_seq and outbox positions are assigned here and stay far below 2^63.
// Not thread-safe: one thread owns the store (DESIGN.md: one writer connection).
#pragma once

#include <memory>
#include <string>

#include "storage/store.h"

struct sqlite3;

namespace casesync {

namespace crypto {
class DataKey;
}

class SqliteStore final : public Store {
 public:
  // The schema version this code writes; open() migrates older files up to it.
  static constexpr int kSchemaVersion = 3;

  // Opens (creating if absent) the database at `path`, switches it to WAL, and migrates the schema
  // in one transaction. Refuses, with kInvalidArgument, a file written by a newer schema.
  // With the node's data key, every event is stored sealed under it (storage/sealed_events.h),
  // and events an older release or a keyless open left plain are sealed now; without one, events
  // are stored plain and sealed ones cannot be read (tests and tools only).
  // "*key" must remain live while the store is in use.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                   const crypto::DataKey* key = nullptr);

  // Rolls back a transaction left open, then closes the connection.
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // Copies the committed database to `dest_path` (replacing its content) with the online backup
  // API, then runs PRAGMA integrity_check on the copy: kCorruption when it is not "ok".
  // REQUIRES: no open transaction (the copy would otherwise hold its uncommitted changes).
  Status backup_to(const std::string& dest_path);

  // The value of a read-only PRAGMA on this connection as text ("journal_mode" -> "wal",
  // "synchronous" -> "2"), for diagnostics and tests. `name` must be [a-z_]+.
  Result<std::string> pragma(const std::string& name);

  const std::string& path() const { return path_; }

  // Reads every event, so that one that does not open under the store's key (another node's key,
  // an altered file) is found now: kCorruption naming it. For `casesyncctl restore`.
  Status check_events_open();
  // True when some event is sealed (so the data key that sealed it is needed to read it).
  Result<bool> holds_sealed_events();

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
  // Most recently active first (highest last_hlc), ties by case_id.
  Result<std::vector<CaseRow>> list_cases(std::size_t limit) override;
  Result<std::vector<EventRecord>> events_after(std::uint64_t after_local_seq,
                                                std::size_t max_items) override;
  Result<StoreStats> stats() override;

 private:
  class Query;        // one use of a cached statement: bind, step, read, reset
  struct Statements;  // every prepared statement, cached for the life of the store
  struct Existing {
    std::uint64_t local_seq = 0;
    Hash32 hash{};  // as the column holds it (a fingerprint when sealed)
    bool sealed = false;
  };

  SqliteStore(sqlite3* db, std::string path, const crypto::DataKey* key);
  Status configure();
  Status migrate();
  Status migrate_in_transaction();
  Status prepare_statements();
  Status seal_plain_events();
  Status read_plain_events(std::size_t max_rows, std::vector<EventRecord>* out);

  // Runs SQL that returns no rows (schema changes, BEGIN/COMMIT during open, setting pragmas).
  Status exec(const std::string& sql, const char* what);
  // The first column of the first row of `sql` as text ("" when there is no row).
  Result<std::string> query_text(const std::string& sql, const char* what);
  // Steps a statement that returns no rows.
  Status finish(Query& q, const char* what);
  // The first column of the single row a statement returns.
  Result<std::int64_t> single_int(Query& q, const char* what);
  // The caller must be in a transaction; SQLite may have ended it itself after an I/O error.
  Status require_transaction(const char* what) const;
  Result<std::optional<Existing>> find_event(const std::string& origin, std::uint64_t seq);
  Result<std::uint64_t> take_position(const std::string& peer);
  Result<Hash32> hash_at(const Query& q, int col) const;
  Result<EventRecord> read_event(const Query& q, int first_col) const;
  Result<std::vector<EventRecord>> read_events(Query& q, const char* what);
  // Maps a SQLite result code to a status naming this database and what was being done.
  Status fail(int rc, const char* what) const;

  sqlite3* db_;
  std::string path_;
  std::unique_ptr<Statements> stmts_;
  const crypto::DataKey* key_;   // null: events stored plain
  bool in_transaction_ = false;  // between a successful begin() and commit() / rollback()
};

}  // namespace casesync
