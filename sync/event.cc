#include "sync/event.h"

#include <cstdio>

#include <cereal/types/array.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/vector.hpp>

#include "sync/limits.h"
#include "sync/wire_archive.h"

namespace casesync {
namespace {

template <class Archive>
void write_fields(Archive& ar, const Event& e) {
  ar(e.version, e.origin, e.seq, e.hlc, e.case_id, e.parents, e.prev, e.kind, e.body);
}

// Case ids are made by nodes (<creator>-<number>, daemon/node_runtime.cc) and travel into logs,
// alerts, URLs and file names: a peer's id with a control character could forge a log line.
bool case_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':';
}

Status check_case_id(const std::string& id) {
  for (char c : id) {
    if (case_id_char(c)) continue;
    char hex[3];
    std::snprintf(hex, sizeof(hex), "%02x", static_cast<unsigned char>(c));
    return Status::error(Code::kCorruption, std::string("case_id has byte 0x") + hex +
                                                " outside its character set (A-Z a-z 0-9 - _ . :)");
  }
  return Status::ok();
}

Status check_limits(const Event& e) {
  auto too_long = [](const char* what, std::size_t size, std::size_t max) {
    return Status::error(Code::kCorruption, std::string(what) + " is " + std::to_string(size) +
                                                " bytes (limit " + std::to_string(max) + ")");
  };
  if (e.version != kEventVersion) {
    return Status::error(Code::kCorruption,
                         "unknown event version " + std::to_string(e.version));
  }
  if (e.origin.empty() || e.origin.size() > limits::kNodeIdBytesMax)
    return too_long("origin", e.origin.size(), limits::kNodeIdBytesMax);
  if (e.case_id.empty() || e.case_id.size() > limits::kCaseIdBytesMax)
    return too_long("case_id", e.case_id.size(), limits::kCaseIdBytesMax);
  RETURN_IF_ERROR(check_case_id(e.case_id));
  if (e.kind.empty() || e.kind.size() > limits::kKindBytesMax)
    return too_long("kind", e.kind.size(), limits::kKindBytesMax);
  if (e.seq == 0) return Status::error(Code::kCorruption, "seq 0 is never allocated");
  if (e.parents.size() > limits::kParentsMax)
    return too_long("parents list", e.parents.size(), limits::kParentsMax);
  if (e.body.size() > limits::kBodyFieldsMax)
    return too_long("body field count", e.body.size(), limits::kBodyFieldsMax);
  for (const auto& [k, v] : e.body) {
    if (k.size() > limits::kBodyKeyBytesMax) return too_long("body key", k.size(), limits::kBodyKeyBytesMax);
    if (v.size() > limits::kBodyValueBytesMax)
      return too_long("body value", v.size(), limits::kBodyValueBytesMax);
  }
  return Status::ok();
}

}  // namespace

std::string encode_event(const Event& event) {
  std::string out;
  out.reserve(128);
  {
    wire::WireOutputArchive ar(&out);
    write_fields(ar, event);
  }
  return out;
}

Result<Event> decode_event(std::string_view bytes) {
  if (bytes.size() > limits::kEventBytesMax) {
    return Status::error(Code::kCorruption, "event is " + std::to_string(bytes.size()) +
                                                " bytes (limit " +
                                                std::to_string(limits::kEventBytesMax) + ")");
  }
  Event e;
  try {
    wire::BoundedInputArchive ar(bytes);
    ar(e.version);
    if (e.version != kEventVersion) {
      return Status::error(Code::kCorruption, "unknown event version " + std::to_string(e.version));
    }
    ar(e.origin, e.seq, e.hlc, e.case_id, e.parents, e.prev, e.kind, e.body);
    if (ar.remaining() != 0) {
      return Status::error(Code::kCorruption,
                           std::to_string(ar.remaining()) + " trailing bytes after the event");
    }
  } catch (const cereal::Exception& ex) {
    return Status::error(Code::kCorruption, std::string("event does not decode: ") + ex.what());
  }
  RETURN_IF_ERROR(check_limits(e));
  return e;
}

std::optional<std::uint64_t> peek_event_seq(std::string_view bytes) {
  if (bytes.size() > limits::kEventBytesMax) return std::nullopt;
  try {
    wire::BoundedInputArchive ar(bytes);
    std::uint8_t version = 0;
    std::string origin;
    std::uint64_t seq = 0;
    ar(version);
    if (version != kEventVersion) return std::nullopt;
    ar(origin, seq);
    return seq;
  } catch (const cereal::Exception&) {
    return std::nullopt;
  }
}

EventRecord seal_event(const Event& event, const crypto::SecretKey& secret) {
  EventRecord r;
  r.origin = event.origin;
  r.seq = event.seq;
  r.hlc = event.hlc;
  r.case_id = event.case_id;
  r.kind = event.kind;
  r.signed_bytes = encode_event(event);
  r.signature = crypto::sign(secret, crypto::kEventDomain, r.signed_bytes);
  r.hash = crypto::hash(r.signed_bytes);
  return r;
}

Result<Event> open_event(const EventRecord& record, std::string_view origin_public_key) {
  if (!crypto::verify(origin_public_key, crypto::kEventDomain, record.signed_bytes,
                      record.signature)) {
    return Status::error(Code::kCorruption, "bad signature on an event claiming origin " +
                                                record.origin);
  }
  return open_verified_event(record);
}

Result<Event> open_verified_event(const EventRecord& record) {
  ASSIGN_OR_RETURN(Event e, decode_event(record.signed_bytes));
  if (e.origin != record.origin) {
    return Status::error(Code::kUnauthorized, "event signed by " + record.origin +
                                                  " claims origin " + e.origin);
  }
  return e;
}

Result<EventRecord> record_from_signed(std::string signed_bytes, std::string signature) {
  ASSIGN_OR_RETURN(Event e, decode_event(signed_bytes));
  EventRecord r;
  r.origin = e.origin;
  r.seq = e.seq;
  r.hlc = e.hlc;
  r.case_id = e.case_id;
  r.kind = e.kind;
  r.hash = crypto::hash(signed_bytes);
  r.signed_bytes = std::move(signed_bytes);
  r.signature = std::move(signature);
  return r;
}

}  // namespace casesync
