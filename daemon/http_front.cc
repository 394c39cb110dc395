#include "daemon/http_front.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "daemon/api_error.h"
#include "daemon/http_connection.h"
#include "daemon/http_stream.h"
#include "daemon/answer_language.h"
#include "daemon/log.h"

namespace casesync {

namespace {

constexpr std::uint64_t kListenId = 0;
constexpr std::uint64_t kCommandsId = 1;
// Descriptors the rest of the node needs beside the API's connections (ZeroMQ, SQLite, pools).
constexpr std::size_t kFdReserve = 256;

// Refused before the request is read: in the default language (daemon/answer_language.h).
std::string error_body(int status, const std::string& code, Text message) {
  return ApiError{status, code, std::move(message), ""}.to_json(answer_language()).dump();
}

}  // namespace

HttpFront::HttpFront(const ApiLimits& limits, ServeFn serve, ApiCounters* counters,
                     ChangeWaiters* waiters)
    : limits_(limits),
      serve_(std::move(serve)),
      api_counters_(counters),
      waiters_(waiters),
      peek_(http_limits::kWholeRequestBytesMax) {}

HttpFront::~HttpFront() { stop(); }

// The connections cap must fit the process's descriptors: raise the soft limit toward the
// hard one (systemd's default soft limit is 1024), else lower the cap and say so.
std::size_t HttpFront::fd_budget() {
  const std::size_t want = limits_.max_connections + kFdReserve;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < want) {
    lim.rlim_cur = std::min<rlim_t>(want, lim.rlim_max);
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur >= want) return limits_.max_connections;
  const std::size_t fit = lim.rlim_cur > 2 * kFdReserve ? lim.rlim_cur - kFdReserve : kFdReserve;
  log_warning("api.max_connections " + std::to_string(limits_.max_connections) +
              " does not fit the open-files limit (" + std::to_string(lim.rlim_cur) +
              "); serving at most " + std::to_string(fit) +
              " connections: raise LimitNOFILE= in the unit or lower api.max_connections");
  return fit;
}

Status HttpFront::listen(const std::string& address) {
  const auto colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const std::string port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return Status::error(Code::kInvalidArgument, "api.listen " + address + ": unknown host");
  }
  listen_fd_ = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int yes = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  const bool bound = listen_fd_ >= 0 && ::bind(listen_fd_, found->ai_addr, found->ai_addrlen) == 0 &&
                     ::listen(listen_fd_, SOMAXCONN) == 0;
  freeaddrinfo(found);
  if (!bound) {
    return Status::error(Code::kUnavailable, "api.listen " + address +
                                                 ": cannot bind (is another node or program "
                                                 "using the port?)");
  }
  caps_ = std::make_unique<ConnectionCaps>(fd_budget(), limits_.max_connections_per_client);
  return Status::ok();
}

void HttpFront::start() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenId;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.u64 = kCommandsId;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, commands_.fd(), &ev);
  main_pool_ = std::make_unique<WorkerPool>("api-main", kMainThreads, limits_.max_connections);
  upload_pool_ = std::make_unique<WorkerPool>("api-upload", kUploadThreads, kUploadQueueMax);
  thread_ = std::thread([this] { run(); });
  pthread_setname_np(thread_.native_handle(), "api-front");
}

void HttpFront::stop() {
  stopping_ = true;
  commands_.post([] {});  // wakes the reactor
  if (thread_.joinable()) thread_.join();
  if (main_pool_) main_pool_->shutdown();
  if (upload_pool_) upload_pool_->shutdown();
  for (auto& [id, c] : conns_) ::close(c->fd);
  conns_.clear();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  epoll_fd_ = listen_fd_ = -1;
}

void HttpFront::run() {
  epoll_event events[64];
  std::uint64_t last_sweep_ms = 0;
  while (!stopping_) {
    const int n = epoll_wait(epoll_fd_, events, 64, kTickMs);
    for (int i = 0; i < n && !stopping_; ++i) {
      const std::uint64_t id = events[i].data.u64;
      if (id == kListenId) {
        accept_all();
      } else if (id == kCommandsId) {
        commands_.run_pending();
      } else {
        on_event(id, events[i].events);
      }
    }
    const std::uint64_t now = steady_now_ms();
    if (now - last_sweep_ms >= static_cast<std::uint64_t>(kTickMs)) {
      sweep(now);
      last_sweep_ms = now;
    }
  }
}

void HttpFront::accept_all() {
  for (;;) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        // Out of descriptors or memory: stop accepting until the next tick instead of spinning
        // on a listening socket that stays readable.
        epoll_event ev{};
        ev.data.u64 = kListenId;
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
        if (!listening_paused_) log_warning(std::string("api: accept failed: ") + strerror(errno));
        listening_paused_ = true;
      }
      return;
    }
    auto c = std::make_shared<Connection>();
    c->fd = fd;
    peer_of(addr, &c->ip, &c->port);
    const auto admit = caps_->admit(c->ip);
    if (admit != ConnectionCaps::Admit::kYes) {
      const bool node_full = admit == ConnectionCaps::Admit::kNodeFull;
      (node_full ? refused_node_full_ : refused_client_full_)++;
      api_counters_->error_response(503);
      const std::string answer = http_answer(
          503, "application/json",
          error_body(503, "busy",
                     node_full ? ui_text("the node holds as many API connections as it may "
                                         "(api.max_connections); try again shortly")
                               : ui_text("this address holds as many API connections as it may "
                                         "(api.max_connections_per_client); close some and try "
                                         "again")),
          false);
      (void)::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      continue;
    }
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    c->id = next_id_++;
    c->state = ConnState::kReading;
    c->deadline_ms = steady_now_ms() + limits_.read_timeout_ms;
    conns_[c->id] = c;
    ++open_;
    ++accepted_;
    watch(c, EPOLLIN | EPOLLRDHUP | EPOLLET);  // ADD reports data that is already there
  }
}

void HttpFront::on_event(std::uint64_t id, std::uint32_t events) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  ConnPtr c = it->second;
  switch (c->state) {
    case ConnState::kReading:
    case ConnState::kIdle: return read_head(c, (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
    case ConnState::kWriting:
      if (events & (EPOLLERR | EPOLLHUP)) return close(c, nullptr);
      return flush(c);
    case ConnState::kParked: return close(c, nullptr);  // the client hung up while waiting
    case ConnState::kLingering: return discard(c);
    case ConnState::kWorking: return;  // not watched; a stale event
  }
}

void HttpFront::read_head(const ConnPtr& c, bool hung_up) {
  const ssize_t n = ::recv(c->fd, peek_.data(), peek_.size(), MSG_PEEK);
  if (n == 0) return close(c, nullptr);  // the client closed
  if (n < 0) {
    if ((errno == EAGAIN || errno == EINTR) && !hung_up) return;
    return close(c, nullptr);
  }
  if (c->state == ConnState::kIdle) {
    c->state = ConnState::kReading;
    c->deadline_ms = steady_now_ms() + limits_.read_timeout_ms;
  }
  c->scan = scan_head(std::string_view(peek_.data(), static_cast<std::size_t>(n)),
                      limits_.max_body_bytes);
  if (c->scan.refusal) {
    ++refused_head_;
    const ApiError& e = *c->scan.refusal;
    api_counters_->error_response(e.status);
    return refuse(c, e.status, e.to_json(answer_language()).dump());
  }
  const bool small = c->scan.request_bytes() <= http_limits::kWholeRequestBytesMax &&
                     !c->scan.expect_continue;
  const bool whole = static_cast<std::uint64_t>(n) >= c->scan.request_bytes();
  if (!c->scan.complete || (small && !whole)) {
    if (hung_up) close(c, nullptr);  // it will never be whole
    return;
  }
  dispatch(c, small);
}

void HttpFront::dispatch(const ConnPtr& c, bool small) {
  unwatch(c);
  c->state = ConnState::kWorking;
  WorkerPool& pool = small ? *main_pool_ : *upload_pool_;
  if (pool.submit([this, c] { serve_one(c); })) return;
  ++refused_busy_;
  api_counters_->error_response(503);
  refuse(c, 503,
         error_body(503, "busy",
                    small ? ui_text("the node has too many requests queued; try again shortly")
                          : ui_text("the node is reading as many large requests as it may; try "
                                    "again shortly")));
}

void HttpFront::send(std::uint64_t conn_id, std::string bytes, bool finished) {
  commands_.post([this, conn_id, bytes = std::move(bytes), finished]() mutable {
    auto it = conns_.find(conn_id);
    if (it == conns_.end()) return;  // gone
    ConnPtr c = it->second;
    if (c->state == ConnState::kWriting && c->then == Then::kParked) {
      return stream_more(c, std::move(bytes), finished);
    }
    if (c->state != ConnState::kParked) return;
    --parked_;
    c->out = std::move(bytes);
    c->out_sent = 0;
    c->then = !finished ? Then::kParked : c->keep_alive ? Then::kIdle : Then::kClose;
    start_writing(c);
  });
}

// An event stream's next bytes while its last ones are still going out. A client that takes
// them slower than they come is cut off at kStreamBacklogBytesMax (it resumes where it stopped,
// Last-Event-ID); the node never holds more than that for it.
void HttpFront::stream_more(const ConnPtr& c, std::string bytes, bool finished) {
  if (c->out.size() - c->out_sent + bytes.size() > kStreamBacklogBytesMax) {
    return close(c, &stream_overflows_);
  }
  c->out.erase(0, c->out_sent);
  c->out_sent = 0;
  c->out += bytes;
  if (finished) c->then = c->keep_alive ? Then::kIdle : Then::kClose;
}

void HttpFront::sweep(std::uint64_t now_ms) {
  if (listening_paused_) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenId;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
    listening_paused_ = false;
  }
  for (auto it = conns_.begin(); it != conns_.end();) {
    ConnPtr c = (it++)->second;  // close() erases c
    if (now_ms < c->deadline_ms) continue;
    switch (c->state) {
      case ConnState::kReading: read_timed_out(c); break;
      case ConnState::kIdle: close(c, &idle_closed_); break;
      case ConnState::kWriting: close(c, &write_timeouts_); break;
      case ConnState::kLingering: close(c, nullptr); break;
      case ConnState::kWorking:
      case ConnState::kParked: break;  // the worker's stream, or the waiter, has the deadline
    }
  }
  waiters_->expire(ChangeWaiters::Clock::now());
}

// A request begun and not finished within api.read_timeout (slowloris, or a client that
// stalled) is told so; a connection that never sent a byte is just closed.
void HttpFront::read_timed_out(const ConnPtr& c) {
  ++read_timeouts_;
  char byte = 0;
  if (::recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) != 1) return close(c, nullptr);
  unwatch(c);
  api_counters_->error_response(408);
  refuse(c, 408,
         error_body(408, "timeout",
                    ui_text("the request did not arrive whole within %s s (api.read_timeout)",
                            limits_.read_timeout_ms / 1000)));
}

FrontCounters HttpFront::counters() const {
  return {open_.load(),          parked_.load(),         accepted_.load(),
          refused_node_full_.load(), refused_client_full_.load(), refused_busy_.load(),
          refused_head_.load(),  read_timeouts_.load(),  write_timeouts_.load(),
          idle_closed_.load(),   stream_overflows_.load()};
}

}  // namespace casesync
