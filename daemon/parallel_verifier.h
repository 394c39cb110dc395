// ParallelVerifier: a crypto::BatchVerifier that spreads a batch's signatures over a pool of
// threads. The caller's thread works too, so `threads` counts it: on 2 cores, one worker plus the
// loop. Verdicts are exactly those of crypto::SequentialVerifier (parallel_verifier_test proves
// it); only the wall time differs.
//
// The pool shares nothing with the rest of the daemon: each job hands the workers read-only
// views of the items and a result slot per item, and verify_all() returns only when every slot
// is written.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "crypto/batch_verifier.h"

namespace casesync {

class ParallelVerifier final : public crypto::BatchVerifier {
 public:
  // Items claimed at a time by one thread: large enough that claiming costs nothing next to
  // verifying (~50 us each), small enough that the threads finish together.
  static constexpr std::size_t kChunkItems = 8;
  // Below this, waking a worker costs more than it saves: verify on the caller's thread.
  static constexpr std::size_t kParallelItemsMin = 2 * kChunkItems;
  static constexpr unsigned kThreadsMax = 64;

  // `threads` counts the caller's own thread: 1 means no workers. 0 means one per core.
  explicit ParallelVerifier(unsigned threads = 0);
  ~ParallelVerifier() override;
  ParallelVerifier(const ParallelVerifier&) = delete;
  ParallelVerifier& operator=(const ParallelVerifier&) = delete;

  // REQUIRES: not called from two threads at once (the event loop is its only caller).
  std::vector<bool> verify_all(std::string_view domain,
                               std::span<const crypto::SignedMessage> items) override;

  unsigned threads() const { return static_cast<unsigned>(workers_.size()) + 1; }

 private:
  struct Job;
  void work();
  void run(Job& job);

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable work_cv_;  // a new job, or stop
  std::condition_variable done_cv_;  // the current job's last item is verified
  std::shared_ptr<Job> job_;         // guarded by mu_
  std::uint64_t generation_ = 0;     // guarded by mu_; bumped per job
  bool stop_ = false;                // guarded by mu_
  crypto::SequentialVerifier sequential_;
};

}  // namespace casesync
