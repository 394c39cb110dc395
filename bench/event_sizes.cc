#include "bench/event_sizes.h"

#include <random>
#include <vector>

#include "storage/sqlite_store.h"
#include "sync/frame_compression.h"
#include "sync/messages.h"

namespace casesync::bench {

namespace {

// Events read from a database per call, so a large file is never loaded whole.
constexpr std::size_t kReadChunkEvents = 10000;
// A 2025 wall clock in the HLC's 48-bit millisecond field (the field is fixed-width anyway).
constexpr std::uint64_t kHlcSample = 1'750'000'000'000ULL << 16;

// Adds a run of events to a running total, and returns the encoded size of their Batch frame.
class SizeTally {
 public:
  explicit SizeTally(std::size_t batch_events) : batch_events_(batch_events) {}

  void add(std::string origin, std::string signed_bytes, std::string signature) {
    out_.events++;
    encoded_total_ += signed_bytes.size();
    // A WireEvent is three strings, each with cereal's 64-bit length prefix.
    wire_total_ +=
        3 * sizeof(std::uint64_t) + origin.size() + signed_bytes.size() + signature.size();
    batch_.events.push_back({std::move(origin), std::move(signed_bytes), std::move(signature)});
    if (batch_.events.size() == batch_events_) flush();
  }

  SizeFigures finish() {
    flush();
    if (out_.events > 0) {
      const double n = static_cast<double>(out_.events);
      out_.encoded_bytes_avg = static_cast<double>(encoded_total_) / n;
      out_.wire_event_bytes_avg = static_cast<double>(wire_total_) / n;
      out_.batch_frame_bytes_per_event = static_cast<double>(frame_total_) / n;
      out_.batch_frame_compressed_bytes_per_event = static_cast<double>(compressed_total_) / n;
    }
    return out_;
  }

 private:
  void flush() {
    if (batch_.events.empty()) return;
    std::string frame = encode_message(batch_);
    frame_total_ += frame.size();
    compressed_total_ += compress_frame(std::move(frame)).size();
    batch_.first_pos += batch_.events.size();
    batch_.events.clear();
  }

  std::size_t batch_events_;
  BatchMsg batch_{1, {}};
  SizeFigures out_;
  std::uint64_t encoded_total_ = 0;
  std::uint64_t wire_total_ = 0;
  std::uint64_t frame_total_ = 0;
  std::uint64_t compressed_total_ = 0;
};

// `bytes` of random letters and digits, different for every seed: about 6 bits per byte, which
// compresses worse than prose in either English or Chinese (a pessimistic note).
std::string distinct_text(std::size_t bytes, std::uint64_t seed) {
  static constexpr std::string_view kAlphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .";
  std::mt19937_64 rng(seed);
  std::string out(bytes, ' ');
  for (auto& c : out) c = kAlphabet[rng() % kAlphabet.size()];
  return out;
}

}  // namespace

Event representative_note(const NoteShape& shape, std::uint64_t seq) {
  Event e;
  e.origin = shape.origin;
  e.seq = seq;
  e.hlc = kHlcSample + seq;
  e.case_id = shape.case_id;
  e.parents.push_back(crypto::hash(std::to_string(seq - 1)));
  e.prev = crypto::hash(std::to_string(seq));
  e.kind = "note";
  e.body["note"] = shape.distinct_text ? distinct_text(shape.text_bytes, seq)
                                       : std::string(shape.text_bytes, 'x');
  return e;
}

SizeFigures note_sizes(const NoteShape& shape, std::size_t batch_events) {
  SizeTally tally(batch_events);
  // Real signatures: 64 random bytes per event are what a compressor cannot shrink.
  const crypto::KeyPair keys = crypto::generate_keypair();
  for (std::uint64_t seq = 1; seq <= batch_events; ++seq) {
    EventRecord r = seal_event(representative_note(shape, 50000 + seq), keys.secret);
    tally.add(std::move(r.origin), std::move(r.signed_bytes), std::move(r.signature));
  }
  return tally.finish();
}

Result<SizeFigures> stored_sizes(const std::string& db_path, std::size_t batch_events) {
  ASSIGN_OR_RETURN(auto store, SqliteStore::open(db_path));
  SizeTally tally(batch_events);
  std::uint64_t after = 0;
  for (;;) {
    ASSIGN_OR_RETURN(auto records, store->events_after(after, kReadChunkEvents));
    if (records.empty()) break;
    after = records.back().local_seq;
    for (auto& r : records) {
      tally.add(std::move(r.origin), std::move(r.signed_bytes), std::move(r.signature));
    }
  }
  return tally.finish();
}

}  // namespace casesync::bench
