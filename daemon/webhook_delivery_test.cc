// Proves webhook delivery (daemon/webhook_*.h): what a receiver's answer means, the backoff and
// its jitter, the signature, the cursor and dead letters kept across a reopen, and one sender
// against a real loopback receiver — in order, a 4xx a dead letter at once, a 5xx retried, a
// dead letter holding its case's later events, and a retry resending them in order.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "crypto/crypto.h"
#include "daemon/case_json.h"
#include "daemon/webhook_delivery.h"
#include "daemon/webhook_sender.h"
#include "daemon/webhook_store.h"
#include "sync/event.h"

using namespace casesync;
namespace fs = std::filesystem;

namespace {

fs::path temp_file(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("casesync_webhook_delivery_test." + std::to_string(getpid()));
  fs::create_directories(dir);
  fs::remove(dir / name);
  return dir / name;
}

WebhookConfig hook(std::uint16_t port = 80) {
  WebhookConfig c;
  c.name = "dept";
  c.url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  c.scheme = "http";
  c.host = "127.0.0.1";
  c.port = port;
  c.path = "/hook";
  c.secret = "0123456789abcdef";
  c.timeout_ms = 2000;
  c.max_attempts = 3;
  c.backoff_ms = 10;
  c.backoff_max_ms = 40;
  return c;
}

// Event i of case `case_id`, stored at local position `pos`.
EventRecord event(std::uint64_t pos, const std::string& case_id, const std::string& kind) {
  static const crypto::KeyPair keys = [] {
    REQUIRE(crypto::init().is_ok());
    return crypto::generate_keypair();
  }();
  Event e;
  e.origin = "s01";
  e.seq = pos;
  e.hlc = pos << 16;
  e.case_id = case_id;
  e.kind = kind;
  EventRecord r = seal_event(e, keys.secret);
  r.local_seq = pos;
  return r;
}

}  // namespace

TEST_CASE("a receiver's answer: 2xx delivered, 5xx/408/429 retried, anything else a dead letter") {
  using webhook::Outcome;
  CHECK(webhook::outcome_of_status(200) == Outcome::kDelivered);
  CHECK(webhook::outcome_of_status(204) == Outcome::kDelivered);
  CHECK(webhook::outcome_of_status(500) == Outcome::kRetry);
  CHECK(webhook::outcome_of_status(503) == Outcome::kRetry);
  CHECK(webhook::outcome_of_status(408) == Outcome::kRetry);
  CHECK(webhook::outcome_of_status(429) == Outcome::kRetry);
  CHECK(webhook::outcome_of_status(400) == Outcome::kDeadLetter);
  CHECK(webhook::outcome_of_status(404) == Outcome::kDeadLetter);
  CHECK(webhook::outcome_of_status(301) == Outcome::kDeadLetter);
}

TEST_CASE("backoff doubles up to backoff_max, jittered between half and all of it") {
  WebhookConfig c = hook();
  c.backoff_ms = 1000;
  c.backoff_max_ms = 5000;
  CHECK(webhook::retry_delay_ms(c, 1, 0.999999) == 999);
  CHECK(webhook::retry_delay_ms(c, 1, 0.0) == 500);
  CHECK(webhook::retry_delay_ms(c, 2, 0.0) == 1000);
  CHECK(webhook::retry_delay_ms(c, 3, 0.0) == 2000);
  CHECK(webhook::retry_delay_ms(c, 4, 0.0) == 2500);   // 8 s capped at 5 s, halved
  CHECK(webhook::retry_delay_ms(c, 400, 0.0) == 2500);  // no overflow however many failures
  CHECK(webhook::retry_delay_ms(c, 400, 1.0) == 5000);
}

TEST_CASE("the signature is the hex HMAC-SHA256 of the body; events filter by kind") {
  REQUIRE(crypto::init().is_ok());
  CHECK(webhook::signature("Jefe", "what do ya want for nothing?") ==
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  WebhookConfig c = hook();
  CHECK(webhook::wants_kind(c, "note"));
  c.events = {"case_created", "completed"};
  CHECK(webhook::wants_kind(c, "completed"));
  CHECK_FALSE(webhook::wants_kind(c, "note"));
  const std::string body = webhook::request_body("s01", "dept", nlohmann::json{{"kind", "note"}});
  CHECK(nlohmann::json::parse(body)["event"]["kind"] == "note");
  CHECK(nlohmann::json::parse(body)["node"] == "s01");
}

TEST_CASE("the store keeps cursors and dead letters across a reopen; a clamp only lowers") {
  const fs::path path = temp_file("store.db");
  {
    auto s = WebhookStore::open(path.string());
    REQUIRE(s.is_ok());
    CHECK(*(*s)->cursor("dept") == 0);
    REQUIRE((*s)->advance("dept", 3, nullptr).is_ok());
    DeadLetter d{5, "c-1", "note", "ab", 3, "answered 500", 1};
    REQUIRE((*s)->advance("dept", 5, &d).is_ok());
    CHECK(*(*s)->cursor("other") == 0);
  }
  auto s = WebhookStore::open(path.string());
  REQUIRE(s.is_ok());
  CHECK(*(*s)->cursor("dept") == 5);
  auto dead = (*s)->dead_letters("dept", 10);
  REQUIRE(dead.is_ok());
  REQUIRE(dead->size() == 1);
  CHECK(dead->front().case_id == "c-1");
  CHECK(dead->front().error == "answered 500");
  REQUIRE((*s)->clamp("dept", 9).is_ok());
  CHECK(*(*s)->cursor("dept") == 5);
  REQUIRE((*s)->clamp("dept", 2).is_ok());
  CHECK(*(*s)->cursor("dept") == 2);
  REQUIRE((*s)->remove_dead("dept", 5).is_ok());
  CHECK(*(*s)->dead_count("dept") == 0);
  auto bad = WebhookStore::open("/nonexistent-dir/x/webhooks.db");
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("webhooks.db") != std::string::npos);
}

namespace {

// A loopback receiver whose answer per event (by local position) the test decides.
class Receiver {
 public:
  Receiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      const auto body = nlohmann::json::parse(req.body);
      const std::uint64_t pos = body["event"]["local_seq"];
      std::lock_guard lock(mu_);
      const bool signed_ok = req.get_header_value(webhook::kSignatureHeader) ==
                             webhook::signature("0123456789abcdef", req.body);
      seen_.push_back({pos, signed_ok});
      auto it = answers_.find(pos);
      int status = 200;
      if (it != answers_.end() && !it->second.empty()) {
        status = it->second.front();
        it->second.erase(it->second.begin());
      }
      res.status = status;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return static_cast<std::uint16_t>(port_); }
  void answer(std::uint64_t pos, std::vector<int> statuses) {
    std::lock_guard lock(mu_);
    answers_[pos] = std::move(statuses);
  }
  std::vector<std::pair<std::uint64_t, bool>> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::uint64_t, std::vector<int>> answers_;
  std::vector<std::pair<std::uint64_t, bool>> seen_;
};

template <class F>
bool eventually(F done) {
  for (int i = 0; i < 1000; ++i) {  // 10 s at most
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::vector<std::uint64_t> positions(const std::vector<std::pair<std::uint64_t, bool>>& seen) {
  std::vector<std::uint64_t> out;
  for (const auto& [pos, ok] : seen) out.push_back(pos);
  return out;
}

}  // namespace

TEST_CASE("a sender: in order, 5xx retried, 4xx a dead letter holding its case, retry resends") {
  Receiver rx;
  // Case A: 1, 3, 5; case B: 2, 4, 6. Event 2 fails twice then passes; event 3 is refused (4xx),
  // so 5 waits behind it; 4 fails max_attempts times: a dead letter, and 6 waits behind it.
  const std::vector<EventRecord> log = {event(1, "A", "case_created"), event(2, "B", "case_created"),
                                        event(3, "A", "note"),         event(4, "B", "note"),
                                        event(5, "A", "note"),         event(6, "B", "note")};
  rx.answer(2, {503, 500});
  rx.answer(3, {422});
  rx.answer(4, {500, 500, 500});
  const fs::path path = temp_file("sender.db");
  auto store = WebhookStore::open(path.string());
  REQUIRE(store.is_ok());
  auto fetch = [&log](std::uint64_t after, std::size_t max) {
    std::vector<EventRecord> out;
    for (const auto& r : log) {
      if (r.local_seq > after && out.size() < max) out.push_back(r);
    }
    return std::optional<std::vector<EventRecord>>(out);
  };
  WebhookSender sender(hook(rx.port()), "s01", default_sensitive_fields(), store->get(), fetch,
                       [] { return 1; });
  REQUIRE(sender.start().is_ok());
  REQUIRE(eventually([&] { return sender.status().delivered_through == 6; }));
  // 1, 2 (third try), 3 (once: 4xx), 4 three times; 5 and 6 held behind dead letters.
  CHECK(positions(rx.seen()) == std::vector<std::uint64_t>{1, 2, 2, 2, 3, 4, 4, 4});
  for (const auto& [pos, ok] : rx.seen()) CHECK_MESSAGE(ok, "signature of " << pos);
  WebhookStatus st = sender.status();
  CHECK(st.dead_letters == 4);
  CHECK(st.delivered == 2);
  CHECK(st.failed_attempts == 6);
  CHECK(st.last_error.find("answered 500") != std::string::npos);
  CHECK(*(*store)->dead_count("dept") == 4);
  // The receiver is fixed: a retry sends 3, 4, 5, 6 — each case in its order.
  CHECK(sender.retry() == 4);
  REQUIRE(eventually([&] { return sender.status().dead_letters == 0; }));
  CHECK(positions(rx.seen()) ==
        std::vector<std::uint64_t>{1, 2, 2, 2, 3, 4, 4, 4, 3, 4, 5, 6});
  CHECK(sender.status().delivered == 6);
  sender.stop();
  CHECK(*(*store)->cursor("dept") == 6);
}

TEST_CASE("a sender keeps trying an unreachable receiver and stops promptly when asked") {
  const fs::path path = temp_file("down.db");
  auto store = WebhookStore::open(path.string());
  REQUIRE(store.is_ok());
  WebhookConfig c = hook(1);  // nothing listens on port 1
  c.max_attempts = 1000;
  std::vector<EventRecord> log = {event(1, "A", "case_created")};
  WebhookSender sender(
      c, "s01", default_sensitive_fields(), store->get(),
      [&log](std::uint64_t after, std::size_t) {
        return std::optional<std::vector<EventRecord>>(after == 0 ? log : std::vector<EventRecord>{});
      },
      [] { return 1; });
  REQUIRE(sender.start().is_ok());
  REQUIRE(eventually([&] { return sender.status().failed_attempts >= 3; }));
  CHECK(sender.status().state == "retrying");
  CHECK(sender.status().last_error.find("no answer") != std::string::npos);
  const auto t0 = std::chrono::steady_clock::now();
  sender.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
  CHECK(*(*store)->cursor("dept") == 0);  // not delivered: sent again after a restart
}
