// Named limits of the protocol. Every queue, list, string and message has an upper bound; the
// relations between them are checked at compile time.
#pragma once

#include <cstddef>
#include <cstdint>

namespace casesync::limits {

constexpr std::size_t kNodeIdBytesMax = 64;
constexpr std::size_t kCaseIdBytesMax = 64;
constexpr std::size_t kKindBytesMax = 32;
constexpr std::size_t kParentsMax = 16;           // concurrent heads a new event may merge
// Fields in one event body: a case's free fields plus the named keys of its creation.
constexpr std::size_t kBodyFieldsMax = 80;
constexpr std::size_t kBodyKeyBytesMax = 64;
constexpr std::size_t kBodyValueBytesMax = 16 * 1024;  // a note, a list of materials
constexpr std::size_t kEventBytesMax = 128 * 1024;     // one encoded (signed) event
constexpr std::size_t kBatchEventsMax = 10000;         // sync.batch_events_max upper bound
constexpr std::size_t kBatchBytesMax = 16u << 20;      // sync.batch_bytes_max upper bound
// A frame is a batch plus its header; ZMQ_MAXMSGSIZE is set to this so libzmq drops larger
// messages before they reach us.
constexpr std::size_t kFrameBytesMax = kBatchBytesMax + 64 * 1024;
constexpr std::size_t kWindowBatchesMax = 64;
// Events of one case, counted in an event's causal past (so every node gives the same verdict):
// a case with every bounce, supplement and note the sim and the pilot produce stays under ~200;
// past this a case is abuse (issue 25: 2,000 notes from one node made each arrival cost 1 s),
// and further events are refused as `case_full`. Each origin's events of a case form one chain,
// so the events held of a case stay within its audience's size times this.
constexpr std::size_t kCaseEventsMax = 1000;
// A root-signed document's kind name on the wire ("roster", "policy").
constexpr std::size_t kDocKindBytesMax = 32;
// Origins in one HeadsMsg: a subtree's nodes. A district of 13 streets and 260 communities is
// ~280; this leaves room for a city above it (issue 18's deeper trees).
constexpr std::size_t kHeadsMax = 8192;

// What a clerk types into a case, counted in characters (Unicode code points) so that a Chinese
// name has the room of a Latin one. One set of numbers serves the local API (a 400 naming the
// limit) and the case rules on every event from a peer (sync/event_content.h, a pure function
// of the event, so every node gives the same verdict).
constexpr std::size_t kApplicantCharsMax = 200;  // the applicant's name (个人或单位名称)
constexpr std::size_t kTextCharsMax = 4000;      // a note, a reason (退回原因, 撤回原因)
constexpr std::size_t kFieldCharsMax = 1000;     // any other value: a free field, a desk, an id
constexpr std::size_t kCaseFieldsMax = 64;       // free fields of a case beside its named keys
constexpr std::size_t kMaterialsMax = 50;        // materials in one list (submitted or missing)
constexpr std::size_t kMaterialCharsMax = 80;    // one material's name
// A department system's reference for a case (统一受理编号 and the like) and the system's short
// name (a-z 0-9 - _, like a node id): together they name one case (sync/external_ref.h).
constexpr std::size_t kExternalRefCharsMax = 128;
constexpr std::size_t kExternalSourceBytesMax = 32;
constexpr std::size_t kActorIdBytesMax = 32;      // a clerk's id (sync/actor.h)
constexpr std::size_t kActorNameCharsMax = 100;   // a clerk's name as the event names them
// A character is at most 4 bytes of UTF-8; each limit must fit the body value the wire allows.
constexpr std::size_t kUtf8BytesPerCharMax = 4;
static_assert(kTextCharsMax * kUtf8BytesPerCharMax <= kBodyValueBytesMax, "a note fits a value");
static_assert(kFieldCharsMax * kUtf8BytesPerCharMax <= kBodyValueBytesMax, "a field fits");
static_assert(kMaterialsMax * (kMaterialCharsMax * kUtf8BytesPerCharMax + 1) <= kBodyValueBytesMax,
              "a full list of materials, one per line, fits a value");
// The derived id of a case with a hashed reference: source, "::", 24 hex digits.
static_assert(kExternalSourceBytesMax + 2 + 24 <= kCaseIdBytesMax,
              "a derived case id fits a case id");
static_assert(kCaseFieldsMax + 16 <= kBodyFieldsMax,
              "the free fields and the named keys of a case_created fit one body");

static_assert(kBodyFieldsMax * (kBodyKeyBytesMax + kBodyValueBytesMax) < 2 * kEventBytesMax * 8,
              "body limits must keep an event near kEventBytesMax");
static_assert(kEventBytesMax < kBatchBytesMax, "one event must fit in a batch");
static_assert(kBatchBytesMax < kFrameBytesMax, "a full batch must fit in a frame");

}  // namespace casesync::limits
