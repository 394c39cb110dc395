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

// Copies of one sealed event, renumbered on every next() so each insert is a new (origin, seq)
// spread over cases the way the driver's are. All batches share one numbering.
class Renumberer {
 public:
  Renumberer(const Event& sample, const crypto::SecretKey& secret)
      : sealed_(seal_event(sample, secret)) {}

  // `*batch` becomes `size` fresh records.
  void next(std::size_t size, std::vector<EventRecord>* batch) {
    batch->resize(size, sealed_);
    for (auto& r : *batch) {
      ++seq_;
      r.seq = seq_;
      r.case_id = "s01-bench-" + std::to_string(seq_ / kEventsPerCase);
      // Distinct hashes, as distinct events would have; the store does not check them.
      std::copy_n(reinterpret_cast<const std::uint8_t*>(&seq_), sizeof seq_, r.hash.begin());
    }
  }

 private:
  EventRecord sealed_;
  std::uint64_t seq_ = 0;
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

// The value at `fraction` of the sorted samples (nearest rank).
double at_rank(const std::vector<double>& sorted, double fraction) {
  const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(sorted.size()));
  return sorted[std::min(rank, sorted.size() - 1)];
}

Status time_single_commits(Store& store, Renumberer& events, SqliteLimits* out) {
  std::vector<double> ms;
  std::vector<EventRecord> one;
  for (std::size_t i = 0; i < kSingleCommits; ++i) {
    events.next(1, &one);
    const auto start = std::chrono::steady_clock::now();
    RETURN_IF_ERROR(insert_all(store, one));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  out->single_commit_p50_ms = at_rank(ms, 0.50);
  out->single_commit_p99_ms = at_rank(ms, 0.99);
  return Status::ok();
}

}  // namespace

Result<SqliteLimits> measure_sqlite(const std::string& db_path, const Event& sample,
                                    std::chrono::milliseconds duration) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix, ec);
  ASSIGN_OR_RETURN(auto store, SqliteStore::open(db_path));
  RETURN_IF_ERROR(crypto::init());
  const crypto::KeyPair pair = crypto::generate_keypair();
  Renumberer events(sample, pair.secret);

  std::vector<EventRecord> batch;
  Status failed;
  const Rate rate = measure_rate(duration, kInsertsPerTransaction, kWarmupTransactions, [&] {
    events.next(kInsertsPerTransaction, &batch);  // renumbering is noise next to the I/O
    if (failed.is_ok()) failed = insert_all(*store, batch);
  });
  RETURN_IF_ERROR(failed);
  SqliteLimits out;
  out.inserts_per_s = rate.per_s();
  out.events = rate.ops;
  RETURN_IF_ERROR(time_single_commits(*store, events, &out));
  ASSIGN_OR_RETURN(out.synchronous, store->pragma("synchronous"));
  ASSIGN_OR_RETURN(out.journal_mode, store->pragma("journal_mode"));
  return out;
}

}  // namespace casesync::bench
