// One direction of a proxied connection, as pure state over injected time: bytes read from the
// source wait for the token bucket (the rate cap), then travel for latency ± jitter, then may be
// written to the destination. No sockets and no clock here, so the unit test drives it with a
// virtual clock and a seeded PRNG.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "tests/fault_proxy/settings.h"

namespace casesync::fault_proxy {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

// Per direction and connection. Past it the source is not read any more, so a slow link pushes
// back on the sender through TCP instead of growing the proxy without bound.
inline constexpr std::size_t kPipeBytesMax = 16u << 20;
// The bucket holds this much time's worth of bytes (but at least kBurstBytesMin): small enough
// that the cap holds over any second, large enough that a wakeup moves more than a few bytes.
inline constexpr std::chrono::milliseconds kBurstWindow{20};
inline constexpr std::uint64_t kBurstBytesMin = 256;

class TokenBucket {
 public:
  // Keeps the tokens earned at the old rate up to `now`. rate_bps 0: unlimited.
  void configure(std::uint64_t rate_bps, TimePoint now);
  bool unlimited() const { return rate_bps_ == 0; }
  std::uint64_t burst_bytes() const { return burst_bytes_; }
  // Whole bytes that may pass at `now`. REQUIRES: !unlimited().
  std::uint64_t available_bytes(TimePoint now);
  void take(std::uint64_t bytes);
  // The earliest time at which `bytes` (at most burst_bytes()) will be available.
  TimePoint ready_at(std::uint64_t bytes) const;

 private:
  std::uint64_t rate_bps_ = 0;
  std::uint64_t burst_bytes_ = 0;
  double tokens_bytes_ = 0;
  TimePoint refilled_at_{};
};

class Pipe {
 public:
  Pipe(const LinkSettings& link, TimePoint now) { configure(link, now); }

  // New settings apply to bytes that have not yet passed the bucket.
  void configure(const LinkSettings& link, TimePoint now);
  // REQUIRES: bytes.size() <= room_bytes().
  void push(std::string bytes);
  // Moves what the bucket allows from the queue onto the wire, each chunk due after latency ±
  // jitter but never before the chunk ahead of it, so byte order holds.
  void advance(TimePoint now, std::mt19937_64& rng);
  // The bytes at the front that are due at `now` (empty if none); consume() what was written.
  std::string_view deliverable(TimePoint now) const;
  void consume(std::size_t bytes);
  // When advance() or deliverable() will next have something new to do; nullopt: only new bytes
  // (or a writable destination) can change anything.
  std::optional<TimePoint> next_wakeup(TimePoint now) const;

  std::size_t size_bytes() const { return queued_bytes_ + in_flight_bytes_; }
  std::size_t room_bytes() const { return kPipeBytesMax - size_bytes(); }
  bool empty() const { return size_bytes() == 0; }
  // Discards everything buffered (a black hole, a reset); returns how many bytes that was.
  std::size_t clear();

 private:
  struct Chunk {
    TimePoint due;
    std::string bytes;
  };
  void release(std::size_t bytes, TimePoint now, std::mt19937_64& rng);

  LinkSettings link_;
  TokenBucket bucket_;
  std::deque<std::string> queued_;  // waiting for the bucket
  std::size_t queued_offset_ = 0;   // bytes of queued_.front() already released
  std::size_t queued_bytes_ = 0;
  std::deque<Chunk> in_flight_;       // through the bucket, waiting out their delay
  std::size_t in_flight_offset_ = 0;  // bytes of in_flight_.front() already written
  std::size_t in_flight_bytes_ = 0;
  TimePoint last_due_{};
};

}  // namespace casesync::fault_proxy
