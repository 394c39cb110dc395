#include "sync/messages.h"

#include <cassert>

#include <cereal/types/vector.hpp>

#include "common/crc32c.h"
#include "sync/frame_compression.h"
#include "sync/limits.h"
#include "sync/wire_archive.h"

namespace casesync {

template <class Archive>
void serialize(Archive& ar, OriginHead& m) { ar(m.origin, m.seq, m.hash); }
template <class Archive>
void serialize(Archive& ar, HelloMsg& m) {
  ar(m.node_id, m.applied_pos, m.hlc, m.wall_ms, m.is_reply, m.roster_version, m.epoch,
     m.outbox_last_pos, m.own_last_seq, m.your_last_seq, m.your_last_bytes, m.your_last_signature,
     m.your_epoch, m.your_acked_pos, m.heads, m.policy_version, m.restoring);
}
template <class Archive>
void serialize(Archive& ar, WireEvent& m) { ar(m.origin, m.signed_bytes, m.signature); }
template <class Archive>
void serialize(Archive& ar, BatchMsg& m) { ar(m.first_pos, m.events, m.epoch, m.your_epoch); }
template <class Archive>
void serialize(Archive& ar, AckMsg& m) { ar(m.applied_pos); }
template <class Archive>
void serialize(Archive& ar, HeartbeatMsg& m) {
  ar(m.hlc, m.wall_ms, m.applied_pos, m.roster_version, m.policy_version);
}
template <class Archive>
void serialize(Archive& ar, HealthMsg& m) { ar(m.origin, m.report, m.signature); }
template <class Archive>
void serialize(Archive& ar, RosterMsg& m) { ar(m.version, m.text, m.signature); }
template <class Archive>
void serialize(Archive& ar, DocMsg& m) { ar(m.kind, m.version, m.text, m.signature); }
template <class Archive>
void serialize(Archive& ar, UrgentMsg& m) { ar(m.token, m.events); }
template <class Archive>
void serialize(Archive& ar, UrgentAckMsg& m) { ar(m.token); }
template <class Archive>
void serialize(Archive& ar, EvidenceMsg& m) { ar(m.versions); }
template <class Archive>
void serialize(Archive& ar, HeadsMsg& m) { ar(m.heads); }

namespace {

constexpr char kMagic0 = 'C';
constexpr char kMagic1 = 'S';
// "CS", protocol version, message type, then CRC-32C (little endian) of those four bytes and
// the body.
constexpr std::size_t kPrefixBytes = 4;
constexpr std::size_t kHeaderBytes = kPrefixBytes + 4;
static_assert(kHeaderBytes == kFrameHeaderBytes);

std::uint32_t frame_checksum(std::string_view prefix, std::string_view body) {
  return crc32c(body, crc32c(prefix));
}

void put_u32le(std::string* out, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) (*out)[at + i] = static_cast<char>((v >> (8 * i)) & 0xFFu);
}

std::uint32_t get_u32le(std::string_view in) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return v;
}

MessageType type_of(const Message& m) {
  return static_cast<MessageType>(m.index() + 1);
}

Status check_events(const std::vector<WireEvent>& events) {
  if (events.empty()) return Status::error(Code::kCorruption, "empty batch");
  if (events.size() > limits::kBatchEventsMax) {
    return Status::error(Code::kCorruption, "batch of " + std::to_string(events.size()) +
                                                " events (limit " +
                                                std::to_string(limits::kBatchEventsMax) + ")");
  }
  for (const auto& e : events) {
    if (e.origin.empty() || e.origin.size() > limits::kNodeIdBytesMax ||
        e.signed_bytes.size() > limits::kEventBytesMax || e.signature.size() != 64) {
      return Status::error(Code::kCorruption, "malformed event envelope in batch");
    }
  }
  return Status::ok();
}

Status check_heads(const std::vector<OriginHead>& heads) {
  if (heads.size() > limits::kHeadsMax) {
    return Status::error(Code::kCorruption, "heads of " + std::to_string(heads.size()) +
                                                " origins (limit " + std::to_string(limits::kHeadsMax) + ")");
  }
  for (const auto& h : heads) {
    if (h.origin.empty() || h.origin.size() > limits::kNodeIdBytesMax || h.hash.size() != 32) {
      return Status::error(Code::kCorruption, "malformed origin head");
    }
  }
  return Status::ok();
}

Status check_batch(const BatchMsg& b) {
  if (b.first_pos == 0) return Status::error(Code::kCorruption, "batch position 0");
  return check_events(b.events);
}

template <class Msg>
Result<Message> decode_body(std::string_view body) {
  Msg m;
  wire::BoundedInputArchive ar(body);
  ar(m);
  if (ar.remaining() != 0) {
    return Status::error(Code::kCorruption,
                         std::to_string(ar.remaining()) + " trailing bytes after message");
  }
  return Message(std::move(m));
}

}  // namespace

const char* message_type_name(MessageType type) {
  switch (type) {
    case MessageType::kHello: return "hello";
    case MessageType::kBatch: return "batch";
    case MessageType::kAck: return "ack";
    case MessageType::kHeartbeat: return "heartbeat";
    case MessageType::kHealth: return "health";
    case MessageType::kRoster: return "roster";
    case MessageType::kUrgent: return "urgent";
    case MessageType::kUrgentAck: return "urgent_ack";
    case MessageType::kEvidence: return "evidence";
    case MessageType::kHeads: return "heads";
    case MessageType::kDoc: return "doc";
  }
  return "unknown";
}

std::string encode_message(const Message& message) {
  std::string body;
  wire::WireOutputArchive ar(&body);
  std::visit([&](const auto& m) { ar(const_cast<std::remove_cvref_t<decltype(m)>&>(m)); },
             message);
  return seal_frame(type_of(message), body);
}

std::string seal_frame(MessageType type, std::string_view body, std::uint8_t flags) {
  assert((flags & kFrameTypeMask) == 0 && "flags live in the type byte's high nibble");
  std::string out;
  out.reserve(kHeaderBytes + body.size());
  out.push_back(kMagic0);
  out.push_back(kMagic1);
  out.push_back(static_cast<char>(kProtocolVersion));
  out.push_back(static_cast<char>(static_cast<std::uint8_t>(type) | flags));
  out.append(4, '\0');
  put_u32le(&out, kPrefixBytes, frame_checksum(std::string_view(out).substr(0, kPrefixBytes), body));
  out.append(body);
  return out;
}

Result<Message> decode_message(std::string_view frame) {
  if (frame.size() > limits::kFrameBytesMax) {
    return Status::error(Code::kCorruption, "frame of " + std::to_string(frame.size()) +
                                                " bytes (limit " +
                                                std::to_string(limits::kFrameBytesMax) + ")");
  }
  if (frame.size() < kFrameHeaderBytes || frame[0] != kMagic0 || frame[1] != kMagic1) {
    return Status::error(Code::kCorruption, "not a casesync frame (bad magic)");
  }
  if (static_cast<std::uint8_t>(frame[2]) != kProtocolVersion) {
    return Status::error(Code::kCorruption,
                         "protocol version " + std::to_string(static_cast<std::uint8_t>(frame[2])) +
                             " (this node speaks " + std::to_string(kProtocolVersion) + ")");
  }
  if (frame.size() < kHeaderBytes) return Status::error(Code::kCorruption, "truncated frame header");
  std::string_view body = frame.substr(kHeaderBytes);
  if (get_u32le(frame.substr(kPrefixBytes)) != frame_checksum(frame.substr(0, kPrefixBytes), body)) {
    return Status::error(Code::kCorruption, "frame checksum mismatch (damaged in transit)");
  }
  const std::uint8_t type_byte = static_cast<std::uint8_t>(frame[3]);
  const std::uint8_t flags = type_byte & ~kFrameTypeMask;
  if ((flags & ~kFrameFlagZstd) != 0) {
    return Status::error(Code::kCorruption, "unknown frame flags " + std::to_string(flags));
  }
  std::string expanded;
  if (flags & kFrameFlagZstd) {
    ASSIGN_OR_RETURN(expanded, decompress_body(body));
    body = expanded;
  }
  try {
    switch (static_cast<MessageType>(type_byte & kFrameTypeMask)) {
      case MessageType::kHello: {
        ASSIGN_OR_RETURN(Message m, decode_body<HelloMsg>(body));
        RETURN_IF_ERROR(check_heads(std::get<HelloMsg>(m).heads));
        return m;
      }
      case MessageType::kAck: return decode_body<AckMsg>(body);
      case MessageType::kHeartbeat: return decode_body<HeartbeatMsg>(body);
      case MessageType::kHealth: return decode_body<HealthMsg>(body);
      case MessageType::kRoster: return decode_body<RosterMsg>(body);
      case MessageType::kDoc: {
        ASSIGN_OR_RETURN(Message m, decode_body<DocMsg>(body));
        if (std::get<DocMsg>(m).kind.size() > limits::kDocKindBytesMax) {
          return Status::error(Code::kCorruption, "document kind longer than " +
                                                      std::to_string(limits::kDocKindBytesMax) + " bytes");
        }
        return m;
      }
      case MessageType::kUrgentAck: return decode_body<UrgentAckMsg>(body);
      case MessageType::kUrgent: {
        ASSIGN_OR_RETURN(Message m, decode_body<UrgentMsg>(body));
        RETURN_IF_ERROR(check_events(std::get<UrgentMsg>(m).events));
        return m;
      }
      case MessageType::kEvidence: {
        ASSIGN_OR_RETURN(Message m, decode_body<EvidenceMsg>(body));
        const auto& versions = std::get<EvidenceMsg>(m).versions;
        if (versions.size() != 2) return Status::error(Code::kCorruption, "evidence needs two versions");
        RETURN_IF_ERROR(check_events(versions));
        return m;
      }
      case MessageType::kHeads: {
        ASSIGN_OR_RETURN(Message m, decode_body<HeadsMsg>(body));
        RETURN_IF_ERROR(check_heads(std::get<HeadsMsg>(m).heads));
        return m;
      }
      case MessageType::kBatch: {
        ASSIGN_OR_RETURN(Message m, decode_body<BatchMsg>(body));
        RETURN_IF_ERROR(check_batch(std::get<BatchMsg>(m)));
        return m;
      }
    }
  } catch (const cereal::Exception& ex) {
    return Status::error(Code::kCorruption, std::string("message does not decode: ") + ex.what());
  }
  return Status::error(Code::kCorruption,
                       "unknown message type " + std::to_string(type_byte & kFrameTypeMask));
}

}  // namespace casesync
