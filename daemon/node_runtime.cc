#include "daemon/node_runtime.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "config/start_checks.h"
#include "common/duration.h"
#include "config/roster_file.h"
#include "daemon/data_at_rest.h"
#include "daemon/log.h"
#include "daemon/private_files.h"
#include "daemon/webhooks.h"

namespace casesync {

namespace {
constexpr std::uint64_t kTickIntervalMs = 50;  // timers in the core are checked this often
constexpr long kPollTimeoutMs = 50;

// The signals the loop reads from its signalfd.
sigset_t loop_signals() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  return mask;
}
}  // namespace

StallPolicy stall_policy(const SupervisionConfig& sc) {
  StallPolicy p;
  p.delivery_ms = sc.delivery_ms;
  p.accept_ms = sc.accept_ms;
  p.accept_ms_by_role = {{Role::kDistrict, sc.accept_district_ms},
                         {Role::kStreet, sc.accept_street_ms},
                         {Role::kCommunity, sc.accept_community_ms}};
  p.answer_ms = sc.answer_ms;
  p.warn_fraction = sc.warn_fraction;
  p.escalate_fraction = sc.escalate_fraction;
  return p;
}

NodeRuntime::NodeRuntime(NodeConfig config) : config_(std::move(config)) {
  // Wakes read the store, which the loop thread alone owns.
  waiters_.set_executor([this](std::function<void()> wake) { tasks_.post(std::move(wake)); });
}

NodeRuntime::~NodeRuntime() {
  if (fallback_transport_) fallback_transport_->close();
  if (transport_) transport_->close();
  if (signal_fd_ >= 0) close(signal_fd_);
}

Result<std::unique_ptr<NodeRuntime>> NodeRuntime::open(NodeConfig config) {
  // Blocked before the first thread exists (the verifier pool is a member; ZeroMQ starts its I/O
  // threads with the first socket) so every thread inherits the mask. A thread masks itself only
  // once it first runs: on a busy machine a SIGHUP sent right after READY=1 reached a thread that
  // had not run yet, and its default action killed the daemon (ops_test's SIGHUP flake).
  const sigset_t mask = loop_signals();
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  std::unique_ptr<NodeRuntime> rt(new NodeRuntime(std::move(config)));
  RETURN_IF_ERROR(rt->open_parts());
  return rt;
}

// Who may use the local API: the clerks of this node and its admin token (daemon/clerk_book.h).
Status NodeRuntime::open_clerks() {
  ASSIGN_OR_RETURN(clerks_, ClerkBook::open(config_.data_dir + "/clerks.json",
                                            config_.api_access.admin_token_file));
  if (!clerks_->has_admin_token()) {
    log_warning("no admin token at " + config_.api_access.admin_token_file +
                ": nobody can manage this node's clerks; write one with `casesyncctl admin-token "
                "new --config " + config_.source_path + "` and reload (systemctl reload casesyncd)");
  }
  guard_ = std::make_unique<ApiGuard>(config_, clerks_.get(), &api_counters_);
  return Status::ok();
}

Status NodeRuntime::open_parts() {
  RETURN_IF_ERROR(crypto::init());
  // The same checks `casesyncctl config check` runs (config/start_checks.h).
  ASSIGN_OR_RETURN(StartInputs in, check_start_inputs(config_));
  for (const auto& w : in.warnings) log_warning(w);
  SignedRoster signed_roster = std::move(in.signed_roster);
  Roster roster = std::move(in.roster);
  keys_ = std::move(in.keys);
  // Calendar and matters: the district's installed policy bundle, else this node's files.
  std::string policy_warning;
  ASSIGN_OR_RETURN(PolicyKeeper policy, PolicyKeeper::open(config_, &policy_warning));
  policy_ = std::make_unique<PolicyKeeper>(std::move(policy));
  if (!policy_warning.empty()) log_warning(policy_warning);
  RETURN_IF_ERROR(make_private_dir(config_.data_dir, "data folder"));
  tighten_private_files(config_.data_dir);
  ASSIGN_OR_RETURN(SealedStore sealed, open_sealed_store(config_));
  data_key_ = std::move(sealed.key);
  store_ = std::move(sealed.store);
  RETURN_IF_ERROR(open_clerks());
  started_at_ms_ = clock_.now_ms();
  // A bundle saved before its time was recorded counts from this start.
  note_policy_heard(policy_->version(), started_at_ms_);
  core_ = std::make_unique<SyncNode>(config_.node_id, roster, config_.sync, store_.get(),
                                     &keys_.secret);
  core_->set_verifier(&verifier_);
  core_->set_health_options(config_.health.interval_ms, CASESYNC_VERSION);
  const std::string root = config_.root_public_key;
  core_->set_roster_source(
      RosterMsg{signed_roster.version, signed_roster.text, signed_roster.signature},
      [root](const RosterMsg& m) {
        return open_roster(root, SignedRoster{m.version, m.text, m.signature}, "roster from a peer");
      });
  core_->set_policy_source(policy_->signed_doc(),
                           [this](const SignedDoc& d) { return policy_->check(d); });
  const std::string old_marker = config_.data_dir + "/RESTORED";
  if (std::filesystem::exists(old_marker)) {
    // Left by an older `casesyncctl restore`; the marker now lives inside the database.
    RETURN_IF_ERROR(core_->restored_from_backup(clock_.now_ms()));
  }
  RETURN_IF_ERROR(core_->start(started_at_ms_));
  std::error_code rm;
  std::filesystem::remove(old_marker, rm);
  if (core_->restoring()) {
    log_warning("restoring from a backup: restore epoch " + std::to_string(core_->restore_epoch()) +
                "; local writes wait until every neighbour has re-synced this node");
  }
  stalls_ = std::make_unique<StallMonitor>(core_.get(), store_.get(), &policy_->matters(),
                                           policy_->calendar(),
                                           stall_policy(policy_->supervision(config_.supervision)),
                                           config_.supervision.check_interval_ms);
  stalls_->set_policy_version(policy_->version());
  for (const auto& w : stalls_->calendar_warnings(started_at_ms_)) log_warning("WARNING " + w);
  TransportOptions topt{config_.node_id, config_.listen_endpoint,
                        config_.parent_endpoints.empty() ? "" : config_.parent_endpoints.front(),
                        core_->parent(), config_.sync};
  topt.curve_public = crypto::curve_public_from_sign_public(keys_.public_key);
  topt.curve_secret = crypto::curve_secret_from_sign_secret(keys_.secret);
  if (const RosterNode* parent = roster.find(core_->parent())) {
    topt.parent_curve_public = crypto::curve_public_from_sign_public(parent->sign_public_key);
  }
  transport_ = std::make_unique<Transport>(&context_, topt);
  crypto::wipe(topt.curve_secret);
  (void)transport_->set_allowed_clients(allowed_curve_clients());
  RETURN_IF_ERROR(transport_->start());
  close_revoked_parents();
  // The seed only spreads ban lengths; nothing depends on reproducing it.
  penalty_ = std::make_unique<PeerPenalty>(config_.penalty, std::random_device{}());
  signal_fd_ = open_signalfd();
  if (signal_fd_ < 0) return Status::error(Code::kInternal, "signalfd failed");
  return Status::ok();
}

int NodeRuntime::open_signalfd() {
  // Blocked in every thread since open(), so the signals arrive only through this fd; one that
  // came during start-up is pending and read by the loop's first poll.
  const sigset_t mask = loop_signals();
  return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

// The newest roster this node may use: the configured file, or a newer one received from a peer
// and saved in the data directory — each only if the pinned root signed it.
std::map<std::string, std::string> NodeRuntime::allowed_curve_clients() const {
  std::map<std::string, std::string> out;
  for (const auto& [id, n] : core_->roster().nodes()) {
    if (n.revoked || id == config_.node_id) continue;
    bool mine = n.parent == config_.node_id;
    for (const auto& f : n.fallback_parents) mine = mine || f == config_.node_id;
    if (mine) out[crypto::curve_public_from_sign_public(n.sign_public_key)] = id;
  }
  return out;
}

// A roster that revokes a peer (or changes its key) closes its sessions here and now: its
// connections are cut and its key refused from then on, and the core learns the link is down.
void NodeRuntime::close_revoked_sessions(std::uint64_t roster_version) {
  const std::uint64_t now = clock_.now_ms();
  for (const auto& child : transport_->set_allowed_clients(allowed_curve_clients())) {
    core_->on_link_down(child, now);
    log_warning("peer=" + child + " is revoked or has a new key in roster version " +
                std::to_string(roster_version) +
                ": its connections are closed and its old key is refused");
  }
  close_revoked_parents();
}

void NodeRuntime::close_revoked_parents() {
  const Roster& roster = core_->roster();
  auto revoke = [&](Transport& t, const std::string& parent) {
    const RosterNode* node = roster.find(parent);
    const bool revoked = node != nullptr && node->revoked;
    if (revoked == t.parent_revoked()) return;
    t.set_parent_revoked(revoked);
    if (!revoked) return;
    core_->on_link_down(parent, clock_.now_ms());
    log_warning("parent " + parent + " is revoked in the roster: hung up, and not dialling it "
                "again unless a newer roster reinstates it");
  };
  if (!core_->parent().empty()) revoke(*transport_, core_->parent());
  if (fallback_transport_) revoke(*fallback_transport_, fallback_peer_);
}

void NodeRuntime::apply_roster_update(const RosterMsg& update) {
  close_revoked_sessions(update.version);
  // Persist what we received so a restart keeps it (the configured file may be older). The
  // signature first: a crash between the two leaves a text its old signature does not verify,
  // which check_start_inputs() ignores for the configured file.
  const std::string saved = config_.data_dir + "/roster-current.toml";
  Status st = write_private_file(saved + ".sig", to_hex(update.signature) + "\n");
  if (st.is_ok()) st = write_private_file(saved, update.text);
  if (!st.is_ok()) log_error("roster version " + std::to_string(update.version) + " installed but not saved: " + st.message());
  log_info("roster version " + std::to_string(update.version) + " installed (" +
           std::to_string(core_->roster().nodes().size()) + " nodes); allow-list updated");
}

void NodeRuntime::apply_policy_update(const SignedDoc& update) {
  note_policy_heard(update.version, clock_.now_ms());
  // Every pending due time recorded with the version it replaces first, so a view shows which
  // the new one moved (daemon/due_ledger.h), hops forwarded since the last check included.
  stalls_->tick(clock_.now_ms(), /*force=*/true);
  if (Status st = policy_->adopt(update); !st.is_ok()) {
    log_error("policy version " + std::to_string(update.version) + " installed but not saved: " +
              st.message());
  }
  stalls_->replace_policy(policy_->calendar(), stall_policy(policy_->supervision(config_.supervision)),
                          policy_->version());
  stalls_->tick(clock_.now_ms(), /*force=*/true);
  log_info("policy version " + std::to_string(update.version) + " installed (digest " +
           policy_->policy().digest + ", " + std::to_string(policy_->policy().matters.all().size()) +
           " matters); deadlines now follow it");
  for (const auto& w : stalls_->calendar_warnings(clock_.now_ms())) log_warning("WARNING " + w);
}

void NodeRuntime::note_policy_heard(std::uint64_t version, std::uint64_t now_ms) {
  if (Status st = policy_->note_heard(version, now_ms); !st.is_ok()) {
    log_error("policy version " + std::to_string(version) + ": when it was first heard of is not "
              "saved (" + st.message() + "); a restart would restart its lag clock");
  }
}

Status NodeRuntime::install_policy(const SignedDoc& doc) {
  if (Status st = core_->install_policy(doc, clock_.now_ms()); !st.is_ok()) {
    policy_->count_refused();
    return st;
  }
  deliver_effects();
  return Status::ok();
}

Status NodeRuntime::install_roster(const RosterMsg& m) {
  RETURN_IF_ERROR(core_->install_roster(m, clock_.now_ms()));
  deliver_effects();
  return Status::ok();
}

std::string NodeRuntime::case_id_for_seq(std::uint64_t seq) const {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%06llu", static_cast<unsigned long long>(seq));
  return config_.node_id + "-" + buf;
}

void NodeRuntime::publish_changes() {
  const auto& c = core_->counters();
  const std::uint64_t now = c.events_authored + c.events_applied;
  if (now == change_counter_) return;
  change_counter_ = now;
  waiters_.changed(now);
  if (webhooks_) webhooks_->changed();
}

bool NodeRuntime::handle_signals() {
  signalfd_siginfo info{};
  while (read(signal_fd_, &info, sizeof(info)) == sizeof(info)) {
    if (info.ssi_signo == SIGHUP) {
      reload_config();
    } else {
      log_info(std::string("received ") + strsignal(static_cast<int>(info.ssi_signo)) +
               ", draining and stopping");
      return true;
    }
  }
  return false;
}

void NodeRuntime::reload_config() {
  auto fresh = load_node_config(config_.source_path);
  if (!fresh.is_ok()) {
    // One log line per error (file:line each): a line break inside a log line is escaped.
    log_error("SIGHUP: keeping the running config; the new one is invalid:");
    std::istringstream errors(fresh.status().message());
    for (std::string line; std::getline(errors, line);) log_error("  " + line);
    reloads_refused_++;
    return;
  }
  if (auto level = log_level_from_name(fresh->log_level); level.is_ok()) log_set_threshold(*level);
  if (Status st = clerks_->reload_admin_token(); !st.is_ok()) {
    log_error("SIGHUP: keeping the admin token in use: " + st.message());
  }
  log_info("SIGHUP: config " + config_.source_path + " reloaded (log level " +
           fresh->log_level + "; endpoint and path changes take effect on restart)");
  config_.log_level = fresh->log_level;
  reloads_applied_++;
}

void NodeRuntime::penalize(const std::string& peer, std::uint64_t refused, std::uint64_t now_ms) {
  const auto count = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(refused, std::numeric_limits<std::uint32_t>::max()));
  auto ban = penalty_->on_rejected(peer, count, now_ms);
  if (!ban) return;
  transport_->ban(peer);
  core_->on_link_down(peer, now_ms);
  const PenaltyConfig& pc = config_.penalty;
  log_warning("peer=" + peer + " banned for " + format_duration_ms(ban->until_ms - ban->since_ms) +
              " (ban " + std::to_string(ban->offence) + " in a row): " +
              std::to_string(ban->rejects) + " refused inputs within " +
              format_duration_ms(pc.window_ms) + " (penalty.rejects_max " +
              std::to_string(pc.rejects_max) +
              "); its connection is cut and its frames and key refused until then. "
              "`casesyncctl status` lists the reasons under rejected input");
}

void NodeRuntime::lift_expired_bans(std::uint64_t now_ms) {
  for (const auto& peer : penalty_->take_expired(now_ms)) {
    transport_->lift_ban(peer);
    log_info("peer=" + peer + " ban ended; it may connect again");
  }
}

Transport& NodeRuntime::transport_for(const std::string& peer) {
  return fallback_transport_ && peer == fallback_peer_ ? *fallback_transport_ : *transport_;
}

void NodeRuntime::follow_current_parent() {
  const std::string wanted = core_->fallback_to_dial();
  if (wanted == fallback_peer_) return;
  if (fallback_transport_) {
    fallback_transport_->close();
    fallback_transport_.reset();
    core_->on_link_down(fallback_peer_, clock_.now_ms());
    log_info("closed the connection to fallback parent " + fallback_peer_);
    fallback_peer_.clear();
  }
  if (wanted.empty()) return;
  const Roster& roster = core_->roster();
  const RosterNode* me = roster.find(config_.node_id);
  const RosterNode* node = roster.find(wanted);
  if (!me || !node) return;
  // node.parents lists the primary first, then the fallbacks in roster order; else the roster's
  // endpoint for the node.
  std::string endpoint = node->endpoint;
  const auto& fallbacks = me->fallback_parents;
  const auto at = std::find(fallbacks.begin(), fallbacks.end(), wanted) - fallbacks.begin();
  if (static_cast<std::size_t>(at) + 1 < config_.parent_endpoints.size()) {
    endpoint = config_.parent_endpoints[static_cast<std::size_t>(at) + 1];
  }
  if (endpoint.empty()) {
    log_warning("fallback parent " + wanted + " has no endpoint (add it to node.parents or to the "
                "roster's endpoint for " + wanted + "); staying on " + core_->parent());
    return;
  }
  TransportOptions topt{config_.node_id, "", endpoint, wanted, config_.sync};
  topt.curve_public = crypto::curve_public_from_sign_public(keys_.public_key);
  topt.curve_secret = crypto::curve_secret_from_sign_secret(keys_.secret);
  topt.parent_curve_public = crypto::curve_public_from_sign_public(node->sign_public_key);
  auto t = std::make_unique<Transport>(&context_, topt);
  crypto::wipe(topt.curve_secret);
  if (Status st = t->start(); !st.is_ok()) {
    log_warning("cannot dial fallback parent " + wanted + " at " + endpoint + ": " + st.message());
    return;
  }
  fallback_transport_ = std::move(t);
  fallback_peer_ = wanted;
  log_info("dialling fallback parent " + wanted + " at " + endpoint);
}

void NodeRuntime::deliver_effects() {
  // Handling one effect may make more (a send to a peer gone is a link down): until none is left.
  for (Effects e = core_->take_effects(); !e.empty(); e = core_->take_effects()) {
    for (auto& s : e.sends) {
      if (transport_for(s.peer).send(s.peer, s.frame) == SendOutcome::kPeerGone) {
        core_->on_link_down(s.peer, clock_.now_ms());
      }
    }
    for (auto& a : e.alerts) log_alert(a);
    penalize_all(e.misbehaved);
    if (auto r = e.docs_installed.find("roster"); r != e.docs_installed.end()) {
      apply_roster_update(RosterMsg{r->second.version, r->second.text, r->second.signature});
    }
    if (auto p = e.docs_installed.find("policy"); p != e.docs_installed.end()) {
      apply_policy_update(p->second);
    }
    if (!e.cases_changed.empty()) publish_changes();
  }
}

void NodeRuntime::penalize_all(const std::vector<PeerMisbehaved>& misbehaved) {
  std::map<std::string, std::uint32_t> refused;
  for (const auto& m : misbehaved) refused[m.peer]++;
  for (const auto& [peer, count] : refused) penalize(peer, count, clock_.now_ms());
}

void NodeRuntime::log_alert(const Alert& a) {
  // A document's alert is named by its kind: alert=roster_installed, alert=policy_installed.
  const std::string name =
      a.kind == AlertKind::kDocument ? a.document + "_installed" : alert_kind_name(a.kind);
  std::string line = "alert=" + name +
                     (a.peer.empty() ? "" : " peer=" + a.peer) +
                     (a.origin.empty() ? "" : " origin=" + a.origin) + " " + a.detail;
  switch (a.kind) {
    case AlertKind::kPeerUp: log_info(line); break;
    case AlertKind::kRestore: log_info(line); break;
    case AlertKind::kDocument: log_info(line); break;
    case AlertKind::kPeerDown: log_warning(line); break;
    case AlertKind::kBadInput: log_warning(line); break;
    case AlertKind::kHeld: log_warning(line); break;
    case AlertKind::kEquivocation: log_error(line); break;
    case AlertKind::kSecurity: log_error(line); break;
    case AlertKind::kDiskTrouble: log_error(line); break;
  }
}

int NodeRuntime::run() {
  std::uint64_t watchdog_usec = 0;
  const bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
  sd_notify(0, "READY=1\nSTATUS=serving");
  log_info("serving: listen=" + (config_.listen_endpoint.empty() ? "-" : config_.listen_endpoint) +
           " parent=" + (core_->parent().empty() ? "-" : core_->parent()) +
           " api=" + config_.api_address);
  std::uint64_t last_tick = 0, last_watchdog = 0;
  Transport::Handlers handlers{
      [&](const std::string& peer, std::string frame) {
        core_->on_frame(peer, frame, clock_.now_ms());
        // At once: a peer flooding refused input is banned before its queued frames are read.
        // The transport routes only to a connection whose frames the core accepted.
        const std::vector<PeerMisbehaved> refused = core_->take_misbehaved();
        const bool accepted = std::none_of(refused.begin(), refused.end(),
                                           [&](const PeerMisbehaved& m) { return m.peer == peer; });
        penalize_all(refused);
        return accepted;
      },
      [&](const std::string& peer) { core_->on_link_up(peer, clock_.now_ms()); },
      [&](const std::string& peer) { core_->on_link_down(peer, clock_.now_ms()); },
      [&](const std::string& peer) { penalize(peer, 1, clock_.now_ms()); }};
  while (!stopping_) {
    std::vector<zmq::pollitem_t> items;
    transport_->add_poll_items(&items);
    const std::size_t fallback_index = items.size();
    if (fallback_transport_) fallback_transport_->add_poll_items(&items);
    const std::size_t signal_index = items.size();
    items.push_back({nullptr, signal_fd_, ZMQ_POLLIN, 0});
    items.push_back({nullptr, tasks_.fd(), ZMQ_POLLIN, 0});
    try {
      zmq::poll(items, std::chrono::milliseconds(kPollTimeoutMs));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) {
        log_error(std::string("poll failed: ") + e.what());
        return 1;
      }
    }
    transport_->handle(items, 0, handlers);
    if (fallback_transport_) fallback_transport_->handle(items, fallback_index, handlers);
    if (items[signal_index].revents & ZMQ_POLLIN) stopping_ = handle_signals();
    if (items[signal_index + 1].revents & ZMQ_POLLIN) tasks_.run_pending();
    // Send what the frames and local writes produced before the timers run: a tick may commit
    // (persisting acks costs an fsync), and a batch on its way up must not wait behind that.
    deliver_effects();
    const std::uint64_t now = clock_.now_ms();
    const std::uint64_t mono = clock_.mono_ms();
    if (mono - last_tick >= kTickIntervalMs) {
      lift_expired_bans(now);
      transport_->tick(now);
      if (fallback_transport_) fallback_transport_->tick(now);
      core_->on_tick(now);
      note_policy_heard(core_->policy_newest_heard(), now);
      follow_current_parent();
      stalls_->tick(now);
      stalls_->set_extra_warnings(api_counters_.security_warnings(), now);
      last_tick = mono;
    }
    deliver_effects();
    if (watchdog && (mono - last_watchdog) * 1000 >= watchdog_usec / 2) {
      sd_notify(0, "WATCHDOG=1");
      last_watchdog = mono;
    }
  }
  sd_notify(0, "STOPPING=1");
  // Drain: answer what already arrived and hand queued frames to ZeroMQ. Everything received is
  // committed already; whatever is unacknowledged is resent by its sender after restart.
  tasks_.run_pending();
  core_->on_tick(clock_.now_ms());
  deliver_effects();
  log_info("stopped");
  return 0;
}

}  // namespace casesync
