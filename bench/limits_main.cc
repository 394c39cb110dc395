// casesync_bench_limits: the machine's limits that the daemon's figures are judged against,
// measured in the same run, printed as one JSON object on stdout (run_bench.py reads it).
//
//   casesync_bench_limits --dir DIR [--seconds S] [--note-bytes N] [--batch-events N]
//       Ed25519 sign/verify on one core and verify on every core, durable SQLite inserts
//       (DIR/limits.db), ZeroMQ loopback, and the sizes of a representative note event (and of
//       notes whose texts all differ, for the compressed wire figure).
//   casesync_bench_limits --sizes-of DB [--batch-events N]
//       Average sizes of every event stored in a (stopped) node's database.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "bench/crypto_limits.h"
#include "bench/event_sizes.h"
#include "bench/sqlite_limits.h"
#include "bench/zmq_limits.h"
#include "sync/limits.h"

namespace casesync::bench {
namespace {

using nlohmann::json;

constexpr std::size_t kZmqMessageBytes = 1024;
constexpr int kSecondsMax = 60;

constexpr const char* kUsage =
    "usage: casesync_bench_limits --dir DIR [--seconds S] [--note-bytes N] [--batch-events N]\n"
    "       casesync_bench_limits --sizes-of DB [--batch-events N]\n";

struct Options {
  std::string dir;
  std::string sizes_of;
  int seconds = 2;
  std::size_t note_bytes = 200;
  std::size_t batch_events = 512;  // the daemon's default sync.batch_events_max
};

// Parses "--flag value" pairs; a bad value names the flag and its range.
Result<Options> parse_args(int argc, char** argv) {
  static const std::set<std::string> kKnown = {"--dir", "--sizes-of", "--seconds", "--note-bytes",
                                               "--batch-events"};
  if (argc % 2 != 1) return Status::error(Code::kInvalidArgument, "every flag needs a value");
  std::map<std::string, std::string> flags;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!kKnown.count(argv[i])) {
      return Status::error(Code::kInvalidArgument, std::string("unknown flag ") + argv[i]);
    }
    flags[argv[i]] = argv[i + 1];
  }
  Options o;
  auto number = [&](const char* flag, long long lo, long long hi, auto* out) -> Status {
    auto it = flags.find(flag);
    if (it == flags.end()) return Status::ok();
    char* end = nullptr;
    const long long v = std::strtoll(it->second.c_str(), &end, 10);
    if (*end != '\0' || v < lo || v > hi) {
      return Status::error(Code::kInvalidArgument, std::string(flag) + " " + it->second +
                                                       " is out of range (" + std::to_string(lo) +
                                                       ".." + std::to_string(hi) + ")");
    }
    *out = static_cast<std::remove_pointer_t<decltype(out)>>(v);
    return Status::ok();
  };
  RETURN_IF_ERROR(number("--seconds", 1, kSecondsMax, &o.seconds));
  RETURN_IF_ERROR(number("--note-bytes", 1, limits::kBodyValueBytesMax, &o.note_bytes));
  RETURN_IF_ERROR(number("--batch-events", 1, limits::kBatchEventsMax, &o.batch_events));
  if (flags.count("--dir")) o.dir = flags["--dir"];
  if (flags.count("--sizes-of")) o.sizes_of = flags["--sizes-of"];
  if (o.dir.empty() == o.sizes_of.empty()) {
    return Status::error(Code::kInvalidArgument, "give exactly one of --dir and --sizes-of");
  }
  return o;
}

json sizes_json(const SizeFigures& s) {
  return {{"events", s.events},
          {"encoded_bytes_per_event", s.encoded_bytes_avg},
          {"wire_event_bytes", s.wire_event_bytes_avg},
          {"batch_frame_bytes_per_event", s.batch_frame_bytes_per_event},
          {"batch_frame_compressed_bytes_per_event", s.batch_frame_compressed_bytes_per_event}};
}

Result<json> machine_limits(const Options& o) {
  const std::chrono::milliseconds each(o.seconds * 1000);
  const NoteShape shape{.text_bytes = o.note_bytes};
  const NoteShape distinct{.text_bytes = o.note_bytes, .distinct_text = true};
  const Event note = representative_note(shape, 50000);
  ASSIGN_OR_RETURN(CryptoLimits c, measure_crypto(encode_event(note), each));
  ASSIGN_OR_RETURN(SqliteLimits s, measure_sqlite(o.dir + "/limits.db", note, each));
  ASSIGN_OR_RETURN(ZmqLimits z, measure_zmq(kZmqMessageBytes, each));
  return json{{"sign_per_s", c.sign_per_s},
              {"verify_per_s", c.verify_per_s},
              {"sign_per_cpu_s", c.sign_per_cpu_s},
              {"verify_per_cpu_s", c.verify_per_cpu_s},
              {"verify_all_cores_per_s", c.verify_all_cores_per_s},
              {"cores", c.cores},
              {"crypto_message_bytes", c.message_bytes},
              {"sqlite_inserts_per_s", s.inserts_per_s},
              {"sqlite_events_per_transaction", kInsertsPerTransaction},
              {"sqlite_single_commit_p50_ms", s.single_commit_p50_ms},
              {"sqlite_single_commit_p99_ms", s.single_commit_p99_ms},
              {"sqlite_synchronous", s.synchronous},
              {"sqlite_journal_mode", s.journal_mode},
              {"zmq_msgs_per_s", z.msgs_per_s},
              {"zmq_mib_per_s", z.mib_per_s},
              {"zmq_message_bytes", z.message_bytes},
              {"representative_note", sizes_json(note_sizes(shape, o.batch_events))},
              {"distinct_notes", sizes_json(note_sizes(distinct, o.batch_events))}};
}

Result<json> measure(const Options& o) {
  if (o.sizes_of.empty()) return machine_limits(o);
  ASSIGN_OR_RETURN(SizeFigures s, stored_sizes(o.sizes_of, o.batch_events));
  return sizes_json(s);
}

int run(int argc, char** argv) {
  auto o = parse_args(argc, argv);
  if (!o.is_ok()) {
    std::fprintf(stderr, "casesync_bench_limits: %s\n%s", o.status().message().c_str(), kUsage);
    return 2;
  }
  Result<json> out = measure(*o);
  if (!out.is_ok()) {
    std::fprintf(stderr, "casesync_bench_limits: %s\n", out.status().to_string().c_str());
    return 1;
  }
  std::printf("%s\n", out->dump(2).c_str());
  return 0;
}

}  // namespace
}  // namespace casesync::bench

int main(int argc, char** argv) { return casesync::bench::run(argc, argv); }
