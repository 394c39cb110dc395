#include "daemon/webhooks.h"

#include <condition_variable>
#include <mutex>

#include "daemon/log.h"
#include "daemon/node_runtime.h"

namespace casesync {

struct Webhooks::Shared {
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
};

namespace {
struct FetchSlot {
  bool done = false;
  std::optional<std::vector<EventRecord>> events;
};
}  // namespace

Result<std::unique_ptr<Webhooks>> Webhooks::open(NodeRuntime* rt) {
  std::unique_ptr<Webhooks> w(new Webhooks(rt));
  w->shared_ = std::make_shared<Shared>();
  const NodeConfig& config = rt->config();
  if (config.webhooks.empty()) return w;
  ASSIGN_OR_RETURN(w->store_, WebhookStore::open(config.data_dir + "/webhooks.db"));
  ASSIGN_OR_RETURN(StoreStats stats, rt->store().stats());
  for (const WebhookConfig& c : config.webhooks) {
    // local_seq runs 1..event_count without gaps (events are never deleted).
    RETURN_IF_ERROR(w->store_->clamp(c.name, stats.event_count));
    w->senders_.push_back(std::make_unique<WebhookSender>(
        c, config.node_id, config.privacy.sensitive_fields, w->store_.get(),
        [raw = w.get()](std::uint64_t after, std::size_t max) { return raw->fetch(after, max); },
        [rt] { return rt->now_ms(); }));
  }
  return w;
}

Webhooks::~Webhooks() { stop(); }

void Webhooks::start() {
  for (auto& s : senders_) {
    if (Status st = s->start(); !st.is_ok()) {
      log_error("webhook=" + s->name() + " not started: " + st.message());
    } else {
      log_info("webhook=" + s->name() + " delivering from position " +
               std::to_string(s->status().delivered_through));
    }
  }
}

void Webhooks::stop() {
  {
    std::lock_guard lock(shared_->mu);
    shared_->stopping = true;
  }
  shared_->cv.notify_all();
  for (auto& s : senders_) s->stop();
}

void Webhooks::changed() {
  for (auto& s : senders_) s->changed();
}

std::optional<std::uint64_t> Webhooks::retry(const std::string& name) {
  for (auto& s : senders_) {
    if (s->name() == name) return s->retry();
  }
  return std::nullopt;
}

std::vector<WebhookStatus> Webhooks::statuses() const {
  std::vector<WebhookStatus> out;
  for (const auto& s : senders_) out.push_back(s->status());
  return out;
}

std::vector<std::string> Webhooks::names() const {
  std::vector<std::string> out;
  for (const auto& s : senders_) out.push_back(s->name());
  return out;
}

// On a sender's thread: the read runs on the loop thread (which alone owns the store) and this
// thread waits for it, or for stop().
std::optional<std::vector<EventRecord>> Webhooks::fetch(std::uint64_t after, std::size_t max) {
  auto slot = std::make_shared<FetchSlot>();
  std::shared_ptr<Shared> shared = shared_;
  rt_->tasks().post([rt = rt_, shared, slot, after, max] {
    auto recs = rt->store().events_after(after, max);
    if (!recs.is_ok()) log_error("webhooks: reading the log failed: " + recs.status().message());
    std::lock_guard lock(shared->mu);
    if (recs.is_ok()) slot->events = std::move(*recs);
    slot->done = true;
    shared->cv.notify_all();
  });
  std::unique_lock lock(shared->mu);
  shared->cv.wait(lock, [&] { return slot->done || shared->stopping; });
  if (!slot->done) return std::nullopt;
  return std::move(slot->events);
}

}  // namespace casesync
