#include "storage/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <limits>
#include <utility>

#include "storage/sealed_events.h"

namespace casesync {
namespace {

// Long enough to wait out `casesyncctl` or a backup holding a lock, short enough that a second
// daemon on the same file fails visibly instead of hanging.
constexpr int kBusyTimeoutMs = 5000;
// integrity_check stops after this many problems: enough to diagnose, short enough to log.
constexpr int kIntegrityProblemsMax = 10;

// Entry i moves the schema from user_version i to i + 1, inside the transaction open() runs.
// Append only: a released entry is never edited, or databases that already ran it would differ.
constexpr const char* kMigrations[] = {
    // v1: the event log, per-peer outboxes and progress, small metadata, case audiences.
    R"sql(
CREATE TABLE events (
  local_seq    INTEGER PRIMARY KEY,  -- rowid: max + 1 on insert; events are never deleted
  origin       TEXT    NOT NULL,
  seq          INTEGER NOT NULL,
  hlc          INTEGER NOT NULL,
  case_id      TEXT    NOT NULL,
  kind         TEXT    NOT NULL,
  signed_bytes BLOB    NOT NULL,
  signature    BLOB    NOT NULL,
  hash         BLOB    NOT NULL,
  UNIQUE (origin, seq)
);
CREATE INDEX events_by_case ON events (case_id);  -- rowid is implicit, so entries sort by local_seq
CREATE TABLE outbox (
  peer   TEXT    NOT NULL,
  pos    INTEGER NOT NULL,
  origin TEXT    NOT NULL,
  seq    INTEGER NOT NULL,
  PRIMARY KEY (peer, pos)
) WITHOUT ROWID;
CREATE TABLE peers (
  peer             TEXT    PRIMARY KEY,
  next_pos         INTEGER NOT NULL DEFAULT 1,  -- survives trims: positions are never reused
  sent_acked_pos   INTEGER NOT NULL DEFAULT 0,
  recv_applied_pos INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE audience (
  case_id TEXT NOT NULL,
  node    TEXT NOT NULL,
  PRIMARY KEY (case_id, node)
) WITHOUT ROWID;
)sql",
    // v2: the restore epoch last seen from each peer, so a delayed Hello from before a peer's
    // restore is not mistaken for a new restore.
    R"sql(
ALTER TABLE peers ADD COLUMN peer_epoch INTEGER NOT NULL DEFAULT 0;
)sql",
    // v3: events sealed under the node's data key (storage/sealed_events.h). Rows written before
    // stay plain (0) until a store opened with the key seals them.
    R"sql(
ALTER TABLE events ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
)sql",
};
static_assert(std::size(kMigrations) == SqliteStore::kSchemaVersion,
              "kSchemaVersion must equal the number of migrations");

// Every statement the store runs after open(), prepared once.
enum class Sql : std::size_t {
  kBegin,
  kCommit,
  kRollback,
  kInsertEvent,
  kFindEvent,
  kMaxLocalSeq,
  kDeleteEvent,
  kInsertEventAt,
  kLastSeq,
  kContiguousSeq,
  kGetEvent,
  kCaseEvents,
  kEventsAfter,
  kListCases,
  kCountEvents,
  kTakePosition,
  kInsertOutbox,
  kReadOutbox,
  kTrimOutbox,
  kClearOutbox,
  kSetNextPos,
  kOutboxStats,
  kLoadCheckpoint,
  kSaveCheckpoint,
  kGetMeta,
  kPutMeta,
  kCaseAudience,
  kAddAudience,
  kDbBytes,
  kPlainEvents,
  kSealEvent,
  kCount
};

// The columns read_event() expects, in its order.
#define CASESYNC_EVENT_COLUMNS                                                                \
  "e.origin, e.seq, e.hlc, e.case_id, e.kind, e.signed_bytes, e.signature, e.hash, e.local_seq, " \
  "e.sealed"

struct SqlText {
  Sql id;
  const char* text;
};
constexpr SqlText kSql[] = {
    {Sql::kBegin, "BEGIN IMMEDIATE"},
    {Sql::kCommit, "COMMIT"},
    {Sql::kRollback, "ROLLBACK"},
    {Sql::kInsertEvent,
     "INSERT INTO events (origin, seq, hlc, case_id, kind, signed_bytes, signature, hash, sealed) "
     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (origin, seq) DO NOTHING"},
    {Sql::kFindEvent, "SELECT local_seq, hash, sealed FROM events WHERE origin = ? AND seq = ?"},
    {Sql::kMaxLocalSeq, "SELECT COALESCE(MAX(local_seq), 0) FROM events"},
    {Sql::kDeleteEvent, "DELETE FROM events WHERE origin = ? AND seq = ?"},
    {Sql::kInsertEventAt,
     "INSERT INTO events (local_seq, origin, seq, hlc, case_id, kind, signed_bytes, signature, hash, "
     "sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
    {Sql::kLastSeq, "SELECT COALESCE(MAX(seq), 0) FROM events WHERE origin = ?"},
    // The first held seq with no successor ends the run from 1 (UNIQUE (origin, seq) indexes it).
    {Sql::kContiguousSeq,
     "SELECT CASE WHEN EXISTS (SELECT 1 FROM events WHERE origin = ?1 AND seq = 1) THEN "
     "(SELECT MIN(e.seq) FROM events e WHERE e.origin = ?1 AND NOT EXISTS "
     "(SELECT 1 FROM events n WHERE n.origin = ?1 AND n.seq = e.seq + 1)) ELSE 0 END"},
    {Sql::kGetEvent,
     "SELECT " CASESYNC_EVENT_COLUMNS " FROM events e WHERE e.origin = ? AND e.seq = ?"},
    {Sql::kCaseEvents,
     "SELECT " CASESYNC_EVENT_COLUMNS " FROM events e WHERE e.case_id = ? ORDER BY e.local_seq"},
    {Sql::kEventsAfter, "SELECT " CASESYNC_EVENT_COLUMNS
                        " FROM events e WHERE e.local_seq > ? ORDER BY e.local_seq LIMIT ?"},
    {Sql::kListCases,
     "SELECT case_id, COUNT(*), MIN(hlc), MAX(hlc) FROM events GROUP BY case_id "
     "ORDER BY MAX(hlc) DESC, case_id LIMIT ?"},
    {Sql::kCountEvents, "SELECT COUNT(*) FROM events"},
    // A peer first seen here starts at position 1; next_pos then holds the one after.
    {Sql::kTakePosition,
     "INSERT INTO peers (peer, next_pos) VALUES (?, 2) "
     "ON CONFLICT (peer) DO UPDATE SET next_pos = next_pos + 1 RETURNING next_pos - 1"},
    {Sql::kInsertOutbox, "INSERT INTO outbox (peer, pos, origin, seq) VALUES (?, ?, ?, ?)"},
    {Sql::kReadOutbox, "SELECT o.pos, " CASESYNC_EVENT_COLUMNS
                       " FROM outbox o JOIN events e ON e.origin = o.origin AND e.seq = o.seq"
                       " WHERE o.peer = ? AND o.pos > ? ORDER BY o.pos LIMIT ?"},
    {Sql::kTrimOutbox, "DELETE FROM outbox WHERE peer = ? AND pos <= ?"},
    {Sql::kClearOutbox, "DELETE FROM outbox WHERE peer = ?"},
    {Sql::kSetNextPos,
     "INSERT INTO peers (peer, next_pos) VALUES (?1, ?2) "
     "ON CONFLICT (peer) DO UPDATE SET next_pos = excluded.next_pos"},
    {Sql::kOutboxStats,
     "SELECT (SELECT COUNT(*) FROM outbox WHERE peer = ?1 AND pos > ?2),"
     " COALESCE((SELECT e.hlc FROM outbox o JOIN events e ON e.origin = o.origin AND e.seq = o.seq"
     "           WHERE o.peer = ?1 AND o.pos > ?2 ORDER BY o.pos LIMIT 1), 0),"
     " COALESCE((SELECT next_pos - 1 FROM peers WHERE peer = ?1), 0),"
     " COALESCE((SELECT MIN(pos) FROM outbox WHERE peer = ?1), 0)"},
    {Sql::kLoadCheckpoint, "SELECT sent_acked_pos, recv_applied_pos, peer_epoch FROM peers WHERE peer = ?"},
    {Sql::kSaveCheckpoint,
     "INSERT INTO peers (peer, sent_acked_pos, recv_applied_pos, peer_epoch) VALUES (?, ?, ?, ?) "
     "ON CONFLICT (peer) DO UPDATE SET sent_acked_pos = excluded.sent_acked_pos, "
     "recv_applied_pos = excluded.recv_applied_pos, peer_epoch = excluded.peer_epoch"},
    {Sql::kGetMeta, "SELECT value FROM meta WHERE key = ?"},
    {Sql::kPutMeta,
     "INSERT INTO meta (key, value) VALUES (?, ?) "
     "ON CONFLICT (key) DO UPDATE SET value = excluded.value"},
    {Sql::kCaseAudience, "SELECT node FROM audience WHERE case_id = ? ORDER BY node"},
    {Sql::kAddAudience,
     "INSERT INTO audience (case_id, node) VALUES (?, ?) ON CONFLICT DO NOTHING"},
    {Sql::kDbBytes, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"},
    {Sql::kPlainEvents,
     "SELECT local_seq, origin, seq, signed_bytes, hash FROM events WHERE sealed = 0 "
     "ORDER BY local_seq LIMIT ?"},
    {Sql::kSealEvent, "UPDATE events SET signed_bytes = ?, hash = ?, sealed = 1 WHERE local_seq = ?"},
};
#undef CASESYNC_EVENT_COLUMNS

constexpr std::size_t kSqlCount = static_cast<std::size_t>(Sql::kCount);
constexpr bool sql_in_enum_order() {
  for (std::size_t i = 0; i < std::size(kSql); ++i) {
    if (static_cast<std::size_t>(kSql[i].id) != i) return false;
  }
  return std::size(kSql) == kSqlCount;
}
static_assert(sql_in_enum_order(), "kSql must list every Sql id once, in enum order");

struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

// seq and hlc are identities, stored bit for bit in SQLite's signed INTEGER.
std::int64_t to_sql(std::uint64_t value) { return static_cast<std::int64_t>(value); }
std::uint64_t from_sql(std::int64_t value) { return static_cast<std::uint64_t>(value); }
// Bounds in comparisons and LIMITs saturate: no stored position or local_seq exceeds INT64_MAX.
std::int64_t to_sql_bound(std::uint64_t value) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(value, kMax));
}

struct ErrorKind {
  Code code;
  const char* advice;
};

ErrorKind classify(int rc) {
  switch (rc & 0xff) {  // the primary code; extended codes refine it
    case SQLITE_FULL:
      return {Code::kDiskFull,
              "free space on the volume holding the database, then retry; "
              "committed data is intact"};
    case SQLITE_IOERR:
      return {Code::kIoError, "check the disk and the kernel log"};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return {Code::kCorruption, "stop casesyncd and restore the database from a backup"};
    case SQLITE_CANTOPEN:
      return {Code::kIoError, "check that the directory exists and casesyncd may write to it"};
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return {Code::kPermission,
              "check the owner and mode of the database, its -wal and -shm files and directory"};
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return {Code::kUnavailable,
              "another process holds the database lock; run one casesyncd per database"};
    default:
      return {Code::kInternal, "this is a bug in casesync; report it with this message"};
  }
}

Status sqlite_error(int rc, const char* text, const std::string& path, const char* what) {
  const ErrorKind kind = classify(rc);
  return Status::error(kind.code, path + ": " + what + ": " + text + " (" + kind.advice + ")");
}

Status check_integrity(sqlite3* db, const std::string& path) {
  const std::string sql = "PRAGMA integrity_check(" + std::to_string(kIntegrityProblemsMax) + ")";
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  const StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return sqlite_error(rc, sqlite3_errmsg(db), path, "checking the backup");
  std::string problems;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(raw, 0);
    const std::string line = text != nullptr ? reinterpret_cast<const char*>(text) : "";
    if (line != "ok") problems += (problems.empty() ? "" : "; ") + line;
  }
  if (rc != SQLITE_DONE) return sqlite_error(rc, sqlite3_errmsg(db), path, "checking the backup");
  if (problems.empty()) return Status::ok();
  return Status::error(Code::kCorruption,
                       path + ": the backup fails integrity_check (" + problems +
                           "); keep the previous backup and check the source database");
}

}  // namespace

// One use of a cached statement. Resetting on scope exit ends its read snapshot and drops the
// bindings, which point at the caller's strings (bound without copying).
class SqliteStore::Query {
 public:
  explicit Query(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind_int(std::int64_t value) { return note(sqlite3_bind_int64(stmt_, ++index_, value)); }
  Query& bind_text(const std::string& text) {
    return note(
        sqlite3_bind_text64(stmt_, ++index_, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
  }
  // A null pointer would bind NULL, so an empty blob points at "".
  Query& bind_blob(std::string_view bytes) {
    const char* data = bytes.empty() ? "" : bytes.data();
    return note(sqlite3_bind_blob64(stmt_, ++index_, data, bytes.size(), SQLITE_STATIC));
  }
  // SQLITE_ROW, SQLITE_DONE or the error, a failed bind included.
  int step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(stmt_); }

  std::int64_t int_at(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string bytes_at(int col) const {
    const void* data = sqlite3_column_blob(stmt_, col);  // before column_bytes, as SQLite asks
    const int size = sqlite3_column_bytes(stmt_, col);
    if (data == nullptr) return {};
    return std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
  }

 private:
  Query& note(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
    return *this;
  }
  sqlite3_stmt* stmt_;
  int index_ = 0;
  int bind_rc_ = SQLITE_OK;
};

struct SqliteStore::Statements {
  std::array<StmtPtr, kSqlCount> all;
  sqlite3_stmt* get(Sql id) const { return all[static_cast<std::size_t>(id)].get(); }
};

// --- open, close, schema ---

SqliteStore::SqliteStore(sqlite3* db, std::string path, const crypto::DataKey* key)
    : db_(db), path_(std::move(path)), key_(key) {}

SqliteStore::~SqliteStore() {
  rollback();
  stmts_.reset();  // statements must be finalized before the connection closes
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                       const crypto::DataKey* key) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  // The store owns the handle at once: sqlite3_open_v2 returns one even when it fails.
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, path, key));
  if (rc != SQLITE_OK) return store->fail(rc, "opening the database");
  RETURN_IF_ERROR(store->configure());
  RETURN_IF_ERROR(store->migrate());
  RETURN_IF_ERROR(store->prepare_statements());
  if (key != nullptr) RETURN_IF_ERROR(store->seal_plain_events());
  return store;
}

Status SqliteStore::configure() {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  ASSIGN_OR_RETURN(const std::string mode,
                   query_text("PRAGMA journal_mode=WAL", "enabling WAL mode"));
  if (mode != "wal") {
    return Status::error(Code::kIoError, path_ + ": SQLite refused WAL mode (journal_mode is '" +
                                             mode + "'); put the database on a local file system");
  }
  return exec("PRAGMA synchronous=FULL", "setting synchronous=FULL");
}

Status SqliteStore::migrate() {
  RETURN_IF_ERROR(exec("BEGIN IMMEDIATE", "starting the schema migration"));
  const Status status = migrate_in_transaction();
  if (!status.is_ok()) {
    // The migration failed part-way: undo all of it so the file stays at its old version.
    (void)exec("ROLLBACK", "abandoning the schema migration");
    return status;
  }
  return exec("COMMIT", "committing the schema migration");
}

Status SqliteStore::migrate_in_transaction() {
  ASSIGN_OR_RETURN(const std::string text,
                   query_text("PRAGMA user_version", "reading the schema version"));
  int version = -1;
  std::from_chars(text.data(), text.data() + text.size(), version);
  if (version < 0) {
    return Status::error(
        Code::kCorruption,
        path_ + ": schema version '" + text + "' is not valid; restore the database from a backup");
  }
  if (version > kSchemaVersion) {
    return Status::error(Code::kInvalidArgument,
                         path_ + ": schema version " + std::to_string(version) +
                             " is newer than this casesync understands (" +
                             std::to_string(kSchemaVersion) +
                             "); run the casesync release that wrote it, or restore a backup "
                             "made by this release");
  }
  if (version == kSchemaVersion) return Status::ok();
  for (int v = version; v < kSchemaVersion; ++v) {
    RETURN_IF_ERROR(exec(kMigrations[v], "migrating the schema"));
  }
  return exec("PRAGMA user_version = " + std::to_string(kSchemaVersion),
              "recording the schema version");
}

Status SqliteStore::prepare_statements() {
  stmts_ = std::make_unique<Statements>();
  for (const SqlText& sql : kSql) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.text, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    stmts_->all[static_cast<std::size_t>(sql.id)].reset(raw);
    if (rc != SQLITE_OK) return fail(rc, "preparing statements");
  }
  return Status::ok();
}

// --- helpers ---

Status SqliteStore::exec(const std::string& sql, const char* what) {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::ok() : fail(rc, what);
}

Result<std::string> SqliteStore::query_text(const std::string& sql, const char* what) {
  sqlite3_stmt* raw = nullptr;
  const int prepared = sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr);
  const StmtPtr stmt(raw);
  if (prepared != SQLITE_OK) return fail(prepared, what);
  const int rc = sqlite3_step(raw);
  if (rc == SQLITE_DONE) return std::string();
  if (rc != SQLITE_ROW) return fail(rc, what);
  const unsigned char* text = sqlite3_column_text(raw, 0);
  return std::string(text != nullptr ? reinterpret_cast<const char*>(text) : "");
}

Status SqliteStore::finish(Query& q, const char* what) {
  const int rc = q.step();
  return rc == SQLITE_DONE ? Status::ok() : fail(rc, what);
}

Result<std::int64_t> SqliteStore::single_int(Query& q, const char* what) {
  const int rc = q.step();
  if (rc != SQLITE_ROW) return fail(rc, what);
  return q.int_at(0);
}

Status SqliteStore::require_transaction(const char* what) const {
  assert(in_transaction_ && "Store contract: every mutating call happens inside begin()/commit()");
  if (sqlite3_get_autocommit(db_) == 0) return Status::ok();
  return Status::error(Code::kIoError, path_ + ": " + what +
                                           ": SQLite ended the transaction after an earlier "
                                           "error; roll back and retry");
}

Status SqliteStore::fail(int rc, const char* what) const {
  return sqlite_error(rc, db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc), path_, what);
}

Result<Hash32> SqliteStore::hash_at(const Query& q, int col) const {
  const std::string bytes = q.bytes_at(col);
  Hash32 hash{};
  if (bytes.size() != hash.size()) {
    return Status::error(Code::kCorruption,
                         path_ + ": a stored event hash has " + std::to_string(bytes.size()) +
                             " bytes instead of 32; restore the database from a backup");
  }
  std::memcpy(hash.data(), bytes.data(), hash.size());
  return hash;
}

Result<EventRecord> SqliteStore::read_event(const Query& q, int first_col) const {
  EventRecord event;
  event.origin = q.bytes_at(first_col);
  event.seq = from_sql(q.int_at(first_col + 1));
  event.hlc = from_sql(q.int_at(first_col + 2));
  event.case_id = q.bytes_at(first_col + 3);
  event.kind = q.bytes_at(first_col + 4);
  event.signature = q.bytes_at(first_col + 6);
  event.local_seq = from_sql(q.int_at(first_col + 8));
  RestingEvent rest{q.bytes_at(first_col + 5), {}, q.int_at(first_col + 9) != 0};
  ASSIGN_OR_RETURN(rest.hash, hash_at(q, first_col + 7));
  ASSIGN_OR_RETURN(OpenedEvent opened, from_rest(rest, event.origin, event.seq, key_, path_));
  event.signed_bytes = std::move(opened.signed_bytes);
  event.hash = opened.hash;
  return event;
}

Result<std::vector<EventRecord>> SqliteStore::read_events(Query& q, const char* what) {
  std::vector<EventRecord> events;
  int rc = SQLITE_OK;
  while ((rc = q.step()) == SQLITE_ROW) {
    ASSIGN_OR_RETURN(EventRecord event, read_event(q, 0));
    events.push_back(std::move(event));
  }
  if (rc != SQLITE_DONE) return fail(rc, what);
  return events;
}

// --- transactions ---

Status SqliteStore::begin() {
  assert(!in_transaction_ && "begin() while a transaction is open");
  Query q(stmts_->get(Sql::kBegin));
  RETURN_IF_ERROR(finish(q, "starting a transaction"));
  in_transaction_ = true;
  return Status::ok();
}

Status SqliteStore::commit() {
  assert(in_transaction_ && "commit() without begin()");
  Query q(stmts_->get(Sql::kCommit));
  RETURN_IF_ERROR(finish(q, "committing"));  // on failure the caller rolls back
  in_transaction_ = false;
  return Status::ok();
}

void SqliteStore::rollback() {
  if (!in_transaction_) return;
  in_transaction_ = false;
  // After some I/O errors SQLite has already rolled back, and ROLLBACK would fail.
  if (sqlite3_get_autocommit(db_) != 0) return;
  Query q(stmts_->get(Sql::kRollback));
  // Nothing useful to do if ROLLBACK fails: the next begin() reports the stuck transaction, and
  // a restart discards it since it was never committed.
  (void)q.step();
}

// --- events ---

Result<InsertResult> SqliteStore::insert_event(const EventRecord& event) {
  RETURN_IF_ERROR(require_transaction("storing an event"));
  {
    const RestingEvent rest = to_rest(event, key_);
    Query q(stmts_->get(Sql::kInsertEvent));
    q.bind_text(event.origin).bind_int(to_sql(event.seq)).bind_int(to_sql(event.hlc));
    q.bind_text(event.case_id).bind_text(event.kind).bind_blob(rest.bytes);
    q.bind_blob(event.signature).bind_blob(as_view(rest.hash)).bind_int(rest.sealed ? 1 : 0);
    RETURN_IF_ERROR(finish(q, "storing an event"));
    if (sqlite3_changes(db_) == 1) {
      return InsertResult{InsertOutcome::kInserted, from_sql(sqlite3_last_insert_rowid(db_)), {}};
    }
  }
  // ON CONFLICT DO NOTHING skipped it: (origin, seq) is already held.
  ASSIGN_OR_RETURN(const std::optional<Existing> existing, find_event(event.origin, event.seq));
  assert(existing.has_value() && "a conflicting insert implies a stored (origin, seq)");
  if (existing->hash == resting_hash(event.hash, existing->sealed, key_)) {
    return InsertResult{InsertOutcome::kDuplicate, existing->local_seq, event.hash};
  }
  // Equivocation: the alert names the hash held, which a sealed row keeps only inside.
  Hash32 held = existing->hash;
  if (existing->sealed) {
    ASSIGN_OR_RETURN(const std::optional<EventRecord> stored, get_event(event.origin, event.seq));
    if (stored.has_value()) held = stored.value().hash;
  }
  return InsertResult{InsertOutcome::kEquivocation, existing->local_seq, held};
}

Result<std::optional<SqliteStore::Existing>> SqliteStore::find_event(const std::string& origin,
                                                                     std::uint64_t seq) {
  Query q(stmts_->get(Sql::kFindEvent));
  q.bind_text(origin).bind_int(to_sql(seq));
  const int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<Existing>();
  if (rc != SQLITE_ROW) return fail(rc, "looking up an event");
  ASSIGN_OR_RETURN(const Hash32 hash, hash_at(q, 1));
  return std::optional<Existing>(Existing{from_sql(q.int_at(0)), hash, q.int_at(2) != 0});
}

Result<std::optional<EventRecord>> SqliteStore::get_event(const std::string& origin,
                                                          std::uint64_t seq) {
  Query q(stmts_->get(Sql::kGetEvent));
  q.bind_text(origin).bind_int(to_sql(seq));
  const int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<EventRecord>();
  if (rc != SQLITE_ROW) return fail(rc, "reading an event");
  ASSIGN_OR_RETURN(EventRecord event, read_event(q, 0));
  return std::optional<EventRecord>(std::move(event));
}

Result<std::uint64_t> SqliteStore::replace_event(const EventRecord& event) {
  RETURN_IF_ERROR(require_transaction("replacing an event"));
  std::uint64_t local_seq = 0;
  {
    // Taken before the delete, so the replacement never reuses the deleted row's local_seq.
    Query q(stmts_->get(Sql::kMaxLocalSeq));
    const int rc = q.step();
    if (rc != SQLITE_ROW) return fail(rc, "replacing an event");
    local_seq = from_sql(q.int_at(0)) + 1;
  }
  {
    Query q(stmts_->get(Sql::kDeleteEvent));
    q.bind_text(event.origin).bind_int(to_sql(event.seq));
    RETURN_IF_ERROR(finish(q, "replacing an event"));
    if (sqlite3_changes(db_) != 1) {
      return Status::error(Code::kNotFound,
                           "no event " + event.origin + ":" + std::to_string(event.seq) + " to replace");
    }
  }
  // Sealed at rest like any stored event (storage/sealed_events.h).
  const RestingEvent rest = to_rest(event, key_);
  Query q(stmts_->get(Sql::kInsertEventAt));
  q.bind_int(to_sql(local_seq)).bind_text(event.origin).bind_int(to_sql(event.seq));
  q.bind_int(to_sql(event.hlc)).bind_text(event.case_id).bind_text(event.kind);
  q.bind_blob(rest.bytes).bind_blob(event.signature).bind_blob(as_view(rest.hash));
  q.bind_int(rest.sealed ? 1 : 0);
  RETURN_IF_ERROR(finish(q, "replacing an event"));
  return local_seq;
}

Result<std::uint64_t> SqliteStore::last_seq(const std::string& origin) {
  Query q(stmts_->get(Sql::kLastSeq));
  q.bind_text(origin);
  const int rc = q.step();
  if (rc != SQLITE_ROW) return fail(rc, "reading an origin's last sequence number");
  return from_sql(q.int_at(0));
}

Result<std::uint64_t> SqliteStore::contiguous_seq(const std::string& origin) {
  Query q(stmts_->get(Sql::kContiguousSeq));
  q.bind_text(origin);
  const int rc = q.step();
  if (rc != SQLITE_ROW) return fail(rc, "reading an origin's gap-free run of sequence numbers");
  return from_sql(q.int_at(0));
}

Result<std::vector<EventRecord>> SqliteStore::case_events(const std::string& case_id) {
  Query q(stmts_->get(Sql::kCaseEvents));
  q.bind_text(case_id);
  return read_events(q, "reading a case's events");
}

Result<std::vector<EventRecord>> SqliteStore::events_after(std::uint64_t after_local_seq,
                                                           std::size_t max_items) {
  Query q(stmts_->get(Sql::kEventsAfter));
  q.bind_int(to_sql_bound(after_local_seq)).bind_int(to_sql_bound(max_items));
  return read_events(q, "reading the changes feed");
}

Result<std::vector<CaseRow>> SqliteStore::list_cases(std::size_t limit) {
  Query q(stmts_->get(Sql::kListCases));
  q.bind_int(to_sql_bound(limit));
  std::vector<CaseRow> rows;
  int rc = SQLITE_OK;
  while ((rc = q.step()) == SQLITE_ROW) {
    rows.push_back(
        {q.bytes_at(0), from_sql(q.int_at(1)), from_sql(q.int_at(2)), from_sql(q.int_at(3))});
  }
  if (rc != SQLITE_DONE) return fail(rc, "listing cases");
  return rows;
}

// --- outboxes ---

Result<std::uint64_t> SqliteStore::enqueue(const std::string& peer, const std::string& origin,
                                           std::uint64_t seq) {
  RETURN_IF_ERROR(require_transaction("enqueueing an event"));
  ASSIGN_OR_RETURN(const std::optional<Existing> existing, find_event(origin, seq));
  if (!existing.has_value()) {
    return Status::error(Code::kNotFound, path_ + ": cannot enqueue " + origin + "/" +
                                              std::to_string(seq) + " for " + peer +
                                              ": the event is not stored");
  }
  ASSIGN_OR_RETURN(const std::uint64_t pos, take_position(peer));
  Query q(stmts_->get(Sql::kInsertOutbox));
  q.bind_text(peer).bind_int(to_sql(pos)).bind_text(origin).bind_int(to_sql(seq));
  RETURN_IF_ERROR(finish(q, "enqueueing an event"));
  return pos;
}

Result<std::uint64_t> SqliteStore::take_position(const std::string& peer) {
  Query q(stmts_->get(Sql::kTakePosition));
  q.bind_text(peer);
  ASSIGN_OR_RETURN(const std::int64_t pos, single_int(q, "allocating an outbox position"));
  return from_sql(pos);
}

Result<std::vector<OutboxItem>> SqliteStore::read_outbox(const std::string& peer,
                                                         std::uint64_t after_pos,
                                                         std::size_t max_items,
                                                         std::size_t max_bytes) {
  Query q(stmts_->get(Sql::kReadOutbox));
  q.bind_text(peer).bind_int(to_sql_bound(after_pos)).bind_int(to_sql_bound(max_items));
  std::vector<OutboxItem> items;
  std::size_t total_bytes = 0;
  int rc = SQLITE_OK;
  while ((rc = q.step()) == SQLITE_ROW) {
    ASSIGN_OR_RETURN(EventRecord event, read_event(q, 1));
    const std::size_t size = event.signed_bytes.size() + event.signature.size();
    if (!items.empty() && total_bytes + size > max_bytes) return items;
    total_bytes += size;
    items.push_back({from_sql(q.int_at(0)), std::move(event)});
  }
  if (rc != SQLITE_DONE) return fail(rc, "reading an outbox");
  return items;
}

Status SqliteStore::trim_outbox(const std::string& peer, std::uint64_t through_pos) {
  RETURN_IF_ERROR(require_transaction("trimming an outbox"));
  Query q(stmts_->get(Sql::kTrimOutbox));
  q.bind_text(peer).bind_int(to_sql_bound(through_pos));
  return finish(q, "trimming an outbox");
}

Status SqliteStore::reset_outbox(const std::string& peer, std::uint64_t next_pos) {
  RETURN_IF_ERROR(require_transaction("resetting an outbox"));
  Query clear(stmts_->get(Sql::kClearOutbox));
  clear.bind_text(peer);
  RETURN_IF_ERROR(finish(clear, "resetting an outbox"));
  Query set(stmts_->get(Sql::kSetNextPos));
  set.bind_text(peer).bind_int(to_sql(next_pos));
  return finish(set, "resetting an outbox");
}

Result<OutboxStats> SqliteStore::outbox_stats(const std::string& peer, std::uint64_t acked_pos) {
  Query q(stmts_->get(Sql::kOutboxStats));
  q.bind_text(peer).bind_int(to_sql_bound(acked_pos));
  const int rc = q.step();
  if (rc != SQLITE_ROW) return fail(rc, "reading outbox statistics");
  return OutboxStats{from_sql(q.int_at(0)), from_sql(q.int_at(1)), from_sql(q.int_at(2)),
                     from_sql(q.int_at(3))};
}

// --- checkpoints, metadata, audiences ---

Result<PeerCheckpoint> SqliteStore::load_checkpoint(const std::string& peer) {
  Query q(stmts_->get(Sql::kLoadCheckpoint));
  q.bind_text(peer);
  const int rc = q.step();
  if (rc == SQLITE_DONE) return PeerCheckpoint{};  // a new peer starts from the beginning
  if (rc != SQLITE_ROW) return fail(rc, "loading a checkpoint");
  return PeerCheckpoint{from_sql(q.int_at(0)), from_sql(q.int_at(1)), from_sql(q.int_at(2))};
}

Status SqliteStore::save_checkpoint(const std::string& peer, const PeerCheckpoint& cp) {
  RETURN_IF_ERROR(require_transaction("saving a checkpoint"));
  Query q(stmts_->get(Sql::kSaveCheckpoint));
  q.bind_text(peer).bind_int(to_sql(cp.sent_acked_pos)).bind_int(to_sql(cp.recv_applied_pos))
      .bind_int(to_sql(cp.peer_epoch));
  return finish(q, "saving a checkpoint");
}

Result<std::optional<std::string>> SqliteStore::get_meta(const std::string& key) {
  Query q(stmts_->get(Sql::kGetMeta));
  q.bind_text(key);
  const int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return fail(rc, "reading metadata");
  return std::optional<std::string>(q.bytes_at(0));
}

Status SqliteStore::put_meta(const std::string& key, const std::string& value) {
  RETURN_IF_ERROR(require_transaction("writing metadata"));
  Query q(stmts_->get(Sql::kPutMeta));
  q.bind_text(key).bind_blob(value);
  return finish(q, "writing metadata");
}

Result<std::vector<std::string>> SqliteStore::case_audience(const std::string& case_id) {
  Query q(stmts_->get(Sql::kCaseAudience));
  q.bind_text(case_id);
  std::vector<std::string> nodes;
  int rc = SQLITE_OK;
  while ((rc = q.step()) == SQLITE_ROW) nodes.push_back(q.bytes_at(0));
  if (rc != SQLITE_DONE) return fail(rc, "reading a case audience");
  return nodes;
}

Result<bool> SqliteStore::add_audience(const std::string& case_id, const std::string& node) {
  RETURN_IF_ERROR(require_transaction("adding to a case audience"));
  Query q(stmts_->get(Sql::kAddAudience));
  q.bind_text(case_id).bind_text(node);
  RETURN_IF_ERROR(finish(q, "adding to a case audience"));
  return sqlite3_changes(db_) == 1;
}

// --- statistics, diagnostics, backup ---

Result<StoreStats> SqliteStore::stats() {
  StoreStats stats;
  {
    Query q(stmts_->get(Sql::kCountEvents));
    ASSIGN_OR_RETURN(const std::int64_t count, single_int(q, "counting events"));
    stats.event_count = from_sql(count);
  }
  {
    Query q(stmts_->get(Sql::kDbBytes));
    ASSIGN_OR_RETURN(const std::int64_t bytes, single_int(q, "measuring the database"));
    stats.db_bytes = from_sql(bytes);
  }
  std::error_code ec;  // no -wal file (after a clean close) means an empty WAL
  const std::uintmax_t wal_bytes = std::filesystem::file_size(path_ + "-wal", ec);
  stats.wal_bytes = ec ? 0 : static_cast<std::uint64_t>(wal_bytes);
  return stats;
}

Result<std::string> SqliteStore::pragma(const std::string& name) {
  const bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || c == '_';
  });
  if (!valid) {
    return Status::error(Code::kInvalidArgument,
                         "pragma name '" + name + "' must be lowercase letters and '_'");
  }
  return query_text("PRAGMA " + name, "reading a pragma");
}

// Rows written before the node had a data key (or by an older release) are sealed in one
// transaction at open. secure_delete makes SQLite zero the space the plain bytes leave, and the
// TRUNCATE checkpoint empties the WAL that held them (docs/SECURITY.md: the disk blocks they used
// are freed, not wiped; full-disk encryption covers those).
Status SqliteStore::seal_plain_events() {
  constexpr std::size_t kRowsPerRead = 1000;
  RETURN_IF_ERROR(exec("PRAGMA secure_delete = ON", "zeroing freed space while sealing"));
  RETURN_IF_ERROR(begin());
  std::uint64_t sealed = 0;
  Status st;
  for (std::size_t n = kRowsPerRead; st.is_ok() && n == kRowsPerRead;) {
    std::vector<EventRecord> plain;
    st = read_plain_events(kRowsPerRead, &plain);
    n = plain.size();
    for (std::size_t i = 0; st.is_ok() && i < plain.size(); ++i) {
      const RestingEvent rest = to_rest(plain[i], key_);
      Query q(stmts_->get(Sql::kSealEvent));
      q.bind_blob(rest.bytes).bind_blob(as_view(rest.hash)).bind_int(to_sql(plain[i].local_seq));
      st = finish(q, "sealing an event");
    }
    sealed += st.is_ok() ? n : 0;
  }
  if (st.is_ok()) st = commit();
  if (!st.is_ok()) rollback();
  RETURN_IF_ERROR(exec("PRAGMA secure_delete = OFF", "sealing events"));
  RETURN_IF_ERROR(st);
  if (sealed == 0) return Status::ok();
  return exec("PRAGMA wal_checkpoint(TRUNCATE)", "emptying the WAL after sealing");
}

Status SqliteStore::read_plain_events(std::size_t max_rows, std::vector<EventRecord>* out) {
  Query q(stmts_->get(Sql::kPlainEvents));
  q.bind_int(to_sql_bound(max_rows));
  int rc = SQLITE_OK;
  while ((rc = q.step()) == SQLITE_ROW) {
    EventRecord e;
    e.local_seq = from_sql(q.int_at(0));
    e.origin = q.bytes_at(1);
    e.seq = from_sql(q.int_at(2));
    e.signed_bytes = q.bytes_at(3);
    ASSIGN_OR_RETURN(e.hash, hash_at(q, 4));
    out->push_back(std::move(e));
  }
  return rc == SQLITE_DONE ? Status::ok() : fail(rc, "reading events to seal");
}

Result<bool> SqliteStore::holds_sealed_events() {
  ASSIGN_OR_RETURN(const std::string any,
                   query_text("SELECT 1 FROM events WHERE sealed = 1 LIMIT 1", "reading events"));
  return !any.empty();
}

Status SqliteStore::check_events_open() {
  constexpr std::size_t kEventsPerRead = 1000;
  std::uint64_t after = 0;
  for (;;) {
    ASSIGN_OR_RETURN(const std::vector<EventRecord> events, events_after(after, kEventsPerRead));
    if (events.empty()) return Status::ok();
    after = events.back().local_seq;
  }
}

Status SqliteStore::backup_to(const std::string& dest_path) {
  assert(!in_transaction_ && "backup_to() inside a transaction would copy uncommitted changes");
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(dest_path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  const DbPtr dest(raw);
  if (rc != SQLITE_OK) {
    return sqlite_error(rc, sqlite3_errstr(rc), dest_path, "opening the backup file");
  }
  sqlite3_busy_timeout(dest.get(), kBusyTimeoutMs);
  sqlite3_backup* backup = sqlite3_backup_init(dest.get(), "main", db_, "main");
  if (backup == nullptr) {
    return sqlite_error(sqlite3_errcode(dest.get()), sqlite3_errmsg(dest.get()), dest_path,
                        "starting the backup");
  }
  rc = sqlite3_backup_step(backup, -1);  // -1: copy every page under one read snapshot
  const int finish_rc = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return sqlite_error(rc, sqlite3_errstr(rc), dest_path, "copying");
  if (finish_rc != SQLITE_OK) {
    return sqlite_error(finish_rc, sqlite3_errmsg(dest.get()), dest_path, "finishing the backup");
  }
  return check_integrity(dest.get(), dest_path);
}

}  // namespace casesync
