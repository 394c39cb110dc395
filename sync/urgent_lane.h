// UrgentLane: receipts, acceptances, replies, returns, supplement requests and forwards sent
// ahead of the positional feed (UrgentMsg), so a terminal back from a week offline confirms
// today's cases first. Per peer a list of urgent events not yet confirmed (rebuilt from the
// outbox at every link-up: the lists are not persisted), one message in flight at a time. They
// travel in the feed too; whichever copy comes second is a duplicate. The receiver stores one
// only on top of its whole past (simulator finding F8) and leaves the rest to the feed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "sync/feed.h"
#include "sync/node_core.h"

namespace casesync {

class UrgentLane {
 public:
  static constexpr std::size_t kPendingMax = 10'000;  // beyond: the feed alone carries them
  static constexpr std::size_t kScanMax = 200'000;    // backlog scanned at link up
  static constexpr std::size_t kEventsPerMessage = 64;

  UrgentLane(NodeCore* state, Feed* feed) : state_(state), feed_(feed) {}

  static bool is_urgent_kind(std::string_view kind);
  // An event just enqueued for `peer`: joins its list when urgent and the link is up.
  void queue(const std::string& peer, const EventRecord& r);
  // A fresh session: what is urgent in the backlog goes first again.
  void rebuild(PeerLink& link);
  void pump(PeerLink& link, std::uint64_t now_ms);
  void on_ack(PeerLink& link, const UrgentAckMsg& m);

 private:
  struct Queue {
    std::deque<std::pair<std::string, std::uint64_t>> pending;  // (origin, seq)
    std::uint64_t token = 0;  // of the message in flight (the first `count` pending); 0: none
    std::size_t count = 0;
    std::uint64_t sent_ms = 0;
  };
  void confirm(Queue& q);

  NodeCore* state_;
  Feed* feed_;
  std::map<std::string, Queue> queues_;
  std::uint64_t next_token_ = 1;
};

}  // namespace casesync
