#include "daemon/webhook_store.h"

#include <sqlite3.h>

#include <limits>

namespace casesync {

namespace {

constexpr int kBusyTimeoutMs = 5000;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS cursors (
  webhook TEXT PRIMARY KEY,
  through INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dead_letters (
  webhook      TEXT    NOT NULL,
  local_seq    INTEGER NOT NULL,
  case_id      TEXT    NOT NULL,
  kind         TEXT    NOT NULL,
  event_hash   TEXT    NOT NULL,
  attempts     INTEGER NOT NULL,
  error        TEXT    NOT NULL,
  failed_at_ms INTEGER NOT NULL,
  PRIMARY KEY (webhook, local_seq)
) WITHOUT ROWID;
)sql";

// One prepared statement, finalized on every path.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return s_ != nullptr; }
  Stmt& text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& num(int i, std::uint64_t v) {
    sqlite3_bind_int64(s_, i, static_cast<sqlite3_int64>(
                                  std::min<std::uint64_t>(v, std::numeric_limits<sqlite3_int64>::max())));
    return *this;
  }
  int step() { return sqlite3_step(s_); }
  std::uint64_t num_at(int i) { return static_cast<std::uint64_t>(sqlite3_column_int64(s_, i)); }
  std::string text_at(int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i))) : "";
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<WebhookStore>> WebhookStore::open(const std::string& path) {
  std::unique_ptr<WebhookStore> store(new WebhookStore(path));
  const int rc = sqlite3_open_v2(path.c_str(), &store->db_,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) return store->fail("opening");
  sqlite3_busy_timeout(store->db_, kBusyTimeoutMs);
  RETURN_IF_ERROR(store->exec("PRAGMA journal_mode=WAL", "enabling WAL mode"));
  RETURN_IF_ERROR(store->exec("PRAGMA synchronous=NORMAL", "setting synchronous"));
  RETURN_IF_ERROR(store->exec(kSchema, "creating its tables"));
  return store;
}

WebhookStore::~WebhookStore() { sqlite3_close(db_); }

Status WebhookStore::fail(const char* what) const {
  const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
  return Status::error(Code::kIoError, path_ + ": " + what + " failed: " + why +
                                           " (webhook deliveries stop until this is fixed)");
}

Status WebhookStore::exec(const char* sql, const char* what) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) == SQLITE_OK) return Status::ok();
  sqlite3_free(error);
  return fail(what);
}

Result<std::uint64_t> WebhookStore::cursor(const std::string& webhook) {
  std::lock_guard lock(mu_);
  Stmt q(db_, "SELECT through FROM cursors WHERE webhook = ?");
  if (!q.ok()) return fail("reading a cursor");
  q.text(1, webhook);
  const int rc = q.step();
  if (rc == SQLITE_ROW) return q.num_at(0);
  if (rc == SQLITE_DONE) return std::uint64_t{0};
  return fail("reading a cursor");
}

Status WebhookStore::advance(const std::string& webhook, std::uint64_t through,
                             const DeadLetter* dead) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(exec("BEGIN IMMEDIATE", "starting a transaction"));
  bool ok = true;
  if (dead) {
    Stmt d(db_, "INSERT OR REPLACE INTO dead_letters VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    ok = d.ok() && d.text(1, webhook).num(2, dead->local_seq).text(3, dead->case_id)
                       .text(4, dead->kind).text(5, dead->event_hash).num(6, dead->attempts)
                       .text(7, dead->error).num(8, dead->failed_at_ms).step() == SQLITE_DONE;
  }
  Stmt c(db_, "INSERT INTO cursors VALUES (?, ?) ON CONFLICT (webhook) DO UPDATE SET "
              "through = excluded.through");
  ok = ok && c.ok() && c.text(1, webhook).num(2, through).step() == SQLITE_DONE;
  if (!ok) {
    const Status st = fail("moving a cursor");
    (void)exec("ROLLBACK", "rolling back");
    return st;
  }
  return exec("COMMIT", "committing a cursor");
}

Status WebhookStore::clamp(const std::string& webhook, std::uint64_t through) {
  std::lock_guard lock(mu_);
  Stmt c(db_, "UPDATE cursors SET through = ? WHERE webhook = ? AND through > ?");
  if (!c.ok() || c.num(1, through).text(2, webhook).num(3, through).step() != SQLITE_DONE) {
    return fail("clamping a cursor");
  }
  return Status::ok();
}

Result<std::vector<DeadLetter>> WebhookStore::dead_letters(const std::string& webhook,
                                                           std::size_t limit) {
  std::lock_guard lock(mu_);
  Stmt q(db_, "SELECT local_seq, case_id, kind, event_hash, attempts, error, failed_at_ms "
              "FROM dead_letters WHERE webhook = ? ORDER BY local_seq LIMIT ?");
  if (!q.ok()) return fail("reading dead letters");
  q.text(1, webhook).num(2, limit);
  std::vector<DeadLetter> out;
  int rc = SQLITE_ROW;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.push_back({q.num_at(0), q.text_at(1), q.text_at(2), q.text_at(3),
                   static_cast<std::uint32_t>(q.num_at(4)), q.text_at(5), q.num_at(6)});
  }
  if (rc != SQLITE_DONE) return fail("reading dead letters");
  return out;
}

Result<std::uint64_t> WebhookStore::dead_count(const std::string& webhook) {
  std::lock_guard lock(mu_);
  Stmt q(db_, "SELECT count(*) FROM dead_letters WHERE webhook = ?");
  if (!q.ok() || q.text(1, webhook).step() != SQLITE_ROW) return fail("counting dead letters");
  return q.num_at(0);
}

Status WebhookStore::remove_dead(const std::string& webhook, std::uint64_t local_seq) {
  std::lock_guard lock(mu_);
  Stmt d(db_, "DELETE FROM dead_letters WHERE webhook = ? AND local_seq = ?");
  if (!d.ok() || d.text(1, webhook).num(2, local_seq).step() != SQLITE_DONE) {
    return fail("removing a dead letter");
  }
  return Status::ok();
}

Status WebhookStore::update_dead(const std::string& webhook, const DeadLetter& dead) {
  std::lock_guard lock(mu_);
  Stmt u(db_, "UPDATE dead_letters SET attempts = ?, error = ?, failed_at_ms = ? "
              "WHERE webhook = ? AND local_seq = ?");
  const bool ok = u.ok() && u.num(1, dead.attempts).text(2, dead.error).num(3, dead.failed_at_ms)
                                .text(4, webhook).num(5, dead.local_seq).step() == SQLITE_DONE;
  return ok ? Status::ok() : fail("updating a dead letter");
}

}  // namespace casesync
