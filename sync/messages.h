// Messages of the sync protocol between a node and one peer, and their framing.
//
// One ZeroMQ frame per message: magic "CS", protocol version u8, type u8, CRC-32C u32 of those
// and the body, then the cereal body. The type byte's low nibble is the MessageType, its high
// nibble flags: kFrameFlagZstd marks a compressed body (sync/frame_compression.h; the checksum
// covers the body as sent). Unknown versions, types and flags are refused with a reason the
// caller counts.
//
//   Hello      sent on (re)connect by both sides: who I am and how far I durably applied your
//              feed, so the other side resumes right after it (one round trip, nothing resent
//              that was acknowledged).
//   Batch      a contiguous run of the sender's outbox for this peer: positions first_pos..
//   Ack        cumulative: I durably applied your feed through applied_pos.
//   Heartbeat  liveness and clock: sender's hlc and wall clock.
//   Health     a node's signed health report, relayed up to the district.
//   Roster     the root-signed roster, pushed to a peer whose Hello shows an older version.
//   Urgent     receipts, acceptances, replies, returns and forwards sent ahead of the backlog,
//              outside the positional feed (they travel in the feed too; the copy that comes
//              second is a duplicate). UrgentAck confirms one by its token.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"

namespace casesync {

// 2: Hello and Heartbeat carry the policy version; root-signed documents other than the roster
// travel as DocMsg.
constexpr std::uint8_t kProtocolVersion = 2;
constexpr std::size_t kFrameHeaderBytes = 8;  // "CS", version, type and flags, CRC-32C
constexpr std::uint8_t kFrameTypeMask = 0x0F;

enum class MessageType : std::uint8_t {
  kHello = 1,
  kBatch = 2,
  kAck = 3,
  kHeartbeat = 4,
  kHealth = 5,
  kRoster = 6,
  kUrgent = 7,
  kUrgentAck = 8,
  kEvidence = 9,
  kHeads = 10,
  kDoc = 11,
};
const char* message_type_name(MessageType type);

// What a node holds of the origins in the receiver's subtree: for each, its last seq and that
// event's hash (which, through the per-origin chain, stands for the whole sequence). A parent
// sends it to each child; a child that holds less of its own subtree than its parent does is
// short of events (it was restored from a backup) and reports itself lagging until it is not.
struct OriginHead {
  std::string origin;
  std::uint64_t seq = 0;
  std::string hash;  // 32 bytes
};

struct HelloMsg {
  std::string node_id;
  std::uint64_t applied_pos = 0;  // of the receiver's feed toward the sender
  std::uint64_t hlc = 0;
  std::uint64_t wall_ms = 0;
  std::uint8_t is_reply = 0;  // a Hello that is not a reply asks the peer for one
  std::uint64_t roster_version = 0;  // the sender's roster; an older one gets the newer pushed
  // Restores from backup (docs/ARCHITECTURE.md, "Restore"). `epoch` counts the sender's
  // restores: a receiver that sees it grow knows the sender lost what it had after its backup,
  // and a Hello with an older epoch is a delayed one from before the restore (ignored), not a new
  // restore. `outbox_last_pos` is the last position the sender ever enqueued for the receiver
  // (after a restore the receiver applies from there again: positions beyond are reused);
  // `own_last_seq` the sender's own last sequence number (a restored child gets its later events
  // back from its parent); `your_last_seq` the receiver's last event the sender holds, and that
  // event as signed (`your_last_bytes`, `your_last_signature`): the receiver believes the claim
  // only under its own signature, so a neighbour can neither move its sequence nor start a
  // restore by its word alone (a restored node never signs a sequence number twice).
  std::uint64_t epoch = 0;
  std::uint64_t outbox_last_pos = 0;
  std::uint64_t own_last_seq = 0;
  std::uint64_t your_last_seq = 0;
  std::string your_last_bytes;
  std::string your_last_signature;
  // The receiver's restore epoch as the sender last saw it: equal to the receiver's own once the
  // sender has re-synced it after its restore (its outbox rebuilt, your_last_seq final).
  std::uint64_t your_epoch = 0;
  // How far the receiver acknowledged the sender's feed: a receiver whose database applied less
  // lost it (rolled back or replaced without `casesyncctl restore`) and begins a restore.
  std::uint64_t your_acked_pos = 0;
  // Sent by a node being restored: what it holds of the lower end's subtree (the child's, or its
  // own to its parent): each origin's last seq, so the peer re-sends exactly the events of that
  // subtree it lost, whoever wrote them.
  std::vector<OriginHead> heads;
  std::uint64_t policy_version = 0;  // the sender's policy bundle, as roster_version for the roster
  // The sender is being restored itself: what it holds of the receiver's own events may still
  // grow as its other neighbours re-send, so a restored parent waits for it to finish.
  std::uint8_t restoring = 0;
};

struct WireEvent {
  std::string origin;        // in the clear so the key is known before decoding
  std::string signed_bytes;
  std::string signature;
};

struct BatchMsg {
  std::uint64_t first_pos = 0;  // position of events[0] in the sender's outbox for us
  std::vector<WireEvent> events;
  // The restore epochs the positions are counted in: the sender's, and the receiver's as the
  // sender knows it. A batch from either side of a restore the other has not caught up with
  // counts positions in a numbering no longer in force, and is dropped (resent after the Hello).
  std::uint64_t epoch = 0;
  std::uint64_t your_epoch = 0;
  std::uint64_t last_pos() const { return first_pos + events.size() - 1; }
};

struct AckMsg {
  std::uint64_t applied_pos = 0;
};

struct HeartbeatMsg {
  std::uint64_t hlc = 0;
  std::uint64_t wall_ms = 0;
  std::uint64_t applied_pos = 0;  // same meaning as in Ack, repeated so a lost Ack heals
  std::uint64_t roster_version = 0;  // as in Hello, repeated so a lost Roster is offered again
  std::uint64_t policy_version = 0;  // likewise for the policy bundle
};

// A signed health report travelling up the tree (sync/health_report.h); relays pass it on
// unchanged.
struct HealthMsg {
  std::string origin;
  std::string report;
  std::string signature;
};

// The roster signed by the district root (config/signed_roster.h), pushed to peers that have an
// older one.
struct RosterMsg {
  std::uint64_t version = 0;
  std::string text;
  std::string signature;
};

// A root-signed document of a kind other than the roster (sync/doc_gossip.h): "policy", the
// district's calendar and matters catalogue. Pushed to peers whose Hello shows an older version.
struct DocMsg {
  std::string kind;
  std::uint64_t version = 0;
  std::string text;
  std::string signature;
};

struct UrgentMsg {
  std::uint64_t token = 0;  // echoed by the UrgentAck
  std::vector<WireEvent> events;
};

struct UrgentAckMsg {
  std::uint64_t token = 0;
};

// Proof that an origin signed two different events as one (origin, seq): both signed versions
// (sync/evidence_book.h). Passed to every neighbour, so it reaches the district.
struct EvidenceMsg {
  std::vector<WireEvent> versions;  // exactly two
};

struct HeadsMsg {
  std::vector<OriginHead> heads;
};

// The variant index + 1 is the MessageType: keep the order.
using Message = std::variant<HelloMsg, BatchMsg, AckMsg, HeartbeatMsg, HealthMsg, RosterMsg,
                             UrgentMsg, UrgentAckMsg, EvidenceMsg, HeadsMsg, DocMsg>;

// Never compresses; SyncNode::send does (compress_frame in sync/frame_compression.h).
std::string encode_message(const Message& message);
// Frames an already encoded body: header and checksum. `flags` go in the type byte's high nibble
// (kFrameFlagZstd when `body` is compressed). For compress_frame, and tools that build hostile
// bodies.
std::string seal_frame(MessageType type, std::string_view body, std::uint8_t flags = 0);
// Refuses frames over limits::kFrameBytesMax, bad magic, unknown version, type or flags, a bad
// checksum, a compressed body that fails decompress_body, trailing bytes, batches over
// limits::kBatchEventsMax, and any field past its named limit.
Result<Message> decode_message(std::string_view frame);

}  // namespace casesync
