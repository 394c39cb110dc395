// NodeRuntime: one running node. Owns, in start order, the store, the protocol core, the ZeroMQ
// transport and the event loop; the API server (daemon/api_server.h) reaches the core only
// through tasks() so that one thread owns all of it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <memory>
#include <string>

#include "config/matters_file.h"
#include "config/node_config.h"
#include "config/signed_roster.h"
#include "crypto/crypto.h"
#include "crypto/data_key.h"
#include "daemon/api_counters.h"
#include "daemon/api_guard.h"
#include "daemon/clerk_book.h"
#include "daemon/change_waiters.h"
#include "daemon/clock.h"
#include "daemon/http_front.h"
#include "daemon/parallel_verifier.h"
#include "daemon/peer_penalty.h"
#include "daemon/policy_keeper.h"
#include "daemon/stall_monitor.h"
#include "daemon/task_queue.h"
#include "daemon/transport.h"
#include "storage/sqlite_store.h"
#include "sync/sync_node.h"

namespace casesync {

class Webhooks;

class NodeRuntime {
 public:
  // Opens keys, storage and sockets. Fails with a message naming the file or endpoint at fault.
  static Result<std::unique_ptr<NodeRuntime>> open(NodeConfig config);
  ~NodeRuntime();

  // Runs the loop until SIGTERM/SIGINT (returns 0) or a fatal error (returns non-zero).
  int run();

  // --- for the API, on the loop thread only (via tasks()) ---
  TaskQueue& tasks() { return tasks_; }
  SyncNode& core() { return *core_; }
  SqliteStore& store() { return *store_; }
  const NodeConfig& config() const { return config_; }
  const MattersCatalogue& matters() const { return policy_->matters(); }
  PolicyKeeper& policy() { return *policy_; }
  StallMonitor& stalls() { return *stalls_; }
  const Transport& transport() const { return *transport_; }
  const PeerPenalty& penalty() const { return *penalty_; }
  // Written by API threads too (it is thread-safe).
  ApiCounters& api_counters() { return api_counters_; }
  // Thread-safe: the API's threads admit requests with them.
  ClerkBook& clerks() { return *clerks_; }
  ApiGuard& guard() { return *guard_; }
  std::uint64_t now_ms() const { return clock_.now_ms(); }
  std::uint64_t started_at_ms() const { return started_at_ms_; }
  // SIGHUPs whose config was applied / refused as invalid (the running one kept).
  std::uint64_t reloads_applied() const { return reloads_applied_; }
  std::uint64_t reloads_refused() const { return reloads_refused_; }
  // A new case id: this node's id and its next sequence number, unique in the district.
  std::string next_case_id() { return case_id_for_seq(core_->last_seq() + 1); }
  std::string case_id_for_seq(std::uint64_t seq) const;

  // Installs a roster the district admin signed (POST /api/roster), then pushes it to peers.
  Status install_roster(const RosterMsg& signed_roster);
  // Installs a policy bundle the district admin signed (POST /api/policy), then pushes it to
  // peers. A refused one (older, another key, damaged) is counted.
  Status install_policy(const SignedDoc& bundle);

  // --- for API threads ---
  // Requests waiting for new events (the changes feed's long-poll); woken on the loop thread.
  ChangeWaiters& waiters() { return waiters_; }
  // The API front's connection counters, once the API serves (for /api/status and /metrics).
  void set_api_front(const HttpFront* front) { api_front_ = front; }
  FrontCounters api_connections() const {
    return api_front_ ? api_front_->counters() : FrontCounters{};
  }
  // The webhook senders (daemon/webhooks.h), told of every change; set before run(). Null:
  // none configured yet.
  void set_webhooks(Webhooks* webhooks) { webhooks_ = webhooks; }
  Webhooks* webhooks() { return webhooks_; }

 private:
  explicit NodeRuntime(NodeConfig config);
  Status open_parts();
  Status open_clerks();
  int open_signalfd();
  bool handle_signals();
  void deliver_effects();
  // Opens or closes the fallback parent's connection to follow core_->active_fallback().
  void follow_current_parent();
  Transport& transport_for(const std::string& peer);
  void reload_config();
  void apply_roster_update(const RosterMsg& update);
  void apply_policy_update(const SignedDoc& update);
  void log_alert(const Alert& alert);
  void penalize_all(const std::vector<PeerMisbehaved>& misbehaved);
  void close_revoked_sessions(std::uint64_t roster_version);
  void close_revoked_parents();
  std::map<std::string, std::string> allowed_curve_clients() const;
  void penalize(const std::string& peer, std::uint64_t refused, std::uint64_t now_ms);
  void lift_expired_bans(std::uint64_t now_ms);

  NodeConfig config_;
  DaemonClock clock_;
  std::uint64_t started_at_ms_ = 0;
  crypto::KeyPair keys_;
  // Records when a policy version was first known here (PolicyHeard), logging a failed save.
  void note_policy_heard(std::uint64_t version, std::uint64_t now_ms);
  std::unique_ptr<PolicyKeeper> policy_;  // the calendar and matters deadlines are computed with
  std::unique_ptr<crypto::DataKey> data_key_;  // outlives store_, which seals events under it
  std::unique_ptr<SqliteStore> store_;
  ParallelVerifier verifier_;  // every core; outlives core_, which uses it
  std::unique_ptr<SyncNode> core_;
  std::unique_ptr<StallMonitor> stalls_;
  zmq::context_t context_{1};
  std::unique_ptr<Transport> transport_;
  // A DEALER to the fallback parent, open only while the core syncs through it.
  std::unique_ptr<Transport> fallback_transport_;
  std::string fallback_peer_;
  std::unique_ptr<PeerPenalty> penalty_;
  TaskQueue tasks_;
  ApiCounters api_counters_;
  std::unique_ptr<ClerkBook> clerks_;
  std::unique_ptr<ApiGuard> guard_;  // uses clerks_ and api_counters_
  void publish_changes();
  int signal_fd_ = -1;
  std::uint64_t change_counter_ = 0;  // events authored and applied, as last published
  ChangeWaiters waiters_;
  const HttpFront* api_front_ = nullptr;
  Webhooks* webhooks_ = nullptr;
  bool stopping_ = false;
  std::uint64_t reloads_applied_ = 0;
  std::uint64_t reloads_refused_ = 0;
};

}  // namespace casesync
