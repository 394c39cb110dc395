#include "bench/sqlite_limits.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "bench/rate.h"
#include "storage/sqlite_store.h"

namespace casesync::bench {

namespace {

constexpr int kWarmupTransactions = 2;
constexpr std::uint64_t kEventsPerCase = 20;  // as run_bench.py authors them

// One transaction's worth of records; step() renumbers them so every insert is a new event.
class InsertBatch {
 public:
  InsertBatch(const Event& sample, const crypto::SecretKey& secret) {
    records_.reserve(kInsertsPerTransaction);
    for (std::size_t i = 0; i < kInsertsPerTransaction; ++i) {
      records_.push_back(seal_event(sample, secret));
    }
  }

  std::vector<EventRecord>& next() {
    for (auto& r : records_) {
      ++next_seq_;
      r.seq = next_seq_;
      r.case_id = "s01-bench-" + std::to_string(next_seq_ / kEventsPerCase);
      // Distinct hashes, as distinct events would have; the store does not check them.
      std::copy_n(reinterpret_cast<const std::uint8_t*>(&next_seq_), sizeof next_seq_,
                  r.hash.begin());
    }
    return records_;
  }

 private:
  std::vector<EventRecord> records_;
  std::uint64_t next_seq_ = 0;
};

Status insert_all(Store& store, const std::vector<EventRecord>& records) {
  RETURN_IF_ERROR(store.begin());
  for (const auto& r : records) {
    auto ins = store.insert_event(r);
    if (!ins.is_ok()) {
      store.rollback();
      return ins.status();
    }
  }
  return store.commit();
}

}  // namespace

Result<SqliteLimits> measure_sqlite(const std::string& db_path, const Event& sample,
                                    std::chrono::milliseconds duration) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix, ec);
  ASSIGN_OR_RETURN(auto store, SqliteStore::open(db_path));
  RETURN_IF_ERROR(crypto::init());
  const crypto::KeyPair pair = crypto::generate_keypair();
  InsertBatch batch(sample, pair.secret);

  Status failed;
  const Rate rate = measure_rate(duration, kInsertsPerTransaction, kWarmupTransactions, [&] {
    if (failed.is_ok()) failed = insert_all(*store, batch.next());
  });
  RETURN_IF_ERROR(failed);
  SqliteLimits out;
  out.inserts_per_s = rate.per_s();
  out.events = rate.ops;
  ASSIGN_OR_RETURN(out.synchronous, store->pragma("synchronous"));
  ASSIGN_OR_RETURN(out.journal_mode, store->pragma("journal_mode"));
  return out;
}

}  // namespace casesync::bench
