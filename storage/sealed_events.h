// Events at rest: what SqliteStore writes for an event's bytes and hash when the node's data key
// is given, and how it reads them back. An event's signed bytes hold its body — an applicant's
// ID number and phone among them — and must be relayed to peers exactly as signed, so the store
// seals the whole of them rather than picking values out: XChaCha20-Poly1305 under the data key,
// bound to the event's (origin, seq), over hash || signed bytes. Its hash column holds a keyed
// fingerprint of the hash, not the hash, so nobody holding the file can test a guessed event (a
// name and an ID number) against it; the hash itself travels inside the sealed bytes.
// docs/SECURITY.md, "Personal data at rest".
#pragma once

#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "common/event_record.h"
#include "common/status.h"

namespace casesync {

namespace crypto {
class DataKey;
}

// An event's bytes and hash as the events table holds them.
struct RestingEvent {
  std::string bytes;  // signed bytes, or when `sealed` the sealed hash || signed bytes
  Hash32 hash{};      // the event hash, or its fingerprint when `sealed`
  bool sealed = false;
};

struct OpenedEvent {
  std::string signed_bytes;
  Hash32 hash{};
};

// Sealed when `key` is given, as is otherwise (tests and tools that open a store without one).
RestingEvent to_rest(const EventRecord& event, const crypto::DataKey* key);

// The hash column's value for `hash` (for comparing an arriving event with a stored one).
Hash32 resting_hash(const Hash32& hash, bool sealed, const crypto::DataKey* key);

// A stored event's signed bytes and hash, opened when sealed. kInvalidArgument when the row is
// sealed and no key was given; kCorruption when it does not open (another node's key, altered
// bytes, a row moved to another (origin, seq)). Messages name the event and `path`.
Result<OpenedEvent> from_rest(const RestingEvent& rest, const std::string& origin,
                              std::uint64_t seq, const crypto::DataKey* key,
                              const std::string& path);

}  // namespace casesync
