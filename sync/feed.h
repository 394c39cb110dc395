// Feed: the sending side of the positional feed to each peer — the outbox read in batches as the
// link's window allows, resent when a batch's timer expires, acknowledgements persisted. The
// receiving side is SyncNode::apply_batch, which asks Admission for a verdict per event.
//
// A read error never stalls a link silently: it is alerted (once per peer until a read works
// again) and the link retries on the next tick.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "common/status.h"
#include "sync/node_core.h"

namespace casesync {

class Feed {
 public:
  explicit Feed(NodeCore* state) : state_(state) {}

  // Sends as many batches as the link's window allows.
  void pump(PeerLink& link, std::uint64_t now_ms);
  // Resends the batches whose timer expired.
  void resend_due(PeerLink& link, std::uint64_t now_ms);
  // Persists every link's new acknowledged position in one transaction (one fsync per tick, not
  // one per link) and trims what the peers acknowledged beyond the retained tail.
  void persist_acks();
  // Calls `visit` on each entry of the peer's outbox after position `after`, in order, a page at
  // a time, until it returns false or the outbox ends.
  Status scan(const std::string& peer, std::uint64_t after,
              const std::function<bool(const OutboxItem&)>& visit);
  // Drops what the outbox toward the link's peer holds, as if acknowledged: for a revoked peer,
  // which never connects again. REQUIRES: inside a transaction.
  Status drop(PeerLink& link);

 private:
  Result<BatchMsg> read_batch(PeerLink& link, std::uint64_t after, std::size_t items,
                              std::size_t bytes, std::uint64_t* event_bytes);
  void read_failed(const std::string& peer, const Status& st);

  NodeCore* state_;
  std::set<std::string> read_failing_;  // peers whose outbox could not be read, alerted once
};

}  // namespace casesync
