#include "daemon/webhook_sender.h"

#include <chrono>

#include "common/bytes.h"
#include "daemon/event_feed.h"
#include "daemon/log.h"

namespace casesync {

namespace {

std::string authority(const WebhookConfig& c) {
  const bool v6 = c.host.find(':') != std::string::npos;
  return (v6 ? "[" + c.host + "]" : c.host) + ":" + std::to_string(c.port);
}

std::string trimmed(std::string text, std::size_t max) {
  if (text.size() > max) text = text.substr(0, max) + "...";
  for (auto& ch : text) {
    if (static_cast<unsigned char>(ch) < 0x20) ch = ' ';
  }
  return text;
}

// What the operator reads in status for a failed attempt.
constexpr std::size_t kErrorTextMax = 300;

}  // namespace

WebhookSender::WebhookSender(WebhookConfig config, std::string node_id,
                             std::vector<std::string> sensitive_fields, WebhookStore* store,
                             Fetch fetch, NowMs now_ms)
    : config_(std::move(config)),
      node_id_(std::move(node_id)),
      sensitive_fields_(std::move(sensitive_fields)),
      store_(store),
      fetch_(std::move(fetch)),
      now_ms_(std::move(now_ms)),
      rng_(std::random_device{}()) {
  status_.name = config_.name;
  status_.url = config_.url;
  status_.events = config_.events;
  status_.state = "idle";
}

WebhookSender::~WebhookSender() { stop(); }

Status WebhookSender::start() {
  ASSIGN_OR_RETURN(cursor_, store_->cursor(config_.name));
  ASSIGN_OR_RETURN(auto dead, store_->dead_letters(config_.name, kDeadLettersMax));
  for (const auto& d : dead) held_cases_.insert(d.case_id);
  status_.delivered_through = cursor_;
  status_.dead_letters = dead.size();
  client_ = std::make_unique<httplib::Client>(config_.scheme + "://" + authority(config_));
  const auto timeout = std::chrono::milliseconds(config_.timeout_ms);
  client_->set_connection_timeout(timeout);
  client_->set_read_timeout(timeout);
  client_->set_write_timeout(timeout);
  client_->set_keep_alive(true);
  thread_ = std::thread([this] { run(); });
  pthread_setname_np(thread_.native_handle(), "webhook");
  return Status::ok();
}

void WebhookSender::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (client_) client_->stop();  // cuts a POST in flight
  if (thread_.joinable()) thread_.join();
}

void WebhookSender::changed() {
  {
    std::lock_guard lock(mu_);
    ++changes_;
  }
  cv_.notify_all();
}

std::uint64_t WebhookSender::retry() {
  std::lock_guard lock(mu_);
  retry_requested_ = true;
  cv_.notify_all();
  return status_.dead_letters;
}

WebhookStatus WebhookSender::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

void WebhookSender::set_state(const char* state) {
  std::lock_guard lock(mu_);
  status_.state = state;
}

bool WebhookSender::wait_ms(std::uint64_t ms, const std::function<bool()>& wake) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms),
               [&] { return stopping_ || (wake && wake()); });
  return !stopping_;
}

bool WebhookSender::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

void WebhookSender::run() {
  while (!stopping()) {
    bool retry = false;
    std::uint64_t seen = 0;
    bool paused = false;
    {
      std::lock_guard lock(mu_);
      std::swap(retry, retry_requested_);
      seen = changes_;
      paused = status_.dead_letters >= kDeadLettersMax;
    }
    if (retry) resend_dead_letters();
    if (paused && !retry) {
      set_state("paused");
      wait_ms(kTroubleRetryMs * 60, [this] { return retry_requested_; });
      continue;
    }
    auto page = fetch_(cursor_, kPageEvents);
    if (!page) {
      wait_ms(kTroubleRetryMs);
      continue;
    }
    if (page->empty()) {
      set_state("idle");
      // A retry request wakes it too.
      wait_ms(kTroubleRetryMs * 60,
              [this, seen] { return changes_ != seen || retry_requested_; });
      continue;
    }
    if (!deliver_page(*page)) wait_ms(kTroubleRetryMs);
  }
}

// False: the sender stops, or its store failed (the rest of the page is fetched again).
bool WebhookSender::deliver_page(const std::vector<EventRecord>& page) {
  for (const auto& r : page) {
    if (!deliver(r)) return false;
    {
      std::lock_guard lock(mu_);
      if (status_.dead_letters >= kDeadLettersMax || retry_requested_) return true;
    }
  }
  return true;
}

bool WebhookSender::deliver(const EventRecord& r) {
  Sent sent{webhook::Outcome::kDelivered, 0, ""};
  if (!webhook::wants_kind(config_, r.kind)) {
    // Skipped: the cursor moves past it like a delivery.
  } else if (held_cases_.count(r.case_id)) {
    sent = {webhook::Outcome::kDeadLetter, 0,
            "held behind an earlier dead letter of case " + r.case_id +
                " (kept in order; `casesyncctl webhook retry " + config_.name + "` resends both)"};
  } else {
    set_state("delivering");
    auto s = send(r);
    if (!s) return false;
    sent = std::move(*s);
  }
  return keep(r, sent);
}

// The cursor past `r`, with its dead letter when it is one.
bool WebhookSender::keep(const EventRecord& r, const Sent& sent) {
  const bool dead = sent.outcome != webhook::Outcome::kDelivered;
  const DeadLetter letter = letter_for(r, sent.attempts, sent.error);
  if (Status st = store_->advance(config_.name, r.local_seq, dead ? &letter : nullptr);
      !st.is_ok()) {
    note_trouble(st.message());
    return false;
  }
  cursor_ = r.local_seq;
  if (dead) {
    held_cases_.insert(r.case_id);
    if (sent.attempts > 0) {
      log_warning("webhook=" + config_.name + " event " + r.origin + ":" +
                  std::to_string(r.seq) + " of case " + r.case_id + " is a dead letter: " +
                  sent.error + "; `casesyncctl webhook retry " + config_.name + "` resends it");
    }
  }
  std::lock_guard lock(mu_);
  status_.delivered_through = cursor_;
  status_.dead_letters += dead ? 1 : 0;
  status_.delivered += sent.attempts > 0 && !dead ? 1 : 0;
  return true;
}

DeadLetter WebhookSender::letter_for(const EventRecord& r, std::uint32_t attempts,
                                     std::string error) const {
  return {r.local_seq, r.case_id, r.kind, to_hex(r.hash), attempts, std::move(error), now_ms_()};
}

void WebhookSender::note_trouble(const std::string& what) {
  log_error("webhook=" + config_.name + ": " + what);
  std::lock_guard lock(mu_);
  status_.state = "store_failed";
  status_.last_error = trimmed(what, kErrorTextMax);
  status_.last_error_ms = now_ms_();
}

std::optional<WebhookSender::Sent> WebhookSender::send(const EventRecord& r) {
  const std::string body = webhook::request_body(node_id_, config_.name, feed_event_json(r, sensitive_fields_));
  for (std::uint32_t attempt = 1;; ++attempt) {
    if (stopping()) return std::nullopt;
    Sent s = post_once(r, body);
    s.attempts = attempt;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return std::nullopt;  // cut by stop(): sent again after a restart
      status_.failures_in_a_row = s.outcome == webhook::Outcome::kDelivered ? 0 : attempt;
      if (s.outcome == webhook::Outcome::kDelivered) status_.last_delivered_ms = now_ms_();
      if (s.outcome != webhook::Outcome::kDelivered) {
        status_.failed_attempts++;
        status_.last_error = s.error;
        status_.last_error_ms = now_ms_();
      }
    }
    if (s.outcome != webhook::Outcome::kRetry) return s;
    if (attempt >= config_.max_attempts) {
      s.error = "gave up after " + std::to_string(attempt) + " attempts (webhook.max_attempts); "
                "last: " + s.error;
      return s;
    }
    const std::uint64_t delay = webhook::retry_delay_ms(
        config_, attempt, std::uniform_real_distribution<double>(0.0, 1.0)(rng_));
    {
      std::lock_guard lock(mu_);
      status_.state = "retrying";
      status_.next_attempt_ms = now_ms_() + delay;
    }
    if (!wait_ms(delay)) return std::nullopt;
  }
}

WebhookSender::Sent WebhookSender::post_once(const EventRecord& r, const std::string& body) {
  const httplib::Headers headers = {
      {webhook::kSignatureHeader, webhook::signature(config_.secret, body)},
      {webhook::kEventHeader, to_hex(r.hash)},
      {webhook::kWebhookHeader, config_.name},
      {webhook::kNodeHeader, node_id_},
      {"User-Agent", std::string("casesyncd/") + CASESYNC_VERSION}};
  auto res = client_->Post(config_.path, headers, body, "application/json");
  if (!res) {
    return {webhook::Outcome::kRetry, 0,
            "no answer from " + config_.url + ": " + httplib::to_string(res.error())};
  }
  const webhook::Outcome o = webhook::outcome_of_status(res->status);
  std::string error;
  if (o != webhook::Outcome::kDelivered) {
    error = config_.url + " answered " + std::to_string(res->status) +
            (res->body.empty() ? "" : ": " + trimmed(res->body, kErrorTextMax));
  }
  return {o, 0, std::move(error)};
}

void WebhookSender::resend_dead_letters() {
  auto dead = store_->dead_letters(config_.name, kDeadLettersMax);
  if (!dead.is_ok()) return note_trouble(dead.status().message());
  std::set<std::string> blocked;  // a case whose letter failed again keeps the rest behind it
  std::uint64_t delivered = 0;
  for (const DeadLetter& d : *dead) {
    if (blocked.count(d.case_id)) continue;
    auto page = fetch_(d.local_seq - 1, 1);
    if (!page) return;
    if (page->empty() || page->front().local_seq != d.local_seq) continue;
    const EventRecord& r = page->front();
    std::optional<Sent> s = webhook::wants_kind(config_, r.kind)
                                ? send(r)
                                : std::optional<Sent>(Sent{webhook::Outcome::kDelivered, 0, ""});
    if (!s) return;
    const bool ok = s->outcome == webhook::Outcome::kDelivered;
    Status st = ok ? store_->remove_dead(config_.name, d.local_seq)
                   : store_->update_dead(config_.name, letter_for(r, s->attempts, s->error));
    if (!st.is_ok()) return note_trouble(st.message());
    if (!ok) blocked.insert(d.case_id);
    delivered += ok;
  }
  auto left = store_->dead_letters(config_.name, kDeadLettersMax);
  if (!left.is_ok()) return note_trouble(left.status().message());
  held_cases_.clear();
  for (const auto& d : *left) held_cases_.insert(d.case_id);
  log_info("webhook=" + config_.name + " retried dead letters: " + std::to_string(delivered) +
           " delivered, " + std::to_string(left->size()) + " left");
  std::lock_guard lock(mu_);
  status_.dead_letters = left->size();
  status_.delivered += delivered;
}

}  // namespace casesync
