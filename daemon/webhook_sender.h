// WebhookSender: one webhook's delivery thread. It walks the node's log from its cursor in local
// order and POSTs each event the webhook takes (daemon/webhook_delivery.h), one at a time, so a
// case's events arrive in the order the node stored them:
//   - 2xx: delivered; the cursor moves past it.
//   - 5xx, 408, 429, no answer, a timeout: tried again after an exponential backoff with jitter,
//     up to max_attempts; then a dead letter.
//   - any other answer (4xx): a dead letter at once.
// A dead letter holds its case: the case's later events become dead letters behind it, unsent,
// so the receiver never sees a case out of order. retry() (`casesyncctl webhook retry NAME`)
// resends the dead letters oldest first; a case whose letter fails again keeps the rest behind.
// At kDeadLettersMax the sender pauses (nothing is skipped) until a retry.
//
// Nothing here touches the node's store or core: events come through `fetch`, which the owner
// (daemon/webhooks.h) runs on the loop thread; progress is kept in a WebhookStore. The sender
// holds at most one page of events (kPageEvents): the store is the queue.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/event_record.h"
#include "config/node_config.h"
#include "daemon/webhook_delivery.h"
#include "daemon/webhook_store.h"

namespace casesync {

struct WebhookStatus {
  std::string name;
  std::string url;
  std::vector<std::string> events;   // empty: every kind
  std::string state;                 // idle | delivering | retrying | paused | store_failed
  std::uint64_t delivered_through = 0;  // the cursor: local position
  std::uint64_t delivered = 0;       // events delivered since the daemon started
  std::uint64_t failed_attempts = 0; // POSTs that failed since the daemon started
  std::uint64_t dead_letters = 0;    // now
  std::uint32_t failures_in_a_row = 0;  // of the event being sent
  std::string last_error;
  std::uint64_t last_error_ms = 0;   // wall clock, 0: never
  std::uint64_t last_delivered_ms = 0;
  std::uint64_t next_attempt_ms = 0; // while retrying
};

class WebhookSender {
 public:
  // Events with local position > after, at most `max`, in order; nullopt when they could not
  // be read now (the node is stopping, or its store failed).
  using Fetch = std::function<std::optional<std::vector<EventRecord>>(std::uint64_t after,
                                                                      std::size_t max)>;
  using NowMs = std::function<std::uint64_t()>;

  static constexpr std::size_t kPageEvents = 100;
  // Dead letters kept per webhook; at this many the sender pauses until a retry.
  static constexpr std::uint64_t kDeadLettersMax = 100000;
  // After its store or the node's failed, the sender tries again this much later.
  static constexpr std::uint64_t kTroubleRetryMs = 1000;

  // "*store" must outlive the sender.
  // `sensitive_fields` are masked in every payload as in the feeds (privacy.sensitive_fields):
  // a receiver is another host, often reached over plain HTTP.
  WebhookSender(WebhookConfig config, std::string node_id,
                std::vector<std::string> sensitive_fields, WebhookStore* store, Fetch fetch,
                NowMs now_ms);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  Status start();
  // Ends the thread; a POST in flight is cut (its event is sent again after a restart).
  void stop();
  // New events were stored (the loop thread).
  void changed();
  // Queues every dead letter for one more round; returns how many there are.
  std::uint64_t retry();
  WebhookStatus status() const;
  const std::string& name() const { return config_.name; }

 private:
  struct Sent {
    webhook::Outcome outcome = webhook::Outcome::kRetry;
    std::uint32_t attempts = 0;
    std::string error;
  };
  bool stopping() const;
  void run();
  bool deliver_page(const std::vector<EventRecord>& page);
  bool deliver(const EventRecord& r);
  void resend_dead_letters();
  // Tries until delivered, a dead letter, or the sender stops (nullopt).
  std::optional<Sent> send(const EventRecord& r);
  Sent post_once(const EventRecord& r, const std::string& body);
  bool keep(const EventRecord& r, const Sent& sent);
  void note_trouble(const std::string& what);
  // Waits `ms` or until stopped (false) or, when `wake` is given, until it holds.
  bool wait_ms(std::uint64_t ms, const std::function<bool()>& wake = nullptr);
  void set_state(const char* state);
  DeadLetter letter_for(const EventRecord& r, std::uint32_t attempts, std::string error) const;

  const WebhookConfig config_;
  const std::string node_id_;
  const std::vector<std::string> sensitive_fields_;
  WebhookStore* store_;
  Fetch fetch_;
  NowMs now_ms_;
  std::unique_ptr<httplib::Client> client_;
  std::mt19937_64 rng_;
  std::set<std::string> held_cases_;  // cases with a dead letter (the sender thread only)
  std::uint64_t cursor_ = 0;          // the sender thread only

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool retry_requested_ = false;
  std::uint64_t changes_ = 0;
  WebhookStatus status_;
  std::thread thread_;
};

}  // namespace casesync
