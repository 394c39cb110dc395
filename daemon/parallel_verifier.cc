#include "daemon/parallel_verifier.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cassert>

#include "crypto/crypto.h"

namespace casesync {

// One verify_all() call. Shared by the workers that joined it, so a worker that wakes late and
// finds nothing left to claim touches only this (still live) object, never the caller's items.
struct ParallelVerifier::Job {
  std::string_view domain;
  std::span<const crypto::SignedMessage> items;
  std::vector<std::uint8_t> verdicts;  // one byte per item: threads never share a word
  std::atomic<std::size_t> next{0};    // first item not yet claimed
  std::atomic<std::size_t> remaining;  // items not yet verified
  bool done = false;                   // guarded by ParallelVerifier::mu_
};

ParallelVerifier::ParallelVerifier(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, kThreadsMax);
  // Signals reach the daemon only through the loop's signalfd. A thread inherits its creator's
  // mask at creation; masking inside work() would leave a window (until the worker first runs,
  // which on a busy machine can be long) in which a SIGHUP is delivered to it and kills the
  // process by its default action.
  sigset_t all, before;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &before);
  for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

ParallelVerifier::~ParallelVerifier() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

std::vector<bool> ParallelVerifier::verify_all(std::string_view domain,
                                               std::span<const crypto::SignedMessage> items) {
  if (workers_.empty() || items.size() < kParallelItemsMin) {
    return sequential_.verify_all(domain, items);
  }
  auto job = std::make_shared<Job>();
  job->domain = domain;
  job->items = items;
  job->verdicts.assign(items.size(), 0);
  job->remaining = items.size();
  {
    std::lock_guard lock(mu_);
    job_ = job;
    ++generation_;
  }
  work_cv_.notify_all();
  run(*job);
  {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return job->done; });
    job_.reset();
  }
  assert(job->remaining == 0);
  return std::vector<bool>(job->verdicts.begin(), job->verdicts.end());
}

void ParallelVerifier::work() {
  std::uint64_t seen = 0;
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || (job_ && generation_ != seen); });
      if (stop_) return;
      seen = generation_;
      job = job_;
    }
    run(*job);
  }
}

void ParallelVerifier::run(Job& job) {
  const std::size_t n = job.items.size();
  for (;;) {
    const std::size_t first = job.next.fetch_add(kChunkItems);
    if (first >= n) return;
    const std::size_t end = std::min(n, first + kChunkItems);
    for (std::size_t i = first; i < end; ++i) {
      const crypto::SignedMessage& it = job.items[i];
      job.verdicts[i] = crypto::verify(it.public_key, job.domain, it.message, it.signature) ? 1 : 0;
    }
    // The thread that verifies the last item wakes the caller.
    if (job.remaining.fetch_sub(end - first) == end - first) {
      std::lock_guard lock(mu_);
      job.done = true;
      done_cv_.notify_one();
    }
  }
}

}  // namespace casesync
