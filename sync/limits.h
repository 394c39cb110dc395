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
constexpr std::size_t kBodyFieldsMax = 64;        // fields in one event body
constexpr std::size_t kBodyKeyBytesMax = 64;
constexpr std::size_t kBodyValueBytesMax = 16 * 1024;  // a note, a list of materials
constexpr std::size_t kEventBytesMax = 128 * 1024;     // one encoded (signed) event
constexpr std::size_t kBatchEventsMax = 10000;         // sync.batch_events_max upper bound
constexpr std::size_t kBatchBytesMax = 16u << 20;      // sync.batch_bytes_max upper bound
// A frame is a batch plus its header; ZMQ_MAXMSGSIZE is set to this so libzmq drops larger
// messages before they reach us.
constexpr std::size_t kFrameBytesMax = kBatchBytesMax + 64 * 1024;
constexpr std::size_t kWindowBatchesMax = 64;
// Origins in one HeadsMsg: a subtree's nodes. A district of 13 streets and 260 communities is
// ~280; this leaves room for a city above it (issue 18's deeper trees).
constexpr std::size_t kHeadsMax = 8192;

static_assert(kBodyFieldsMax * (kBodyKeyBytesMax + kBodyValueBytesMax) < 2 * kEventBytesMax * 8,
              "body limits must keep an event near kEventBytesMax");
static_assert(kEventBytesMax < kBatchBytesMax, "one event must fit in a batch");
static_assert(kBatchBytesMax < kFrameBytesMax, "a full batch must fit in a frame");

}  // namespace casesync::limits
