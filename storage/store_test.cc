// Proves both Stores keep the Store contract alike (idempotent insert, equivocation, outboxes,
// checkpoints, rollback) and that SqliteStore is durable, versioned, backed up correctly and,
// with a data key, keeps no event's bytes in the clear in its file, WAL or backups.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "crypto/data_key.h"
#include "storage/memory_store.h"
#include "storage/sqlite_store.h"

using namespace casesync;

namespace {

void expect_ok(const Status& status) { REQUIRE_MESSAGE(status.is_ok(), status.to_string()); }

template <typename T>
T expect_ok(Result<T> result) {
  REQUIRE_MESSAGE(result.is_ok(), result.status().to_string());
  return std::move(result).value();
}

// A distinct body gives a distinct hash, which is all these tests need of BLAKE2b.
EventRecord make_event(const std::string& origin, std::uint64_t seq, const std::string& case_id,
                       std::uint64_t hlc, const std::string& body = "body") {
  EventRecord event;
  event.origin = origin;
  event.seq = seq;
  event.hlc = hlc;
  event.case_id = case_id;
  event.kind = "case_created";
  event.signed_bytes = origin + "/" + std::to_string(seq) + ":" + body;
  event.signature = std::string(64, 's');
  for (std::size_t i = 0; i < event.hash.size(); ++i) {
    event.hash[i] = static_cast<std::uint8_t>(event.signed_bytes[i % event.signed_bytes.size()]);
  }
  return event;
}

InsertResult insert_committed(Store& store, const EventRecord& event) {
  expect_ok(store.begin());
  const InsertResult result = expect_ok(store.insert_event(event));
  expect_ok(store.commit());
  return result;
}

// A fresh directory under $TMPDIR, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "store_test_XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct MemoryFixture {
  MemoryStore memory;
  Store& store() { return memory; }
};

struct SqliteFixture {
  TempDir dir;
  std::unique_ptr<SqliteStore> sqlite = expect_ok(SqliteStore::open(dir.file("node.db")));
  Store& store() { return *sqlite; }
};

crypto::DataKey fresh_key() {
  REQUIRE(crypto::init().is_ok());
  return crypto::DataKey::generate();
}

// The same store with a data key: every contract test also runs on sealed events.
struct SealedSqliteFixture {
  TempDir dir;
  crypto::DataKey key = fresh_key();
  std::unique_ptr<SqliteStore> sqlite = expect_ok(SqliteStore::open(dir.file("node.db"), &key));
  Store& store() { return *sqlite; }
};

#define BOTH_STORES MemoryFixture, SqliteFixture, SealedSqliteFixture

}  // namespace

// --- the contract, run against both implementations ---

TEST_CASE_TEMPLATE("inserting the same event twice is a duplicate", F, BOTH_STORES) {
  F f;
  Store& store = f.store();
  const EventRecord event = make_event("c01", 1, "case-1", 100);
  const InsertResult first = insert_committed(store, event);
  CHECK(first.outcome == InsertOutcome::kInserted);
  CHECK(first.local_seq == 1);
  const InsertResult again = insert_committed(store, event);
  CHECK(again.outcome == InsertOutcome::kDuplicate);
  CHECK(again.local_seq == 1);
  CHECK(again.existing_hash == event.hash);
  CHECK(expect_ok(store.stats()).event_count == 1);
}

// What a restored node announces it holds of an origin (SyncNode::subtree_heads): the run from
// seq 1, never a maximum that hides a gap below it (seed 20261208003).
TEST_CASE_TEMPLATE("contiguous_seq ends at the first gap, last_seq at the maximum", F, BOTH_STORES) {
  F f;
  Store& store = f.store();
  CHECK(expect_ok(store.contiguous_seq("c01")) == 0);
  insert_committed(store, make_event("c01", 2, "case-1", 100));
  CHECK(expect_ok(store.contiguous_seq("c01")) == 0);  // seq 1 missing
  for (std::uint64_t seq : {1, 3, 5, 6}) insert_committed(store, make_event("c01", seq, "case-1", 100));
  insert_committed(store, make_event("c02", 4, "case-2", 100));
  CHECK(expect_ok(store.contiguous_seq("c01")) == 3);
  CHECK(expect_ok(store.last_seq("c01")) == 6);
  CHECK(expect_ok(store.contiguous_seq("c02")) == 0);
  insert_committed(store, make_event("c01", 4, "case-1", 100));
  CHECK(expect_ok(store.contiguous_seq("c01")) == 6);
}

TEST_CASE_TEMPLATE("equivocation is refused and the stored event stays", F, BOTH_STORES) {
  F f;
  Store& store = f.store();
  const EventRecord original = make_event("c01", 1, "case-1", 100, "approve");
  const EventRecord forged = make_event("c01", 1, "case-1", 100, "reject");
  REQUIRE(original.hash != forged.hash);
  (void)insert_committed(store, original);
  const InsertResult result = insert_committed(store, forged);
  CHECK(result.outcome == InsertOutcome::kEquivocation);
  CHECK(result.local_seq == 1);
  CHECK(result.existing_hash == original.hash);
  const auto held = expect_ok(store.get_event("c01", 1));
  REQUIRE(held.has_value());
  CHECK(held->signed_bytes == original.signed_bytes);
  CHECK(held->hash == original.hash);
}

TEST_CASE_TEMPLATE("local_seq increases and events_after pages through it", F, BOTH_STORES) {
  F f;
  Store& store = f.store();
  expect_ok(store.begin());
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    const InsertResult r = expect_ok(store.insert_event(make_event("c01", seq, "case-1", seq)));
    CHECK(r.local_seq == seq);
  }
  expect_ok(store.commit());
  const auto held = expect_ok(store.get_event("c01", 2));
  REQUIRE(held.has_value());
  CHECK(held->local_seq == 2);
  CHECK(held->signature == std::string(64, 's'));
  CHECK_FALSE(expect_ok(store.get_event("c01", 4)).has_value());

  const auto first_two = expect_ok(store.events_after(0, 2));
  REQUIRE(first_two.size() == 2);
  CHECK(first_two[0].local_seq == 1);
  CHECK(first_two[1].local_seq == 2);
  const auto rest = expect_ok(store.events_after(2, 10));
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].seq == 3);
  CHECK(expect_ok(store.events_after(3, 10)).empty());
  CHECK(expect_ok(store.events_after(UINT64_MAX, 10)).empty());
}

TEST_CASE_TEMPLATE("outbox positions are never reused, even after a trim", F, BOTH_STORES) {
  F f;
  Store& store = f.store();
  expect_ok(store.begin());
  for (std::uint64_t seq = 1; seq <= 4; ++seq) {
    (void)expect_ok(store.insert_event(make_event("c01", seq, "case-1", 100 + seq)));
  }
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    CHECK(expect_ok(store.enqueue("s1", "c01", seq)) == seq);
  }
  CHECK(expect_ok(store.enqueue("s2", "c01", 1)) == 1);  // each peer has its own positions
  CHECK(store.enqueue("s1", "c01", 99).status().code() == Code::kNotFound);
  expect_ok(store.commit());

  auto items = expect_ok(store.read_outbox("s1", 0, 10, 1 << 20));
  REQUIRE(items.size() == 3);
  CHECK(items[0].pos == 1);
  CHECK(items[2].event.seq == 3);
  CHECK(items[2].event.signed_bytes == make_event("c01", 3, "case-1", 103).signed_bytes);

  expect_ok(store.begin());
  expect_ok(store.trim_outbox("s1", 3));
  CHECK(expect_ok(store.enqueue("s1", "c01", 4)) == 4);
  expect_ok(store.commit());
  items = expect_ok(store.read_outbox("s1", 0, 10, 1 << 20));
  REQUIRE(items.size() == 1);
  CHECK(items[0].pos == 4);
  CHECK(expect_ok(store.read_outbox("s1", 4, 10, 1 << 20)).empty());
  CHECK(expect_ok(store.read_outbox("nobody", 0, 10, 1 << 20)).empty());
}

TEST_CASE_TEMPLATE("outbox_stats counts what the peer has not acknowledged", F, BOTH_STORES) {
  F f;
  Store& store = f.store();
  expect_ok(store.begin());
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    (void)expect_ok(store.insert_event(make_event("c01", seq, "case-1", 100 + seq)));
    (void)expect_ok(store.enqueue("s1", "c01", seq));
  }
  expect_ok(store.trim_outbox("s1", 1));
  expect_ok(store.commit());
  const OutboxStats stats = expect_ok(store.outbox_stats("s1", 1));
  CHECK(stats.pending == 2);
  CHECK(stats.oldest_pending_hlc == 102);
  CHECK(stats.last_pos == 3);
  const OutboxStats caught_up = expect_ok(store.outbox_stats("s1", 3));
  CHECK(caught_up.pending == 0);
  CHECK(caught_up.oldest_pending_hlc == 0);
  CHECK(caught_up.last_pos == 3);
  const OutboxStats unknown = expect_ok(store.outbox_stats("nobody", 0));
  CHECK(unknown.pending == 0);
  CHECK(unknown.last_pos == 0);
}

TEST_CASE_TEMPLATE("read_outbox honours max_items and max_bytes", F, BOTH_STORES) {
  F f;
  Store& store = f.store();
  expect_ok(store.begin());
  for (std::uint64_t seq = 1; seq <= 4; ++seq) {
    (void)expect_ok(store.insert_event(make_event("c01", seq, "case-1", seq)));
    (void)expect_ok(store.enqueue("s1", "c01", seq));
  }
  expect_ok(store.commit());
  const std::size_t item_bytes = make_event("c01", 1, "case-1", 1).signed_bytes.size() + 64;
  CHECK(expect_ok(store.read_outbox("s1", 0, 2, 1 << 20)).size() == 2);
  CHECK(expect_ok(store.read_outbox("s1", 0, 10, 2 * item_bytes)).size() == 2);
  CHECK(expect_ok(store.read_outbox("s1", 0, 10, 3 * item_bytes - 1)).size() == 2);
  CHECK(expect_ok(store.read_outbox("s1", 0, 10, 3 * item_bytes)).size() == 3);
  const auto one = expect_ok(store.read_outbox("s1", 1, 10, 1));  // over budget: still one
  REQUIRE(one.size() == 1);
  CHECK(one[0].pos == 2);
  CHECK(expect_ok(store.read_outbox("s1", 0, 0, 1 << 20)).empty());
}

TEST_CASE_TEMPLATE("checkpoints and metadata are kept once committed", F, BOTH_STORES) {
  F f;
  Store& store = f.store();
  const PeerCheckpoint none = expect_ok(store.load_checkpoint("s1"));
  CHECK(none.sent_acked_pos == 0);
  CHECK(none.recv_applied_pos == 0);
  CHECK_FALSE(expect_ok(store.get_meta("hlc")).has_value());

  const std::string binary("\0\x01\xff", 3);
  expect_ok(store.begin());
  expect_ok(store.save_checkpoint("s1", {.sent_acked_pos = 7, .recv_applied_pos = 9}));
  expect_ok(store.put_meta("hlc", "1"));
  expect_ok(store.put_meta("hlc", "2"));
  expect_ok(store.put_meta("blob", binary));
  expect_ok(store.commit());

  const PeerCheckpoint cp = expect_ok(store.load_checkpoint("s1"));
  CHECK(cp.sent_acked_pos == 7);
  CHECK(cp.recv_applied_pos == 9);
  CHECK(expect_ok(store.get_meta("hlc")) == std::optional<std::string>("2"));
  CHECK(expect_ok(store.get_meta("blob")) == std::optional<std::string>(binary));

  // A checkpoint does not disturb the peer's outbox positions, nor they it.
  expect_ok(store.begin());
  (void)expect_ok(store.insert_event(make_event("c01", 1, "case-1", 1)));
  CHECK(expect_ok(store.enqueue("s1", "c01", 1)) == 1);
  expect_ok(store.save_checkpoint("s1", {.sent_acked_pos = 8, .recv_applied_pos = 9}));
  CHECK(expect_ok(store.enqueue("s1", "c01", 1)) == 2);
  expect_ok(store.commit());
  CHECK(expect_ok(store.load_checkpoint("s1")).sent_acked_pos == 8);
}

TEST_CASE_TEMPLATE("add_audience is true only the first time", F, BOTH_STORES) {
  F f;
  Store& store = f.store();
  expect_ok(store.begin());
  CHECK(expect_ok(store.add_audience("case-1", "s1")));
  CHECK_FALSE(expect_ok(store.add_audience("case-1", "s1")));
  CHECK(expect_ok(store.add_audience("case-1", "c01")));
  CHECK(expect_ok(store.add_audience("case-2", "s1")));
  expect_ok(store.commit());
  CHECK(expect_ok(store.case_audience("case-1")) == std::vector<std::string>{"c01", "s1"});
  CHECK(expect_ok(store.case_audience("case-3")).empty());
}

TEST_CASE_TEMPLATE("case_events and list_cases group events by case", F, BOTH_STORES) {
  F f;
  Store& store = f.store();
  expect_ok(store.begin());
  (void)expect_ok(store.insert_event(make_event("c01", 1, "case-a", 50)));
  (void)expect_ok(store.insert_event(make_event("c01", 2, "case-b", 10)));
  (void)expect_ok(store.insert_event(make_event("c02", 1, "case-a", 20)));  // older hlc, later
  (void)expect_ok(store.insert_event(make_event("c02", 2, "case-c", 10)));
  expect_ok(store.commit());

  const auto a = expect_ok(store.case_events("case-a"));
  REQUIRE(a.size() == 2);
  CHECK(a[0].origin == "c01");  // local_seq order, not hlc order
  CHECK(a[1].origin == "c02");
  CHECK(a[0].local_seq < a[1].local_seq);
  CHECK(expect_ok(store.case_events("case-z")).empty());

  const auto rows = expect_ok(store.list_cases(10));
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].case_id == "case-a");  // most recently active first, ties by case_id
  CHECK(rows[0].event_count == 2);
  CHECK(rows[0].first_hlc == 20);
  CHECK(rows[0].last_hlc == 50);
  CHECK(rows[1].case_id == "case-b");
  CHECK(rows[2].case_id == "case-c");
  CHECK(expect_ok(store.list_cases(1)).size() == 1);
}

TEST_CASE_TEMPLATE("rollback discards every change of the transaction", F, BOTH_STORES) {
  F f;
  Store& store = f.store();
  expect_ok(store.begin());
  (void)expect_ok(store.insert_event(make_event("c01", 1, "case-1", 1)));
  (void)expect_ok(store.enqueue("s1", "c01", 1));
  expect_ok(store.put_meta("hlc", "1"));
  expect_ok(store.commit());

  expect_ok(store.begin());
  (void)expect_ok(store.insert_event(make_event("c01", 2, "case-2", 2)));
  CHECK(expect_ok(store.enqueue("s1", "c01", 2)) == 2);
  (void)expect_ok(store.enqueue("s2", "c01", 2));
  expect_ok(store.trim_outbox("s1", 1));
  expect_ok(store.save_checkpoint("s1", {.sent_acked_pos = 1, .recv_applied_pos = 5}));
  expect_ok(store.put_meta("hlc", "2"));
  expect_ok(store.put_meta("new", "x"));
  CHECK(expect_ok(store.add_audience("case-1", "s1")));
  store.rollback();

  CHECK_FALSE(expect_ok(store.get_event("c01", 2)).has_value());
  CHECK(expect_ok(store.case_events("case-2")).empty());
  CHECK(expect_ok(store.read_outbox("s1", 0, 10, 1 << 20)).size() == 1);
  CHECK(expect_ok(store.outbox_stats("s2", 0)).last_pos == 0);
  CHECK(expect_ok(store.load_checkpoint("s1")).recv_applied_pos == 0);
  CHECK(expect_ok(store.get_meta("hlc")) == std::optional<std::string>("1"));
  CHECK_FALSE(expect_ok(store.get_meta("new")).has_value());
  CHECK(expect_ok(store.case_audience("case-1")).empty());
  CHECK(expect_ok(store.stats()).event_count == 1);
  // What was rolled back was never visible, so its local_seq and position are handed out again.
  expect_ok(store.begin());
  CHECK(expect_ok(store.insert_event(make_event("c01", 2, "case-2", 2))).local_seq == 2);
  CHECK(expect_ok(store.enqueue("s1", "c01", 2)) == 2);
  expect_ok(store.commit());
}

// --- SqliteStore: durability, schema, pragmas, backup ---

TEST_CASE("SqliteStore keeps committed data across close and reopen") {
  TempDir dir;
  const std::string path = dir.file("node.db");
  {
    auto store = expect_ok(SqliteStore::open(path));
    expect_ok(store->begin());
    (void)expect_ok(store->insert_event(make_event("c01", 1, "case-1", 1)));
    (void)expect_ok(store->insert_event(make_event("c01", 2, "case-1", 2)));
    (void)expect_ok(store->enqueue("s1", "c01", 1));
    (void)expect_ok(store->enqueue("s1", "c01", 2));
    expect_ok(store->trim_outbox("s1", 2));
    expect_ok(store->save_checkpoint("s1", {.sent_acked_pos = 2, .recv_applied_pos = 4}));
    expect_ok(store->put_meta("next_seq", "3"));
    expect_ok(store->commit());
  }
  auto store = expect_ok(SqliteStore::open(path));
  CHECK(expect_ok(store->stats()).event_count == 2);
  CHECK(expect_ok(store->case_events("case-1")).size() == 2);
  CHECK(expect_ok(store->load_checkpoint("s1")).recv_applied_pos == 4);
  CHECK(expect_ok(store->get_meta("next_seq")) == std::optional<std::string>("3"));
  expect_ok(store->begin());
  CHECK(expect_ok(store->enqueue("s1", "c01", 1)) == 3);  // next_pos survived trim and reopen
  expect_ok(store->commit());
}

TEST_CASE("SqliteStore loses a transaction that was not committed when the process dies") {
  TempDir dir;
  const std::string path = dir.file("node.db");
  {
    auto store = expect_ok(SqliteStore::open(path));
    (void)insert_committed(*store, make_event("c01", 1, "case-1", 1));
  }
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // dies mid-transaction: no destructor, no rollback, no commit
    auto opened = SqliteStore::open(path);
    if (!opened.is_ok() || !opened.value()->begin().is_ok()) _exit(2);
    if (!opened.value()->insert_event(make_event("c01", 2, "case-1", 2)).is_ok()) _exit(3);
    _exit(0);
  }
  int child_status = 0;
  REQUIRE(waitpid(child, &child_status, 0) == child);
  REQUIRE(WIFEXITED(child_status));
  REQUIRE(WEXITSTATUS(child_status) == 0);
  auto store = expect_ok(SqliteStore::open(path));
  CHECK(expect_ok(store->get_event("c01", 1)).has_value());
  CHECK_FALSE(expect_ok(store->get_event("c01", 2)).has_value());
}

TEST_CASE("SqliteStore runs in WAL mode with synchronous=FULL") {
  TempDir dir;
  auto store = expect_ok(SqliteStore::open(dir.file("node.db")));
  CHECK(expect_ok(store->pragma("journal_mode")) == "wal");
  CHECK(expect_ok(store->pragma("synchronous")) == "2");  // 2 = FULL
  CHECK(expect_ok(store->pragma("user_version")) == std::to_string(SqliteStore::kSchemaVersion));
  CHECK(store->pragma("user_version=9").status().code() == Code::kInvalidArgument);
  // WAL is recorded in the file itself, so a second connection sees it too.
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(dir.file("node.db").c_str(), &other) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(other, "PRAGMA journal_mode", -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) == "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(other);
}

TEST_CASE("SqliteStore refuses a database from a newer schema") {
  TempDir dir;
  const std::string path = dir.file("node.db");
  { auto store = expect_ok(SqliteStore::open(path)); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const std::string bump =
      "PRAGMA user_version = " + std::to_string(SqliteStore::kSchemaVersion + 1);
  REQUIRE(sqlite3_exec(db, bump.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);

  const auto refused = SqliteStore::open(path);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().code() == Code::kInvalidArgument);
  const std::string& message = refused.status().message();
  CHECK(message.find(path) != std::string::npos);
  CHECK(message.find("newer than this casesync understands") != std::string::npos);
}

TEST_CASE("SqliteStore reports a file that is not a database, and a missing directory") {
  TempDir dir;
  const std::string path = dir.file("garbage.db");
  std::ofstream(path) << std::string(4096, 'x');
  const auto garbage = SqliteStore::open(path);
  REQUIRE_FALSE(garbage.is_ok());
  CHECK(garbage.status().code() == Code::kCorruption);
  CHECK(garbage.status().message().find("restore the database from a backup") != std::string::npos);

  const auto missing = SqliteStore::open(dir.file("no/such/dir/node.db"));
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().code() == Code::kIoError);
}

TEST_CASE("SqliteStore backup_to writes a copy that opens and holds the same events") {
  TempDir dir;
  auto store = expect_ok(SqliteStore::open(dir.file("node.db")));
  expect_ok(store->begin());
  for (std::uint64_t seq = 1; seq <= 50; ++seq) {
    (void)expect_ok(store->insert_event(make_event("c01", seq, "case-1", seq)));
  }
  expect_ok(store->commit());
  expect_ok(store->backup_to(dir.file("backup.db")));

  auto copy = expect_ok(SqliteStore::open(dir.file("backup.db")));
  CHECK(expect_ok(copy->stats()).event_count == 50);
  const auto held = expect_ok(copy->get_event("c01", 50));
  REQUIRE(held.has_value());
  CHECK(held->hash == make_event("c01", 50, "case-1", 50).hash);
  CHECK(expect_ok(store->stats()).db_bytes > 0);
}

TEST_CASE("SqliteStore stores batched inserts quickly") {
  constexpr std::uint64_t kEvents = 20000;
  constexpr std::uint64_t kBatch = 500;  // events per transaction, as a sync batch
  TempDir dir;
  auto store = expect_ok(SqliteStore::open(dir.file("node.db")));
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t seq = 1; seq <= kEvents; ++seq) {
    if (seq % kBatch == 1) expect_ok(store->begin());
    EventRecord event = make_event("c01", seq, "case-" + std::to_string(seq % 97), seq);
    event.signed_bytes.resize(300, 'p');  // a typical encoded event
    (void)expect_ok(store->insert_event(event));
    if (seq % kBatch == 0) expect_ok(store->commit());
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  MESSAGE("SqliteStore: " << static_cast<double>(kEvents) / elapsed.count() << " inserts/s");
  CHECK(expect_ok(store->stats()).event_count == kEvents);
}

// --- MemoryStore: crash and disk-full simulation ---

TEST_CASE("MemoryStore crash() loses the open transaction and keeps committed data") {
  MemoryStore store;
  (void)insert_committed(store, make_event("c01", 1, "case-1", 1));
  expect_ok(store.begin());
  (void)expect_ok(store.insert_event(make_event("c01", 2, "case-1", 2)));
  expect_ok(store.put_meta("hlc", "2"));
  store.crash();
  CHECK(expect_ok(store.get_event("c01", 1)).has_value());
  CHECK_FALSE(expect_ok(store.get_event("c01", 2)).has_value());
  CHECK_FALSE(expect_ok(store.get_meta("hlc")).has_value());
  store.crash();  // no transaction open: nothing to lose
  CHECK(expect_ok(store.stats()).event_count == 1);
}

TEST_CASE("MemoryStore set_fail_commits makes commit fail with kDiskFull") {
  MemoryStore store;
  store.set_fail_commits(true);
  expect_ok(store.begin());
  (void)expect_ok(store.insert_event(make_event("c01", 1, "case-1", 1)));
  const Status status = store.commit();
  CHECK(status.code() == Code::kDiskFull);
  store.rollback();
  CHECK_FALSE(expect_ok(store.get_event("c01", 1)).has_value());

  store.set_fail_commits(false);
  CHECK(insert_committed(store, make_event("c01", 1, "case-1", 1)).local_seq == 1);
}

// --- events at rest under the data key ---

namespace {

constexpr const char* kIdNumber = "110105199001011234";

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// True when `needle` is in the database file or its WAL.
bool on_disk(const std::string& db, const std::string& needle) {
  return file_bytes(db).find(needle) != std::string::npos ||
         file_bytes(db + "-wal").find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("with a data key no event's bytes reach the database, its WAL or a backup") {
  TempDir dir;
  const crypto::DataKey key = fresh_key();
  const std::string db = dir.file("node.db");
  auto store = expect_ok(SqliteStore::open(db, &key));
  const EventRecord event = make_event("c01", 1, "case-1", 1, kIdNumber);
  (void)insert_committed(*store, event);
  CHECK_FALSE(on_disk(db, kIdNumber));
  CHECK(file_bytes(db + "-wal").size() > 0);  // the insert is in the WAL, sealed
  CHECK_FALSE(on_disk(db, std::string(as_view(event.hash))));  // nor its hash: a fingerprint
  expect_ok(store->backup_to(dir.file("backup.db")));
  CHECK(file_bytes(dir.file("backup.db")).find(kIdNumber) == std::string::npos);
  const auto held = expect_ok(store->get_event("c01", 1));
  REQUIRE(held.has_value());
  CHECK(held->signed_bytes == event.signed_bytes);
  CHECK(held->hash == event.hash);

  // Switched off (no key), the same write lands in the clear: the check above can fail.
  auto plain = expect_ok(SqliteStore::open(dir.file("plain.db")));
  (void)insert_committed(*plain, event);
  CHECK(on_disk(dir.file("plain.db"), kIdNumber));
}

TEST_CASE("a plain database opened with a data key is sealed, WAL included") {
  TempDir dir;
  const std::string db = dir.file("node.db");
  {
    auto plain = expect_ok(SqliteStore::open(db));
    for (std::uint64_t seq = 1; seq <= 2500; ++seq) {  // more than one read of the sealing loop
      (void)insert_committed(*plain, make_event("c01", seq, "case-1", seq, kIdNumber));
    }
  }
  const crypto::DataKey key = fresh_key();
  auto store = expect_ok(SqliteStore::open(db, &key));
  CHECK_FALSE(on_disk(db, kIdNumber));
  CHECK(expect_ok(store->stats()).event_count == 2500);
  const auto held = expect_ok(store->get_event("c01", 2500));
  REQUIRE(held.has_value());
  CHECK(held->hash == make_event("c01", 2500, "case-1", 2500, kIdNumber).hash);
  expect_ok(store->check_events_open());
  // Inserting the same event again is still a duplicate, not an equivocation.
  CHECK(insert_committed(*store, make_event("c01", 7, "case-1", 7, kIdNumber)).outcome ==
        InsertOutcome::kDuplicate);
}

TEST_CASE("sealed events need their own key: none is refused, another does not open") {
  TempDir dir;
  const std::string db = dir.file("node.db");
  const crypto::DataKey key = fresh_key();
  {
    auto store = expect_ok(SqliteStore::open(db, &key));
    (void)insert_committed(*store, make_event("c01", 1, "case-1", 1, kIdNumber));
  }
  {
    auto keyless = expect_ok(SqliteStore::open(db));
    const auto read = keyless->get_event("c01", 1);
    REQUIRE_FALSE(read.is_ok());
    CHECK(read.status().code() == Code::kInvalidArgument);
    CHECK(read.status().message().find("data key") != std::string::npos);
  }
  const crypto::DataKey other = fresh_key();
  auto wrong = expect_ok(SqliteStore::open(db, &other));
  const Status st = wrong->check_events_open();
  CHECK(st.code() == Code::kCorruption);
  CHECK(st.message().find("c01:1") != std::string::npos);
}

TEST_CASE("a sealed event copied into another row does not open there") {
  TempDir dir;
  const std::string db = dir.file("node.db");
  const crypto::DataKey key = fresh_key();
  {
    auto store = expect_ok(SqliteStore::open(db, &key));
    (void)insert_committed(*store, make_event("c01", 1, "case-1", 1, "one"));
    (void)insert_committed(*store, make_event("c01", 2, "case-1", 2, "two"));
  }
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
  REQUIRE(sqlite3_exec(raw,
                       "UPDATE events SET signed_bytes = (SELECT signed_bytes FROM events WHERE "
                       "seq = 1) WHERE seq = 2",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(raw);
  auto store = expect_ok(SqliteStore::open(db, &key));
  CHECK(store->get_event("c01", 2).status().code() == Code::kCorruption);
  CHECK(store->get_event("c01", 1).is_ok());
}
