// Proves frame compression: a batch round-trips compressed, what does not pay travels raw, and a
// decoder refuses zip bombs, undeclared sizes, truncated or damaged data, trailing bytes and
// unknown flags without allocating more than the frame limit.
#include "sync/frame_compression.h"

#include <doctest/doctest.h>
#include <zstd.h>

#include <random>

#include "crypto/crypto.h"
#include "sync/event.h"
#include "sync/messages.h"

using namespace casesync;

namespace {

// `count` notes of one case, as a street sends them: repetitive text, unique signatures.
BatchMsg note_batch(std::size_t count) {
  REQUIRE(crypto::init().is_ok());
  static const crypto::KeyPair keys = crypto::generate_keypair();
  BatchMsg b;
  b.first_pos = 1;
  for (std::size_t i = 1; i <= count; ++i) {
    Event e;
    e.origin = "s01";
    e.seq = i;
    e.hlc = 1'750'000'000'000ULL << 16 | i;
    e.case_id = "s01-000042";
    e.prev = crypto::hash(std::to_string(i));
    e.kind = "note";
    e.body["note"] = "Materials checked at the window; applicant asked to bring the lease.";
    EventRecord r = seal_event(e, keys.secret);
    b.events.push_back({r.origin, r.signed_bytes, r.signature});
  }
  return b;
}

std::string zstd(std::string_view data, bool declare_size = true) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, declare_size ? 1 : 0);
  std::string out(ZSTD_compressBound(data.size()), '\0');
  std::size_t n = 0;
  if (declare_size) {
    n = ZSTD_compress2(c, out.data(), out.size(), data.data(), data.size());
  } else {
    // Streaming without a pledged size leaves the size out of the frame header.
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    ZSTD_outBuffer o{out.data(), out.size(), 0};
    ZSTD_compressStream2(c, &o, &in, ZSTD_e_continue);
    n = ZSTD_compressStream2(c, &o, &in, ZSTD_e_end) == 0 ? o.pos : 0;
  }
  ZSTD_freeCCtx(c);
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// A Batch frame flagged compressed, carrying `body` as is (with a valid frame checksum).
std::string flagged_frame(std::string_view body) {
  return seal_frame(MessageType::kBatch, body, kFrameFlagZstd);
}

std::string error_of(std::string_view frame) {
  auto m = decode_message(frame);
  REQUIRE_FALSE(m.is_ok());
  return m.status().message();
}

}  // namespace

TEST_CASE("a batch round-trips compressed, smaller and flagged") {
  const std::string raw = encode_message(note_batch(200));
  const std::string sent = compress_frame(raw);
  CHECK((static_cast<std::uint8_t>(sent[3]) & kFrameFlagZstd) != 0);
  CHECK(sent.size() < raw.size() * 3 / 4);
  auto back = decode_message(sent);
  REQUIRE(back.is_ok());
  CHECK(encode_message(*back) == raw);
}

TEST_CASE("small frames and incompressible bodies travel raw") {
  const std::string ack = encode_message(AckMsg{7});
  CHECK(compress_frame(ack) == ack);
  // Random event bytes: only the length prefixes and origins would compress.
  BatchMsg b = note_batch(4);
  std::mt19937_64 rng(42);
  for (auto& e : b.events) {
    e.signed_bytes.resize(4000);
    for (auto& ch : e.signed_bytes) ch = static_cast<char>(rng());
  }
  const std::string raw = encode_message(b);
  REQUIRE(raw.size() - kFrameHeaderBytes >= kCompressBodyBytesMin);
  CHECK(compress_frame(raw) == raw);
  CHECK(decode_message(raw).is_ok());
}

TEST_CASE("a zip bomb is refused by its declared size, before anything is allocated") {
  const std::string zeros(kDecompressedBodyBytesMax + 1, '\0');
  const std::string bomb = zstd(zeros);
  CHECK(bomb.size() < 4096);
  CHECK(error_of(flagged_frame(bomb)).find("limit") != std::string::npos);
}

TEST_CASE("a compressed body without a declared size is refused") {
  const std::string body = encode_message(note_batch(20)).substr(kFrameHeaderBytes);
  CHECK(error_of(flagged_frame(zstd(body, false))).find("no declared") != std::string::npos);
}

TEST_CASE("truncated, damaged and over-long compressed bodies are refused") {
  const std::string sent = compress_frame(encode_message(note_batch(100)));
  REQUIRE((static_cast<std::uint8_t>(sent[3]) & kFrameFlagZstd) != 0);
  const std::string body = sent.substr(kFrameHeaderBytes);
  CHECK(decode_message(flagged_frame(body)).is_ok());
  // Damage on the way is caught by the frame checksum before decompression is tried.
  std::string damaged = sent;
  damaged[damaged.size() / 2] ^= 0x20;
  CHECK(error_of(damaged).find("checksum") != std::string::npos);
  // A sender that checksums bad data: zstd itself must refuse it.
  for (std::size_t cut : {1u, 4u, 100u}) {
    CAPTURE(cut);
    error_of(flagged_frame(body.substr(0, body.size() - cut)));
  }
  error_of(flagged_frame(""));  // flagged, with no body at all
  std::string garbled = body;
  garbled[garbled.size() / 2] ^= 0x20;
  error_of(flagged_frame(garbled));  // zstd's content checksum catches what decoding does not
  // A second zstd frame behind the first: more bytes than the header declared.
  CHECK(error_of(flagged_frame(body + body)).find("after the zstd frame") != std::string::npos);
  CHECK(error_of(flagged_frame("not zstd at all")).find("not a zstd frame") != std::string::npos);
}

TEST_CASE("unknown frame flags are refused") {
  const std::string ack = encode_message(AckMsg{3});
  const std::string body = ack.substr(kFrameHeaderBytes);
  for (int flag : {0x10, 0x20, 0x40}) {
    const std::string f = seal_frame(MessageType::kAck, body, static_cast<std::uint8_t>(flag));
    CHECK(error_of(f).find("unknown frame flags") != std::string::npos);
  }
  // The zstd flag on a body that is not compressed.
  error_of(seal_frame(MessageType::kAck, body, kFrameFlagZstd));
}
