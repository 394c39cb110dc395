#include "storage/sealed_events.h"

#include <algorithm>

#include "crypto/crypto.h"
#include "crypto/data_key.h"

namespace casesync {

namespace {

// Binds a sealed event to its row: a sealed value copied into another row does not open.
std::string associated_data(const std::string& origin, std::uint64_t seq) {
  return "casesync/event-at-rest/v1/" + origin + "/" + std::to_string(seq);
}

std::string event_name(const std::string& origin, std::uint64_t seq) {
  return origin + ":" + std::to_string(seq);
}

}  // namespace

RestingEvent to_rest(const EventRecord& event, const crypto::DataKey* key) {
  if (key == nullptr) return {event.signed_bytes, event.hash, false};
  std::string plain(as_view(event.hash));
  plain += event.signed_bytes;
  RestingEvent rest{key->seal(plain, associated_data(event.origin, event.seq)),
                    resting_hash(event.hash, true, key), true};
  crypto::wipe(plain);
  return rest;
}

Hash32 resting_hash(const Hash32& hash, bool sealed, const crypto::DataKey* key) {
  if (!sealed || key == nullptr) return hash;
  return key->fingerprint(as_view(hash));
}

Result<OpenedEvent> from_rest(const RestingEvent& rest, const std::string& origin,
                              std::uint64_t seq, const crypto::DataKey* key,
                              const std::string& path) {
  if (!rest.sealed) return OpenedEvent{rest.bytes, rest.hash};
  if (key == nullptr) {
    return Status::error(Code::kInvalidArgument,
                         path + ": event " + event_name(origin, seq) +
                             " is sealed under the node's data key; open the database with it "
                             "(paths.data_key, docs/INSTALL.md)");
  }
  auto plain = key->open(rest.bytes, associated_data(origin, seq));
  if (!plain.is_ok() || plain->size() < sizeof(Hash32)) {
    return Status::error(Code::kCorruption,
                         path + ": event " + event_name(origin, seq) + ": " +
                             (plain.is_ok() ? "sealed value too short" : plain.status().message()) +
                             "; is this the data key of the node that wrote the database?");
  }
  OpenedEvent out;
  std::copy_n(plain->begin(), out.hash.size(), out.hash.begin());
  out.signed_bytes = plain->substr(out.hash.size());
  crypto::wipe(*plain);
  return out;
}

}  // namespace casesync
