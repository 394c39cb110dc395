#include "tests/fault_proxy/proxy.h"

#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace casesync::fault_proxy {
namespace {

constexpr std::uint64_t kTagBits = 3;

std::uint64_t pack(std::uint64_t tag, std::uint64_t id) { return (id << kTagBits) | tag; }

void log(const std::string& what) {
  std::fprintf(stderr, "casesync-fault-proxy: %s\n", what.c_str());
}

std::string seconds_text(std::chrono::nanoseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f s", std::chrono::duration<double>(d).count());
  return buf;
}

std::optional<TimePoint> earliest(std::optional<TimePoint> a, std::optional<TimePoint> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

Result<Fd> open_signalfd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  // The proxy is single-threaded; blocked here, the signals arrive only through the fd.
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) return errno_status("sigprocmask");
  Fd fd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd.valid()) return errno_status("signalfd");
  return fd;
}

}  // namespace

Proxy::Proxy(const Settings& settings)
    : settings_(settings),
      jitter_rng_(settings.seed ^ 0x9e3779b97f4a7c15ull),
      reset_rng_(settings.seed) {}

Proxy::~Proxy() = default;

Result<std::unique_ptr<Proxy>> Proxy::open(const Settings& settings) {
  std::unique_ptr<Proxy> p(new Proxy(settings));
  p->epoll_ = Fd(epoll_create1(EPOLL_CLOEXEC));
  if (!p->epoll_.valid()) return errno_status("epoll_create1");
  ASSIGN_OR_RETURN(p->listener_, listen_on(settings.listen));
  ASSIGN_OR_RETURN(p->settings_.listen, local_endpoint(p->listener_.get()));
  RETURN_IF_ERROR(p->add(p->listener_.get(), Tag::kListener, 0, EPOLLIN));
  if (settings.control) {
    ASSIGN_OR_RETURN(p->control_listener_, listen_on(*settings.control));
    ASSIGN_OR_RETURN(p->settings_.control, local_endpoint(p->control_listener_.get()));
    RETURN_IF_ERROR(p->add(p->control_listener_.get(), Tag::kControlListener, 0, EPOLLIN));
  }
  ASSIGN_OR_RETURN(p->signals_, open_signalfd());
  RETURN_IF_ERROR(p->add(p->signals_.get(), Tag::kSignal, 0, EPOLLIN));
  p->schedule_random_reset(SteadyClock::now());
  return p;
}

Status Proxy::add(int fd, Tag tag, std::uint64_t id, std::uint32_t events) {
  epoll_event ev{.events = events, .data = {.u64 = pack(static_cast<std::uint64_t>(tag), id)}};
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return errno_status("epoll_ctl");
  return Status::ok();
}

Status Proxy::run() {
  std::array<epoll_event, kEventsPerWaitMax> events{};
  while (!quit_) {
    const int n =
        epoll_wait(epoll_.get(), events.data(), kEventsPerWaitMax, timeout_ms(SteadyClock::now()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status("epoll_wait");
    const TimePoint now = SteadyClock::now();
    for (int i = 0; i < n; ++i) on_event(events[static_cast<std::size_t>(i)], now);
    on_timers(now);
  }
  return Status::ok();
}

void Proxy::on_event(const epoll_event& ev, TimePoint now) {
  const auto tag = static_cast<Tag>(ev.data.u64 & ((1u << kTagBits) - 1));
  const std::uint64_t id = ev.data.u64 >> kTagBits;
  switch (tag) {
    case Tag::kListener:
      accept_clients(now);
      return;
    case Tag::kControlListener:
      on_control_listener();
      return;
    case Tag::kControlClient:
      on_control_client(id);
      return;
    case Tag::kSignal:
      log("stopping on a signal");
      quit_ = true;
      return;
    case Tag::kClient:
    case Tag::kServer:
      on_connection_event(id, tag, ev.events, now);
      return;
  }
  assert(false && "an epoll tag without a handler");
}

void Proxy::accept_clients(TimePoint now) {
  while (true) {
    Fd client(accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!client.valid()) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        log(errno_status("accept").message());
      if (errno == EINTR) continue;
      return;
    }
    if (partition_.on || connections_.size() >= kConnectionsMax) {
      ++counters_.connections_refused;
      close_with_reset(std::move(client));
      continue;
    }
    open_connection(std::move(client), now);
  }
}

void Proxy::open_connection(Fd client, TimePoint now) {
  auto server = start_connect(settings_.target);
  if (!server.is_ok()) {
    ++counters_.connect_failures;
    log(server.status().message() + "; resetting the client");
    close_with_reset(std::move(client));
    return;
  }
  set_no_delay(client.get());
  const std::uint64_t id = next_id_++;
  auto c = std::make_unique<Connection>(settings_, now);
  c->client.fd = std::move(client);
  c->server.fd = std::move(server).value();
  constexpr std::uint32_t kEdge = EPOLLIN | EPOLLOUT | EPOLLET;
  const Status st = add(c->client.fd.get(), Tag::kClient, id, kEdge);
  const Status st2 = add(c->server.fd.get(), Tag::kServer, id, kEdge);
  if (!st.is_ok() || !st2.is_ok()) {
    log((st.is_ok() ? st2 : st).message() + "; dropping a new connection");
    return;
  }
  ++counters_.connections_accepted;
  connections_.emplace(id, std::move(c));
}

void Proxy::on_connection_event(std::uint64_t id, Tag side, std::uint32_t events, TimePoint now) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;  // closed earlier in this batch of events
  Connection& c = *it->second;
  if (side == Tag::kServer && !c.connected) {
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(c.server.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      ++counters_.connect_failures;
      log("connect " + settings_.target.to_string() + ": " + std::strerror(err) +
          "; resetting the client");
      close_connection(id, /*reset=*/true);
      return;
    }
    if (!(events & EPOLLOUT)) return;
    c.connected = true;
  }
  pump(id, now);
}

void Proxy::pump(std::uint64_t id, TimePoint now) {
  Connection& c = *connections_.at(id);
  c.read_again = false;
  const Progress up = pump_direction(c, c.client, c.server, c.up, /*src_ready=*/true,
                                     /*dst_ready=*/c.connected, counters_.bytes_up, now);
  const Progress down =
      up == Progress::kFailed
          ? Progress::kFailed
          : pump_direction(c, c.server, c.client, c.down, /*src_ready=*/c.connected,
                           /*dst_ready=*/true, counters_.bytes_down, now);
  if (up == Progress::kFailed || down == Progress::kFailed) {
    close_connection(id, /*reset=*/true);  // a peer reset or vanished: pass the reset on
  } else if (up == Progress::kDone && down == Progress::kDone) {
    close_connection(id, /*reset=*/false);
  } else {
    c.wake = c.read_again ? std::optional(now)
                          : earliest(c.up.next_wakeup(now), c.down.next_wakeup(now));
  }
}

Proxy::Progress Proxy::pump_direction(Connection& c, Side& src, Side& dst, Pipe& pipe,
                                      bool src_ready, bool dst_ready, std::uint64_t& delivered,
                                      TimePoint now) {
  const ReadEnd read = src_ready ? read_side(src, pipe) : ReadEnd::kDrained;
  if (read == ReadEnd::kFailed) return Progress::kFailed;
  pipe.advance(now, jitter_rng_);
  if (!dst_ready) return Progress::kOpen;
  for (auto bytes = pipe.deliverable(now); !bytes.empty(); bytes = pipe.deliverable(now)) {
    const ssize_t n = send(dst.fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0) return Progress::kFailed;
    pipe.consume(static_cast<std::size_t>(n));
    delivered += static_cast<std::uint64_t>(n);
  }
  if (read == ReadEnd::kStopped && (blackhole_.on || pipe.room_bytes() > 0)) c.read_again = true;
  // A FIN is data too: it follows the last byte, and it does not cross a black hole.
  if (src.read_eof && pipe.empty() && !dst.write_shut && !blackhole_.on) {
    if (shutdown(dst.fd.get(), SHUT_WR) != 0) return Progress::kFailed;
    dst.write_shut = true;
  }
  return src.read_eof && dst.write_shut ? Progress::kDone : Progress::kOpen;
}

// Reads what fits into the pipe (or, in a black hole, reads and drops).
Proxy::ReadEnd Proxy::read_side(Side& src, Pipe& pipe) {
  std::size_t read_bytes = 0;
  while (!src.read_eof) {
    if (read_bytes >= kReadBytesPerPumpMax) return ReadEnd::kStopped;
    const std::size_t want =
        blackhole_.on ? kReadChunkBytes : std::min(kReadChunkBytes, pipe.room_bytes());
    if (want == 0) return ReadEnd::kStopped;  // full: backpressure on the sender
    const ssize_t n = recv(src.fd.get(), read_buffer_.data(), want, 0);
    if (n == 0) src.read_eof = true;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK ? ReadEnd::kDrained : ReadEnd::kFailed;
    const auto got = static_cast<std::size_t>(n);
    read_bytes += got;
    if (blackhole_.on) {
      counters_.bytes_dropped += got;
    } else if (got > 0) {
      pipe.push(std::string(read_buffer_.data(), got));  // exact size: the cap counts bytes
    }
  }
  return ReadEnd::kDrained;
}

void Proxy::close_connection(std::uint64_t id, bool reset) {
  auto it = connections_.find(id);
  assert(it != connections_.end());
  Connection& c = *it->second;
  counters_.bytes_dropped += c.up.clear() + c.down.clear();
  if (reset) {
    close_with_reset(std::move(c.client.fd));
    close_with_reset(std::move(c.server.fd));
  }
  connections_.erase(it);  // closing a descriptor also removes it from the epoll set
}

std::size_t Proxy::reset_all(const std::string& why) {
  std::vector<std::uint64_t> ids;
  ids.reserve(connections_.size());
  for (const auto& [id, c] : connections_) ids.push_back(id);
  for (const std::uint64_t id : ids) close_connection(id, /*reset=*/true);
  counters_.connections_reset += ids.size();
  if (!ids.empty()) log("reset " + std::to_string(ids.size()) + " connection(s): " + why);
  return ids.size();
}

void Proxy::on_timers(TimePoint now) {
  bool wake_all = false;
  for (auto [sw, name] :
       {std::pair{&blackhole_, "blackhole"}, std::pair{&partition_, "partition"}}) {
    if (sw->on && sw->until && now >= *sw->until) {
      *sw = Switch{};
      log(std::string(name) + " off (its time is up)");
      wake_all = true;  // FINs held back by a black hole may go now
    }
  }
  if (next_reset_at_ && now >= *next_reset_at_) {
    reset_all("random reset");
    schedule_random_reset(now);
  }
  std::vector<std::uint64_t> due;
  for (const auto& [id, c] : connections_) {
    if (wake_all || (c->wake && *c->wake <= now)) due.push_back(id);
  }
  for (const std::uint64_t id : due) pump(id, now);
}

int Proxy::timeout_ms(TimePoint now) const {
  std::optional<TimePoint> next = next_reset_at_;
  if (blackhole_.on) next = earliest(next, blackhole_.until);
  if (partition_.on) next = earliest(next, partition_.until);
  for (const auto& [id, c] : connections_) next = earliest(next, c->wake);
  if (!next) return -1;
  if (*next <= now) return 0;
  // Rounded up: waking a little late keeps every delay at least as long as configured.
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
  return static_cast<int>(std::min<std::int64_t>(wait, 60'000));
}

void Proxy::schedule_random_reset(TimePoint now) {
  next_reset_at_.reset();
  if (settings_.reset_every_max_ms == 0) return;
  const std::int64_t wait_ms = std::uniform_int_distribution<std::int64_t>(
      settings_.reset_every_min_ms, settings_.reset_every_max_ms)(reset_rng_);
  next_reset_at_ = now + std::chrono::milliseconds(wait_ms);
}

void Proxy::set_switch(Switch& sw, const char* name, const Command& cmd, TimePoint now) {
  std::optional<TimePoint> until;
  if (cmd.on && cmd.duration_ms > 0) until = now + std::chrono::milliseconds(cmd.duration_ms);
  sw = Switch{.on = cmd.on, .until = until};
  log(std::string(name) + (cmd.on ? " on" : " off") +
      (until ? " for " + seconds_text(*until - now) : std::string()));
}

void Proxy::on_control_listener() {
  while (true) {
    Fd fd(accept4(control_listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) return;
    if (control_clients_.size() >= kControlClientsMax) continue;  // closed: too many talkers
    const std::uint64_t id = next_id_++;
    if (!add(fd.get(), Tag::kControlClient, id, EPOLLIN).is_ok()) continue;
    control_clients_.emplace(id, ControlClient{.fd = std::move(fd)});
  }
}

void Proxy::on_control_client(std::uint64_t id) {
  auto it = control_clients_.find(id);
  if (it == control_clients_.end()) return;
  ControlClient& cc = it->second;
  char buf[512];
  const ssize_t n = recv(cc.fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  bool drop = n <= 0;
  if (n > 0) cc.line.append(buf, static_cast<std::size_t>(n));
  for (auto end = cc.line.find('\n'); !drop && end != std::string::npos; end = cc.line.find('\n')) {
    const std::string line = cc.line.substr(0, end);
    cc.line.erase(0, end + 1);
    auto cmd = parse_command(line);
    std::string reply =
        cmd.is_ok() ? execute(*cmd, SteadyClock::now()) : "error: " + cmd.status().message();
    reply += '\n';
    // Replies are short and the client waits for each one; one that does not fit is not reading.
    drop = send(cc.fd.get(), reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT) !=
           static_cast<ssize_t>(reply.size());
  }
  if (!drop && cc.line.size() > kControlLineBytesMax) {
    const std::string reply =
        "error: line longer than " + std::to_string(kControlLineBytesMax) + " bytes\n";
    (void)send(cc.fd.get(), reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    drop = true;
  }
  if (drop) control_clients_.erase(it);
}

std::string Proxy::execute(const Command& cmd, TimePoint now) {
  switch (cmd.kind) {
    case CommandKind::kSet: {
      Settings next = settings_;
      const Status st = apply_setting(next, cmd.key, cmd.value);
      if (!st.is_ok()) return "error: " + st.message();
      const bool reset_changed = next.reset_every_min_ms != settings_.reset_every_min_ms ||
                                 next.reset_every_max_ms != settings_.reset_every_max_ms;
      settings_ = next;
      for (auto& [id, c] : connections_) {
        c->up.configure(settings_.up, now);
        c->down.configure(settings_.down, now);
        c->wake = now;
      }
      if (reset_changed) schedule_random_reset(now);
      log("set " + cmd.key + " " + cmd.value);
      return "ok";
    }
    case CommandKind::kBlackhole: {
      if (cmd.on && !blackhole_.on) {
        for (auto& [id, c] : connections_)
          counters_.bytes_dropped += c->up.clear() + c->down.clear();
      }
      set_switch(blackhole_, "blackhole", cmd, now);
      for (auto& [id, c] : connections_) c->wake = now;  // FINs held back may go now
      return "ok";
    }
    case CommandKind::kPartition:
      set_switch(partition_, "partition", cmd, now);
      if (cmd.on) reset_all("partition");
      return "ok";
    case CommandKind::kReset:
      reset_all("reset command");
      return "ok";
    case CommandKind::kStats:
      return stats_json(stats());
    case CommandKind::kSettings:
      return settings_json(settings_);
    case CommandKind::kHelp:
      return help_line();
    case CommandKind::kQuit:
      log("quit command");
      quit_ = true;
      return "ok";
  }
  assert(false && "a command without a handler");
  return "error: internal";
}

StatsView Proxy::stats() const {
  StatsView v{.counters = counters_,
              .connections_open = connections_.size(),
              .blackhole = blackhole_.on,
              .partition = partition_.on};
  for (const auto& [id, c] : connections_)
    v.bytes_buffered += c->up.size_bytes() + c->down.size_bytes();
  return v;
}

}  // namespace casesync::fault_proxy
