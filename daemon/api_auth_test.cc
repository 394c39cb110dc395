// Proves the door of the local API (daemon/api_guard.h) and what stands behind it: token form,
// Host / Origin / Content-Type checks, the clerk book (hashes only, 0600, disable, the admin
// token), the token verifier (cache, fail-fast, throttle, bounded checks) and the burst alarm.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "crypto/crypto.h"
#include "crypto/token_hash.h"
#include "daemon/api_counters.h"
#include "daemon/api_guard.h"
#include "daemon/api_token.h"
#include "daemon/case_json.h"
#include "daemon/clerk_book.h"
#include "daemon/token_verifier.h"
#include "sync/case_kinds.h"

using namespace casesync;

namespace {

struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/casesync-auth-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const char* name) const { return path + "/" + name; }
  std::string path;
};

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  REQUIRE(chmod(path.c_str(), mode) == 0);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

std::unique_ptr<ClerkBook> book_in(const TempDir& dir) {
  REQUIRE(crypto::init().is_ok());
  auto book = ClerkBook::open(dir.file("clerks.json"), dir.file("admin.token"));
  REQUIRE_MESSAGE(book.is_ok(), book.status().to_string());
  return std::move(*book);
}

// A stand-in for Argon2id: "hash:" + token, and a count of how often it ran.
struct FakeHash {
  std::atomic<int> runs{0};
  std::atomic<int> delay_ms{0};
  static std::string hash(const std::string& token) { return "$argon2id$fake:" + token; }
  TokenVerifier::Matcher matcher() {
    return [this](const std::string& stored, std::string_view token) {
      ++runs;
      if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms.load()));
      return stored == hash(std::string(token));
    };
  }
};

}  // namespace

TEST_CASE("tokens name their clerk, and nothing that is not a token passes as one") {
  REQUIRE(crypto::init().is_ok());
  const std::string t = new_token("w01");
  CHECK(t.rfind("csk_w01_", 0) == 0);
  CHECK(t.size() == 8 + kTokenSecretHexChars);
  CHECK(token_clerk_id(t) == "w01");
  CHECK(new_token("w01") != t);
  CHECK(token_clerk_id("csk_a.b-c_" + std::string(48, 'f')) == "a.b-c");
  for (const std::string& bad :
       {std::string("w01"), std::string("csk_w01"), "csk__" + std::string(48, 'a'),
        "csk_W01_" + std::string(48, 'a'), "csk_w01_" + std::string(47, 'a'),
        "csk_w01_" + std::string(48, 'g'), "xsk_w01_" + std::string(48, 'a'),
        "csk_w01_" + std::string(200, 'a')}) {
    CHECK_MESSAGE(!token_clerk_id(bad), bad);
  }
  CHECK(bearer_token("") == "");
  CHECK(bearer_token("Bearer abc") == "abc");
  CHECK_FALSE(bearer_token("Basic dXNlcg==").has_value());
  CHECK_FALSE(bearer_token("Bearer ").has_value());
}

TEST_CASE("Host: this node's address, localhost and 127.0.0.1 (any port); nothing else") {
  const HostRule rule = host_rule("127.0.0.1:8100", {"street.example"});
  for (const char* ok : {"127.0.0.1:8100", "localhost:8100", "LOCALHOST:8100", "[::1]:8100",
                         "street.example:8100", "127.0.0.1", "localhost:9000", ""}) {
    CHECK_MESSAGE(!check_host(ok, rule), ok);
  }
  for (const char* bad : {"evil.example:8100", "evil.example", "127.0.0.1.evil:8100",
                          "localhost.evil.example:8100", "10.0.0.1:8100"}) {
    auto e = check_host(bad, rule);
    REQUIRE_MESSAGE(e.has_value(), bad);
    CHECK(e->status == 403);
    CHECK(e->code == "bad_host");
  }
  const HostRule any = host_rule("0.0.0.0:8443", {});
  CHECK(check_host("0.0.0.0:8443", any).has_value());  // a wildcard is no name
  CHECK_FALSE(check_host("localhost:8443", any).has_value());
}

TEST_CASE("Origin: none, the node's own page, or an allowed origin") {
  const std::vector<std::string> allowed = {"https://portal.example"};
  CHECK_FALSE(check_origin("", "127.0.0.1:8100", false, allowed));
  CHECK_FALSE(check_origin("http://127.0.0.1:8100", "127.0.0.1:8100", false, allowed));
  CHECK_FALSE(check_origin("https://portal.example", "127.0.0.1:8100", false, allowed));
  CHECK_FALSE(check_origin("https://street.example:8443", "street.example:8443", true, allowed));
  for (const char* bad : {"http://evil.example", "null", "http://127.0.0.1:8101",
                          "https://127.0.0.1:8100", "http://portal.example"}) {
    auto e = check_origin(bad, "127.0.0.1:8100", false, allowed);
    REQUIRE_MESSAGE(e.has_value(), bad);
    CHECK(e->status == 403);
    CHECK(e->code == "bad_origin");
  }
}

TEST_CASE("Content-Type: a write is JSON (JSON lines for an import), or 415") {
  CHECK_FALSE(check_content_type("application/json", false));
  CHECK_FALSE(check_content_type("Application/JSON; charset=utf-8", false));
  CHECK_FALSE(check_content_type("application/x-ndjson", true));
  for (const char* bad : {"", "text/plain", "text/plain; charset=utf-8",
                          "application/x-www-form-urlencoded", "multipart/form-data"}) {
    auto e = check_content_type(bad, false);
    REQUIRE_MESSAGE(e.has_value(), bad);
    CHECK(e->status == 415);
    CHECK(e->code == "bad_content_type");
  }
  CHECK(check_content_type("application/x-ndjson", false).has_value());
}

TEST_CASE("the clerk book keeps hashes only, 0600, and survives a restart") {
  TempDir dir;
  const std::string token = new_token("w01");
  {
    auto book = book_in(dir);
    auto added = book->add("w01", "王芳", ClerkRole::kWindow, crypto::hash_token(token).value(), 1000);
    REQUIRE_MESSAGE(added.is_ok(), added.status().to_string());
    CHECK(book->add("w01", "again", ClerkRole::kAdmin, FakeHash::hash(token), 1).status().code() ==
          Code::kInvalidArgument);
    CHECK(book->add("admin", "x", ClerkRole::kAdmin, FakeHash::hash(token), 1).status().code() ==
          Code::kInvalidArgument);
    CHECK(book->add("W_1", "x", ClerkRole::kAdmin, FakeHash::hash(token), 1).status().code() ==
          Code::kInvalidArgument);
    CHECK(book->add("w02", "two\nlines", ClerkRole::kAdmin, FakeHash::hash(token), 1).status().code() ==
          Code::kInvalidArgument);
  }
  CHECK(mode_of(dir.file("clerks.json")) == 0600);
  CHECK(read_file(dir.file("clerks.json")).find(token.substr(8)) == std::string::npos);
  auto book = book_in(dir);
  auto w = book->find("w01");
  REQUIRE(w.has_value());
  CHECK(w->name == "王芳");
  CHECK(w->role == ClerkRole::kWindow);
  CHECK(crypto::token_matches(w->token_hash, token));
  const std::uint64_t before = w->generation;
  REQUIRE(book->disable("w01").is_ok());
  CHECK(book->find("w01")->disabled);
  CHECK(book->find("w01")->generation != before);
  CHECK(book->disable("nobody").status().code() == Code::kNotFound);
  CHECK(book_in(dir)->find("w01")->disabled);  // persisted
  REQUIRE(chmod(dir.file("clerks.json").c_str(), 0644) == 0);
  CHECK(ClerkBook::open(dir.file("clerks.json"), dir.file("admin.token")).status().code() ==
        Code::kPermission);
}

TEST_CASE("the admin token file makes the built-in admin; a loose or malformed file is refused") {
  TempDir dir;
  CHECK_FALSE(book_in(dir)->has_admin_token());
  const std::string token = new_token("admin");
  write_file(dir.file("admin.token"), token + "\n", 0640);
  auto book = book_in(dir);
  REQUIRE(book->has_admin_token());
  CHECK(book->is_admin_token(token));
  CHECK_FALSE(book->is_admin_token(new_token("admin")));
  CHECK(book->find("admin")->role == ClerkRole::kAdmin);
  write_file(dir.file("admin.token"), token + "\n", 0644);
  CHECK(ClerkBook::open(dir.file("clerks.json"), dir.file("admin.token")).status().code() ==
        Code::kPermission);
  write_file(dir.file("admin.token"), "hunter2\n", 0600);
  CHECK(book->reload_admin_token().code() == Code::kCorruption);
  CHECK(book->is_admin_token(token));  // a bad reload keeps the token in use
  std::filesystem::remove(dir.file("admin.token"));
  REQUIRE(book->reload_admin_token().is_ok());
  CHECK_FALSE(book->is_admin_token(token));
}

TEST_CASE("verifier: a verified token is remembered; unknown and disabled clerks fail at once") {
  TempDir dir;
  auto book = book_in(dir);
  FakeHash fake;
  std::uint64_t now = 1000;
  TokenVerifier v(book.get(), [&] { return now; }, fake.matcher());
  const std::string token = new_token("w01");
  REQUIRE(book->add("w01", "W", ClerkRole::kWindow, FakeHash::hash(token), 1).is_ok());
  TokenCheck first = v.check(token);
  CHECK(first.outcome == TokenOutcome::kOk);
  CHECK(first.verified_now);
  CHECK(first.clerk->id == "w01");
  for (int i = 0; i < 100; ++i) CHECK(v.check(token).outcome == TokenOutcome::kOk);
  CHECK(fake.runs == 1);  // one Argon2id for 101 requests
  CHECK(v.check(new_token("nobody")).outcome == TokenOutcome::kBad);
  CHECK(v.check("garbage").outcome == TokenOutcome::kBad);
  CHECK(fake.runs == 1);  // neither was hashed
  now += TokenVerifier::kCacheIdleMs;
  CHECK(v.check(token).outcome == TokenOutcome::kOk);
  CHECK(fake.runs == 2);  // idle too long: verified again
  REQUIRE(book->disable("w01").is_ok());
  const TokenCheck gone = v.check(token);
  CHECK(gone.outcome == TokenOutcome::kBad);
  CHECK(gone.message.english().find("disabled") != std::string::npos);
  CHECK(fake.runs == 2);
}

TEST_CASE("verifier: wrong tokens for a clerk pause that clerk's unverified tokens only") {
  TempDir dir;
  auto book = book_in(dir);
  FakeHash fake;
  std::uint64_t now = 1000;
  TokenVerifier v(book.get(), [&] { return now; }, fake.matcher());
  const std::string good = new_token("w01");
  REQUIRE(book->add("w01", "W", ClerkRole::kWindow, FakeHash::hash(good), 1).is_ok());
  REQUIRE(v.check(good).outcome == TokenOutcome::kOk);
  const std::string stale = new_token("w01");
  CHECK(v.check(stale).outcome == TokenOutcome::kBad);
  CHECK(v.check(stale).outcome == TokenOutcome::kBad);  // remembered: not hashed again
  CHECK(fake.runs == 2);
  for (std::size_t i = 2; i < TokenVerifier::kClerkFailuresMax; ++i) {
    CHECK(v.check(new_token("w01")).outcome == TokenOutcome::kBad);
  }
  const int runs = fake.runs;
  const TokenCheck paused = v.check(new_token("w01"));
  CHECK(paused.outcome == TokenOutcome::kThrottled);
  CHECK(paused.message.english().find("w01") != std::string::npos);
  CHECK(fake.runs == runs);  // refused unverified
  CHECK(v.check(good).outcome == TokenOutcome::kOk);  // the verified token keeps working
  now += TokenVerifier::kClerkThrottleMs;
  CHECK(v.check(new_token("w01")).outcome == TokenOutcome::kBad);  // checked again
  CHECK(fake.runs == runs + 1);
}

TEST_CASE("verifier: at most one check runs and two wait; the rest are refused at once") {
  TempDir dir;
  auto book = book_in(dir);
  FakeHash fake;
  fake.delay_ms = 200;
  TokenVerifier v(book.get(), [] { return std::uint64_t{1}; }, fake.matcher());
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    const std::string id = "c" + std::to_string(i);
    REQUIRE(book->add(id, "C", ClerkRole::kWindow, FakeHash::hash(new_token(id)), 1).is_ok());
    ids.push_back(id);
  }
  std::atomic<int> throttled{0}, bad{0};
  std::vector<std::thread> threads;
  for (const auto& id : ids) {
    threads.emplace_back([&, id] {
      const TokenCheck c = v.check(new_token(id));
      (c.outcome == TokenOutcome::kThrottled ? throttled : bad)++;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(bad + throttled == 8);
  CHECK(bad >= 1);
  CHECK(bad <= static_cast<int>(TokenVerifier::kVerifyConcurrentMax + TokenVerifier::kVerifyWaitingMax));
  CHECK(throttled >= 8 - 3);
  CHECK(fake.runs == bad);
}

TEST_CASE("refusals are counted by reason; twenty wrong tokens within a minute are an alert") {
  ApiCounters c;
  CHECK(c.refusals().size() == std::size(kApiRefusals));
  CHECK(c.security_warnings().empty());
  std::uint64_t now = 1'000'000;
  for (std::size_t i = 0; i + 1 < ApiCounters::kBurstTokensMin; ++i) {
    CHECK_FALSE(c.refused(ApiRefusal::kBadToken, now += 1000));
  }
  CHECK_FALSE(c.refused(ApiRefusal::kNoToken, now));  // not a guess at a token
  CHECK(c.security_warnings().empty());
  CHECK(c.refused(ApiRefusal::kThrottled, now += 1000));
  CHECK_FALSE(c.refused(ApiRefusal::kBadToken, now += 1000));  // the same burst goes on
  CHECK(c.bad_token_bursts() == 1);
  REQUIRE(c.security_warnings().size() == 1);
  CHECK(c.security_warnings()[0].rfind("security_alert: api_bad_tokens: 21 wrong", 0) == 0);
  CHECK(c.refusals()["bad_token"] == ApiCounters::kBurstTokensMin);
  CHECK(c.refusals()["no_token"] == 1);
  // Slow mistakes are no burst.
  ApiCounters slow;
  for (int i = 0; i < 100; ++i) CHECK_FALSE(slow.refused(ApiRefusal::kBadToken, now += 10000));
  CHECK(slow.bad_token_bursts() == 0);
}

TEST_CASE("views mask every sensitive field, an edit of one included, unless full") {
  Event e;
  e.kind = std::string(kinds::kCreated);
  e.body = {{"id_number", "110105199001011234"}, {"phone", "13800138000"},
            {"applicant", "王芳"}, {"actor_id", "w01"}, {"actor_name", "W"},
            {"actor_role", "window"}};
  const std::vector<std::string> sensitive = {"id_number", "phone"};
  auto masked = masked_body(e, false, sensitive);
  CHECK(masked["id_number"] == "110*************34");
  CHECK(masked["phone"] == "138******00");
  CHECK(masked["applicant"] == "王芳");
  CHECK_FALSE(masked.contains("actor_id"));  // the event's "actor" shows the clerk
  CHECK(masked_body(e, true, sensitive)["phone"] == "13800138000");
  Event edit;
  edit.kind = std::string(kinds::kEdited);
  edit.body = {{"field", "phone"}, {"value", "13900139000"}};
  CHECK(masked_body(edit, false, sensitive)["value"] == "139******00");
  edit.body["field"] = "desk";
  CHECK(masked_body(edit, false, sensitive)["value"] == "13900139000");
  CHECK(masked_value("王小明") == "王**");
}
