#include "bench/event_sizes.h"

#include <vector>

#include "storage/sqlite_store.h"
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
    }
    return out_;
  }

 private:
  void flush() {
    if (batch_.events.empty()) return;
    frame_total_ += encode_message(batch_).size();
    batch_.first_pos += batch_.events.size();
    batch_.events.clear();
  }

  std::size_t batch_events_;
  BatchMsg batch_{1, {}};
  SizeFigures out_;
  std::uint64_t encoded_total_ = 0;
  std::uint64_t wire_total_ = 0;
  std::uint64_t frame_total_ = 0;
};

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
  e.body["note"] = std::string(shape.text_bytes, 'x');
  return e;
}

SizeFigures note_sizes(const NoteShape& shape, std::size_t batch_events) {
  SizeTally tally(batch_events);
  const std::string signature(crypto::kSignatureBytes, 's');
  for (std::uint64_t seq = 1; seq <= batch_events; ++seq) {
    tally.add(shape.origin, encode_event(representative_note(shape, 50000 + seq)), signature);
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
