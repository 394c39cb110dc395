// Health reports: every node tells its parent, every few seconds, how it is doing; parents relay
// their subtree's reports upward so the district sees every node. A report is signed by the node
// it describes (domain kHealthDomain), so a relay cannot alter it. Latest value only: a newer
// report replaces the older one, in memory — reports never grow the database.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/crypto.h"

namespace casesync {

struct LinkHealth {
  std::string peer;
  bool is_parent = false;
  bool up = false;
  std::uint64_t backlog = 0;            // our events not yet acknowledged by this peer
  std::uint64_t backlog_oldest_ms = 0;  // wall time of the oldest of them (0: none)
  std::uint64_t sent_acked_pos = 0;     // checkpoint the peer acknowledged
  std::uint64_t recv_applied_pos = 0;   // checkpoint we synced through from the peer
  std::uint64_t rtt_ms = 0;
  std::int64_t clock_offset_ms = 0;     // peer wall clock minus ours
  std::uint64_t last_heard_ago_ms = 0;
};

struct HealthReport {
  std::uint8_t version = 3;  // 2: restore, behind, held and equivocators; 3: policy
  std::string node;
  std::string software_version;
  std::uint64_t generated_ms = 0;  // the node's wall clock
  std::uint64_t hlc = 0;
  std::uint64_t uptime_s = 0;
  std::vector<LinkHealth> links;
  std::uint64_t db_bytes = 0;
  std::uint64_t wal_bytes = 0;
  std::uint64_t events = 0;
  std::map<std::string, std::uint64_t> counters;  // events_in/out, bytes_in/out, equivocations...
  std::map<std::string, std::uint64_t> rejects;   // by reason
  std::uint32_t stalled_hops = 0;
  bool disk_trouble = false;
  std::vector<std::string> warnings;  // e.g. "calendar: no schedule for 2027"
  // Restored from a backup and not yet re-synced by every neighbour (sync/restore.h): what it
  // still waits for; empty when not restoring.
  std::string restoring;
  // Events of its own subtree its parent holds and it does not (HeadsMsg): 0 unless it lost them.
  std::uint64_t events_behind = 0;
  std::map<std::string, std::uint64_t> held;       // events held back now, by reason
  std::vector<std::string> equivocating_origins;  // origins it holds equivocation evidence about
  std::uint64_t policy_version = 0;  // the district policy bundle it computes deadlines with

  const LinkHealth* parent_link() const;
  // Everything this node holds has been acknowledged by its parent (and it heard from it).
  bool upward_in_step() const;
};

std::string encode_health(const HealthReport& r);
Result<HealthReport> decode_health(std::string_view bytes);

// What travels: the encoded report and its origin's signature over it.
struct SignedHealth {
  std::string origin;
  std::string report;
  std::string signature;
};

SignedHealth sign_health(const HealthReport& r, const crypto::SecretKey& secret);
// Verifies with the origin's key before decoding; checks the decoded node is the origin.
Result<HealthReport> open_health(const SignedHealth& s, std::string_view origin_public_key);

}  // namespace casesync
