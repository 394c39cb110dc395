// Proves ParallelVerifier gives exactly the verdicts of sequential verification, in order, for
// every mix of good and bad signatures, batch size and thread count, and job after job.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "daemon/parallel_verifier.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "crypto/crypto.h"

using namespace casesync;

namespace {

constexpr std::string_view kDomain = crypto::kEventDomain;

// Owns the bytes a span of SignedMessage points into.
struct Items {
  std::vector<std::string> keys, messages, signatures;
  std::vector<crypto::SignedMessage> views;

  void add(std::string key, std::string message, std::string signature) {
    keys.push_back(std::move(key));
    messages.push_back(std::move(message));
    signatures.push_back(std::move(signature));
  }
  std::span<const crypto::SignedMessage> span() {
    views.clear();
    for (std::size_t i = 0; i < keys.size(); ++i) {
      views.push_back({keys[i], messages[i], signatures[i]});
    }
    return views;
  }
};

// `count` items; every fifth has something wrong with it, in one of five ways.
Items mixed(std::size_t count) {
  REQUIRE(crypto::init().is_ok());
  static const crypto::KeyPair a = crypto::generate_keypair();
  static const crypto::KeyPair b = crypto::generate_keypair();
  Items items;
  for (std::size_t i = 0; i < count; ++i) {
    std::string msg = "event " + std::to_string(i);
    std::string sig = crypto::sign(a.secret, kDomain, msg);
    std::string key = a.public_key;
    switch (i % 25) {
      case 4: sig[7] ^= 1; break;                        // damaged signature
      case 9: key = b.public_key; break;                 // someone else's key
      case 14: msg += "!"; break;                        // tampered message
      case 19: key.pop_back(); break;                    // key of the wrong size
      case 24: sig = crypto::sign(a.secret, "other/domain", msg); break;  // wrong domain
      default: break;
    }
    items.add(std::move(key), std::move(msg), std::move(sig));
  }
  return items;
}

}  // namespace

TEST_CASE("verdicts equal sequential verification for every size and thread count") {
  crypto::SequentialVerifier sequential;
  for (unsigned threads : {1u, 2u, 3u, 8u}) {
    ParallelVerifier parallel(threads);
    CHECK(parallel.threads() == threads);
    for (std::size_t count : {0u, 1u, 15u, 16u, 17u, 100u, 513u}) {
      Items items = mixed(count);
      auto want = sequential.verify_all(kDomain, items.span());
      auto got = parallel.verify_all(kDomain, items.span());
      CAPTURE(threads);
      CAPTURE(count);
      CHECK(got == want);
      CHECK(got.size() == count);
    }
  }
}

TEST_CASE("bad signatures are refused wherever they sit in the batch") {
  Items items = mixed(200);
  ParallelVerifier parallel(4);
  auto got = parallel.verify_all(kDomain, items.span());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == (i % 5 != 4));
  }
}

TEST_CASE("one pool serves job after job, and 0 threads means one per core") {
  ParallelVerifier parallel(0);
  CHECK(parallel.threads() >= 1);
  crypto::SequentialVerifier sequential;
  for (int round = 0; round < 50; ++round) {
    Items items = mixed(static_cast<std::size_t>(16 + round * 7));
    CHECK(parallel.verify_all(kDomain, items.span()) ==
          sequential.verify_all(kDomain, items.span()));
  }
}
