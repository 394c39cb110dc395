// Counters a node keeps about its replication: what moved, what was refused and why. Network
// inputs that are refused are always counted here, by reason and by peer.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace casesync {

struct PeerCounters {
  std::uint64_t events_in = 0;
  std::uint64_t events_out = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;               // frames as sent, compressed where it paid
  std::uint64_t bytes_out_uncompressed = 0;  // the same frames before compression
  std::uint64_t batches_resent = 0;
  std::uint64_t bytes_resent = 0;   // frame bytes of resent batches (part of bytes_out)
  std::uint64_t urgent_out = 0;     // events sent ahead of the feed (UrgentMsg)
  std::uint64_t urgent_in = 0;      // new events that arrived ahead of the feed
  std::uint64_t urgent_deferred = 0;  // sent ahead but left to the feed: their past was not here
  std::uint64_t outbox_caps = 0;            // times a cap dropped the outbox toward the peer
  std::uint64_t outbox_dropped_events = 0;  // queued entries those caps dropped
  std::uint64_t catch_up_events = 0;        // events queued again for it when it returned
  std::map<std::string, std::uint64_t> rejects;  // reason -> count
  std::map<std::string, std::uint64_t> held;     // reason -> events held back, not acknowledged
};

struct NodeCounters {
  std::uint64_t events_authored = 0;
  std::uint64_t events_applied = 0;     // new events from peers
  std::uint64_t events_duplicate = 0;   // already held
  std::uint64_t equivocations = 0;
  std::uint64_t commit_failures = 0;
  std::map<std::string, std::uint64_t> rejects;  // reason -> count, over all peers
  // Events not stored yet and not acknowledged, by what they wait for (sync/admission.h): their
  // sender offers them again. Not refusals: nobody is at fault.
  std::map<std::string, std::uint64_t> held;
  std::map<std::string, PeerCounters> peers;

  void reject(const std::string& peer, const std::string& reason) {
    rejects[reason]++;
    peers[peer].rejects[reason]++;
  }
  void hold(const std::string& peer, const std::string& reason) {
    held[reason]++;
    peers[peer].held[reason]++;
  }
};

}  // namespace casesync
