// The state hash: BLAKE2b-256 over a canonical cereal encoding of everything the fold decided.
// Two nodes with the same events fold the same state and so print the same hash; a test that
// compares hashes across nodes compares whole states.
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "crypto/crypto.h"
#include "sync/case_fold.h"
#include "sync/wire_archive.h"

namespace casesync {

namespace {

template <class Archive>
void put(Archive& ar, const Actor& a) {
  ar(a.id, a.name, a.role);
}

template <class Archive>
void put(Archive& ar, const Hop& h) {
  ar(h.id, h.from, h.to, h.desk, to_hex(h.forward_hash), static_cast<int>(h.stage), h.forwarded_ms,
     h.delivered_ms, h.accepted_ms, h.answered_ms, h.outcome, h.reason, h.due_working_days,
     h.supplement_requests, h.paused_ms, h.pause_started_ms, h.superseded, h.bounce);
  put(ar, h.forwarded_by);
  put(ar, h.accepted_by);
  put(ar, h.answered_by);
}

// Display text (TimelineEntry.summary, ConflictRecord.detail) stays out: it is words for people,
// which change with a translation or a rewording between versions, and two nodes on different
// versions holding the same events must still print the same hash. What the text says is
// already in the hashed fields (kind, origin, seq, holder, rule, winner, loser).
template <class Archive>
void put(Archive& ar, const TimelineEntry& t) {
  ar(t.ms, t.origin, t.seq, t.kind, t.applied, t.holder_after, t.edited_field);
  put(ar, t.actor);
}

template <class Archive>
void put(Archive& ar, const ConflictRecord& c) {
  ar(c.rule, c.winner, c.loser);
}

template <class Archive, class T>
void put_all(Archive& ar, const std::vector<T>& items) {
  ar(static_cast<std::uint64_t>(items.size()));
  for (const auto& i : items) put(ar, i);
}

}  // namespace

Hash32 case_state_hash(const CaseState& s) {
  std::string out;
  {
    wire::WireOutputArchive ar(&out);
    ar(s.exists, s.id, s.matter, s.applicant, s.id_number, s.receiving_node, s.materials, s.fields,
       static_cast<int>(s.status), s.holder, s.outcome, s.path, s.invalid, s.bounces,
       s.supplement_requests, s.repeated_supplement, s.supplement_materials,
       s.applicant_notified, s.received_ms, s.completed_ms, s.completed_by,
       s.completion_authority, s.paused_ms, s.pause_started_ms);
    put_all(ar, s.hops);
    put_all(ar, s.timeline);
    put_all(ar, s.conflicts);
    // Added after the fields above: a case without supplied materials (every case folded by an
    // older release) hashes exactly as it did, so nodes on both releases agree on it.
    if (!s.materials_supplied.empty()) ar(s.materials_supplied);
  }
  return crypto::hash(out);
}

}  // namespace casesync
