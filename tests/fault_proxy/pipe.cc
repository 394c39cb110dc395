#include "tests/fault_proxy/pipe.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace casesync::fault_proxy {

void TokenBucket::configure(std::uint64_t rate_bps, TimePoint now) {
  if (!unlimited()) available_bytes(now);  // bank what the old rate earned
  const bool was_unlimited = unlimited();
  rate_bps_ = rate_bps;
  refilled_at_ = now;
  if (unlimited()) return;
  const auto window_bytes = rate_bps / 8 * static_cast<std::uint64_t>(kBurstWindow.count()) / 1000;
  burst_bytes_ = std::max(kBurstBytesMin, window_bytes);
  // A link that just got a cap starts with a full bucket, as a fresh one would.
  if (was_unlimited) tokens_bytes_ = static_cast<double>(burst_bytes_);
  tokens_bytes_ = std::min(tokens_bytes_, static_cast<double>(burst_bytes_));
}

std::uint64_t TokenBucket::available_bytes(TimePoint now) {
  assert(!unlimited());
  if (now > refilled_at_) {
    const double elapsed_s = std::chrono::duration<double>(now - refilled_at_).count();
    tokens_bytes_ = std::min(static_cast<double>(burst_bytes_),
                             tokens_bytes_ + elapsed_s * static_cast<double>(rate_bps_) / 8.0);
    refilled_at_ = now;
  }
  return static_cast<std::uint64_t>(std::floor(tokens_bytes_));
}

void TokenBucket::take(std::uint64_t bytes) {
  assert(static_cast<double>(bytes) <= tokens_bytes_ + 1e-9 && "took more than the bucket held");
  tokens_bytes_ -= static_cast<double>(bytes);
}

TimePoint TokenBucket::ready_at(std::uint64_t bytes) const {
  assert(!unlimited() && bytes <= burst_bytes_);
  const double missing = static_cast<double>(bytes) - tokens_bytes_;
  if (missing <= 0) return refilled_at_;
  const double wait_us = std::ceil(missing * 8.0 * 1e6 / static_cast<double>(rate_bps_));
  return refilled_at_ + std::chrono::microseconds(static_cast<std::int64_t>(wait_us));
}

void Pipe::configure(const LinkSettings& link, TimePoint now) {
  link_ = link;
  bucket_.configure(link.rate_bps, now);
}

void Pipe::push(std::string bytes) {
  assert(bytes.size() <= room_bytes() && "the caller reads at most room_bytes()");
  if (bytes.empty()) return;
  queued_bytes_ += bytes.size();
  queued_.push_back(std::move(bytes));
}

void Pipe::advance(TimePoint now, std::mt19937_64& rng) {
  if (queued_bytes_ == 0) return;
  const std::size_t allowed =
      bucket_.unlimited() ? queued_bytes_ : static_cast<std::size_t>(bucket_.available_bytes(now));
  const std::size_t bytes = std::min(allowed, queued_bytes_);
  if (bytes == 0) return;
  if (!bucket_.unlimited()) bucket_.take(bytes);
  release(bytes, now, rng);
}

void Pipe::release(std::size_t bytes, TimePoint now, std::mt19937_64& rng) {
  std::int64_t delay_us = link_.latency_ms * 1000;
  if (link_.jitter_ms > 0) {
    const std::int64_t jitter_us = link_.jitter_ms * 1000;
    delay_us += std::uniform_int_distribution<std::int64_t>(-jitter_us, jitter_us)(rng);
  }
  Chunk chunk{.due = std::max(now + std::chrono::microseconds(std::max<std::int64_t>(delay_us, 0)),
                              last_due_)};
  chunk.bytes.reserve(bytes);
  while (chunk.bytes.size() < bytes) {
    const std::string& front = queued_.front();
    const std::size_t n = std::min(bytes - chunk.bytes.size(), front.size() - queued_offset_);
    chunk.bytes.append(front, queued_offset_, n);
    queued_offset_ += n;
    if (queued_offset_ == front.size()) {
      queued_.pop_front();
      queued_offset_ = 0;
    }
  }
  queued_bytes_ -= bytes;
  in_flight_bytes_ += bytes;
  last_due_ = chunk.due;
  in_flight_.push_back(std::move(chunk));
}

std::string_view Pipe::deliverable(TimePoint now) const {
  if (in_flight_.empty() || in_flight_.front().due > now) return {};
  return std::string_view(in_flight_.front().bytes).substr(in_flight_offset_);
}

void Pipe::consume(std::size_t bytes) {
  assert(!in_flight_.empty() && bytes <= in_flight_.front().bytes.size() - in_flight_offset_);
  in_flight_offset_ += bytes;
  in_flight_bytes_ -= bytes;
  if (in_flight_offset_ == in_flight_.front().bytes.size()) {
    in_flight_.pop_front();
    in_flight_offset_ = 0;
  }
}

std::optional<TimePoint> Pipe::next_wakeup(TimePoint now) const {
  std::optional<TimePoint> wake;
  // A due front chunk is the destination's business (it wakes us when writable), not a timer's.
  if (!in_flight_.empty() && in_flight_.front().due > now) wake = in_flight_.front().due;
  if (queued_bytes_ > 0 && !bucket_.unlimited()) {
    const auto wanted = std::min<std::uint64_t>(queued_bytes_, bucket_.burst_bytes());
    const TimePoint ready = std::max(bucket_.ready_at(wanted), now);
    wake = wake ? std::min(*wake, ready) : ready;
  }
  return wake;
}

std::size_t Pipe::clear() {
  const std::size_t dropped = size_bytes();
  queued_.clear();
  in_flight_.clear();
  queued_offset_ = in_flight_offset_ = 0;
  queued_bytes_ = in_flight_bytes_ = 0;
  return dropped;
}

}  // namespace casesync::fault_proxy
