// Frame compression: the body of a large frame (in practice a Batch of events) travels
// zstd-compressed when that makes it smaller. Case ids, body keys, origins and note text repeat
// from event to event; signatures and hashes do not, so the gain depends on the events.
//
// Marking: the frame's type byte carries flags in its high nibble (sync/messages.h).
// kFrameFlagZstd says the body after the 4-byte header is exactly one zstd frame that declares
// its decompressed size in its header. A receiver refuses, before allocating anything, a declared
// size above kDecompressedBodyBytesMax or no declared size at all, and then refuses a body that
// does not decompress to exactly the size it declared (trailing bytes, a second frame, truncated
// or damaged data, a bad checksum). A zip bomb is bad input, never a large allocation.
//
// Compatibility: a node older than this flag refuses a compressed frame as an unknown message
// type (counted as malformed), so every node of a district must run a version that has it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "sync/limits.h"
#include "sync/messages.h"

namespace casesync {

inline constexpr std::uint8_t kFrameFlagZstd = 0x80;
// Bodies shorter than this are sent as they are: one event (about 450 bytes) gains little, and
// an Ack or a Heartbeat nothing.
inline constexpr std::size_t kCompressBodyBytesMin = 1024;
// zstd's fast end: a 512-event batch (230 KB) compresses in about a millisecond, next to the
// ~25 ms the receiver spends verifying it.
inline constexpr int kCompressionLevel = 1;
// A compressed body must be at least this fraction smaller (1/16): below that the receiver's
// decompression copy costs more than the bytes saved.
inline constexpr std::size_t kCompressSavingsDivisor = 16;
// The most a compressed body may expand to: what an uncompressed frame may carry.
inline constexpr std::size_t kDecompressedBodyBytesMax = limits::kFrameBytesMax - kFrameHeaderBytes;

// `frame` with its body compressed and flagged, when the body is at least kCompressBodyBytesMin
// and compressing saves at least 1/kCompressSavingsDivisor of it; otherwise `frame` unchanged.
// REQUIRES: `frame` is an encode_message() result (a header without flags).
std::string compress_frame(std::string frame);

// The decompressed body of a frame flagged kFrameFlagZstd: `body` is everything after the
// header. Refuses (kCorruption, with the reason) what the header comment lists.
Result<std::string> decompress_body(std::string_view body);

}  // namespace casesync
