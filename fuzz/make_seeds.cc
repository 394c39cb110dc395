// Writes valid seeds for the generated fuzz targets (decode_message, event, decode_health and,
// where it exists, parse_enrollment) under DIR/<target>/, one file per message type or shape (and
// a compressed batch), so libFuzzer starts from inputs that reach deep into each decoder rather
// than stopping at the magic bytes.
//   fuzz_make_seeds fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#if __has_include("config/enrollment.h")
#include "config/enrollment.h"
#endif
#include "crypto/crypto.h"
#include "sync/event.h"
#include "sync/frame_compression.h"
#include "sync/health_report.h"
#include "sync/messages.h"

using namespace casesync;

namespace {

void write(const std::filesystem::path& dir, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

Event sample_event(std::uint64_t seq, const std::string& kind) {
  Event e;
  e.origin = "s01-c01";
  e.seq = seq;
  e.hlc = (1764000000000ull << 16) | seq;
  e.case_id = "s01-c01-1";
  if (seq > 1) e.parents.push_back(Hash32{0x11, 0x22});
  e.prev[0] = static_cast<std::uint8_t>(seq - 1);
  e.kind = kind;
  e.body = kind == "case_created"
               ? std::map<std::string, std::string>{{"matter", "QY-001"}, {"applicant", "Li Wei"}}
               : std::map<std::string, std::string>{{"to", "s01"}, {"note", "materials complete"}};
  return e;
}

HealthReport sample_health() {
  HealthReport r;
  r.node = "s01";
  r.software_version = "0.1.0";
  r.generated_ms = 1764000000000ull;
  r.hlc = r.generated_ms << 16;
  r.uptime_s = 42;
  r.links.push_back({"district", true, true, 3, 1764000000000ull, 10, 12, 2, -5, 100});
  r.links.push_back({"s01-c01", false, false, 0, 0, 7, 7, 0, 0, 40000});
  r.db_bytes = 4096;
  r.events = 12;
  r.counters = {{"events_in", 10}, {"bytes_in", 2000}};
  r.rejects = {{"bad_signature", 1}};
  r.stalled_hops = 1;
  r.warnings = {"calendar: no schedule for 2027"};
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds CORPUS_DIR\n");
    return 2;
  }
  if (!crypto::init().is_ok()) return 1;
  const std::filesystem::path root = argv[1];
  const crypto::KeyPair key = crypto::generate_keypair();

  const Event created = sample_event(1, "case_created");
  const Event forwarded = sample_event(2, "forwarded");
  write(root / "event", "case_created", encode_event(created));
  write(root / "event", "forwarded", encode_event(forwarded));

  const std::string m = root / "decode_message";
  write(m, "hello", encode_message(HelloMsg{"s01-c01", 7, 1ull << 40, 1764000000000ull, 1, 3}));
  BatchMsg batch;
  batch.first_pos = 8;
  for (const Event* e : {&created, &forwarded}) {
    EventRecord r = seal_event(*e, key.secret);
    batch.events.push_back({r.origin, r.signed_bytes, r.signature});
  }
  write(m, "batch", encode_message(batch));
  // The same events repeated: large enough to travel compressed (the kFrameFlagZstd path).
  for (int i = 0; i < 3; ++i) {
    batch.events.insert(batch.events.end(), batch.events.begin(), batch.events.begin() + 2);
  }
  const std::string compressed = compress_frame(encode_message(batch));
  if ((static_cast<std::uint8_t>(compressed[3]) & kFrameFlagZstd) == 0) return 1;
  write(m, "batch_zstd", compressed);
  write(m, "ack", encode_message(AckMsg{9}));
  write(m, "urgent", encode_message(UrgentMsg{5, batch.events}));
  write(m, "urgent_ack", encode_message(UrgentAckMsg{5}));
  write(m, "heartbeat", encode_message(HeartbeatMsg{1ull << 40, 1764000000000ull, 9}));
  const SignedHealth h = sign_health(sample_health(), key.secret);
  write(m, "health", encode_message(HealthMsg{h.origin, h.report, h.signature}));
  write(m, "roster", encode_message(RosterMsg{2, "version = 2\n", std::string(64, 's')}));

  write(root / "decode_health", "street", encode_health(sample_health()));
  write(root / "decode_health", "empty", encode_health(HealthReport{}));
#if __has_include("config/enrollment.h")
  EnrollmentRequest req;
  req.node = {"s01-c09", "Community 9", Role::kCommunity, "s01", {}, key.public_key, {}, "", "", false};
  req.curve_public_key = crypto::curve_public_from_sign_public(key.public_key);
  write(root / "parse_enrollment", "community.json", render_enrollment(req));
  req.node.parent = "district";
  req.node.role = Role::kStreet;
  req.node.id = "s09";
  req.node.endpoint = "tcp://127.0.0.1:7009";
  write(root / "parse_enrollment", "street.json", render_enrollment(req));
#endif
  std::printf("seeds written under %s\n", root.c_str());
  return 0;
}
