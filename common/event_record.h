// EventRecord: one signed event as storage and the wire see it. The signed bytes are kept
// exactly as authored so that relaying never re-encodes (re-encoding could change the bytes the
// signature covers). The structured view of those bytes lives in sync/event.h.
#pragma once

#include <cstdint>
#include <string>

#include "common/bytes.h"

namespace casesync {

struct EventRecord {
  std::string origin;        // node id of the author
  std::uint64_t seq = 0;     // per-origin sequence, 1-based, never reused
  std::uint64_t hlc = 0;     // hybrid logical clock: 48-bit ms << 16 | 16-bit counter
  std::string case_id;
  std::string kind;          // "case_created", "forwarded", ...
  std::string signed_bytes;  // the exact encoded event the signature covers
  std::string signature;     // Ed25519, 64 bytes
  Hash32 hash{};             // BLAKE2b-256(signed_bytes)
  std::uint64_t local_seq = 0;  // position in this node's log; assigned by the store on insert
};

}  // namespace casesync
