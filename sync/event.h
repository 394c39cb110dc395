// Event: the structured view of one signed event, its encoding, and sealing/opening.
//
// Encoding (cereal, WireOutputArchive): version u8, origin, seq u64, hlc u64, case_id,
// parents (count + 32-byte hashes), prev (32 bytes: the hash of the origin's previous event, all
// zero for seq 1), kind, body (count + key/value strings). The signature covers
// kEventDomain || encoded bytes; the hash is BLAKE2b-256 of the encoded bytes.
//
// open_event verifies the signature on the raw bytes before a single field is decoded.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/event_record.h"
#include "common/status.h"
#include "crypto/crypto.h"

namespace casesync {

constexpr std::uint8_t kEventVersion = 1;

struct Event {
  std::uint8_t version = kEventVersion;
  std::string origin;
  std::uint64_t seq = 0;
  std::uint64_t hlc = 0;
  std::string case_id;
  std::vector<Hash32> parents;  // heads of the case the author had seen
  Hash32 prev{};                // the origin's previous event (per-origin chain)
  std::string kind;
  std::map<std::string, std::string> body;

  std::string field(const std::string& key) const {
    auto it = body.find(key);
    return it == body.end() ? std::string() : it->second;
  }
};

std::string encode_event(const Event& event);
// Decodes and checks every named limit and the case id's character set (A-Z a-z 0-9 - _ . :).
// Does not verify: call open_event for bytes from outside.
Result<Event> decode_event(std::string_view bytes);

// Signs and hashes; the record's fields mirror the event's.
EventRecord seal_event(const Event& event, const crypto::SecretKey& secret);

// Verifies the record's signature with the origin's public key, then decodes, then checks that
// the decoded fields match the record's envelope (origin, seq, case) and the hash.
Result<Event> open_event(const EventRecord& record, std::string_view origin_public_key);
// The rest of open_event once the signature is checked, for a caller that verified a whole batch
// at once (crypto::BatchVerifier): decodes and checks the decoded origin against the envelope.
// REQUIRES: record.signature over record.signed_bytes was verified with the origin's key.
Result<Event> open_verified_event(const EventRecord& record);

// The seq of an encoded event, read before its signature is checked: the only field read then,
// and only for an origin with retired keys (a key rotation), to pick the key that signed it.
// nullopt when the bytes do not start like an event.
std::optional<std::uint64_t> peek_event_seq(std::string_view bytes);

// Fills hash/hlc/seq/case/kind from bytes already verified (used when relaying from storage).
Result<EventRecord> record_from_signed(std::string signed_bytes, std::string signature);

}  // namespace casesync
