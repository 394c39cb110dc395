// Event sizes for the wire-overhead figure: a note event shaped like the ones the benchmark
// driver authors, and the average sizes of every event a node's database actually holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"
#include "sync/event.h"

namespace casesync::bench {

// The shape of the notes run_bench.py authors: one parent (the case's previous head), a chained
// prev, a realistic seq and HLC, and a body {"note": text}.
struct NoteShape {
  std::string origin = "s01";
  std::string case_id = "s01-bench-000001";
  std::size_t text_bytes = 200;
  // Each note a different random text (seeded by seq) instead of one repeated text: a case
  // less favourable to compressing a batch than any real notes.
  bool distinct_text = false;
};

Event representative_note(const NoteShape& shape, std::uint64_t seq);

struct SizeFigures {
  std::uint64_t events = 0;
  double encoded_bytes_avg = 0;     // signed_bytes: the encoded event the signature covers
  double wire_event_bytes_avg = 0;  // one WireEvent inside a Batch: origin, signed bytes, signature
  double batch_frame_bytes_per_event = 0;  // a full Batch frame divided by its events
  double batch_frame_compressed_bytes_per_event = 0;  // the same, as compress_frame sends it
};

// Sizes of the representative note, and of a Batch of `batch_events` such notes.
SizeFigures note_sizes(const NoteShape& shape, std::size_t batch_events);

// Sizes over every event stored in the SQLite database at `db_path` (a stopped node's file), and
// of Batch frames of `batch_events` of them, as the node would send them.
Result<SizeFigures> stored_sizes(const std::string& db_path, std::size_t batch_events);

}  // namespace casesync::bench
