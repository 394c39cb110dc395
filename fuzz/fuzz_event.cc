// Fuzzes the event decoders: decode_event on raw bytes, and open_event on the same bytes signed
// by a fixed key (so the fuzzer gets past the signature into decoding and the envelope checks).
#include <cassert>

#include "crypto/crypto.h"
#include "fuzz/fuzz_target.h"
#include "sync/event.h"
#include "sync/limits.h"

namespace {

const casesync::crypto::KeyPair& fixed_key() {
  static const casesync::crypto::KeyPair key = [] {
    (void)casesync::crypto::init();
    return casesync::crypto::generate_keypair();
  }();
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace casesync;
  const std::string bytes(fuzz::as_text(data, size));
  auto decoded = decode_event(bytes);
  if (decoded.is_ok()) {
    // What decodes re-encodes to something that decodes to the same fields.
    auto again = decode_event(encode_event(*decoded));
    assert(again.is_ok());
    assert(again->origin == decoded->origin && again->seq == decoded->seq &&
           again->body == decoded->body);
  }
  EventRecord r;
  r.origin = decoded.is_ok() ? decoded->origin : std::string("c01");
  r.signed_bytes = bytes;
  r.signature = crypto::sign(fixed_key().secret, crypto::kEventDomain, bytes);
  auto opened = open_event(r, fixed_key().public_key);
  assert(opened.is_ok() == decoded.is_ok());
  (void)record_from_signed(bytes, r.signature);
  return 0;
}
