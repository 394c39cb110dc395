// The front's per-connection steps after the head: a worker serving the request, the answer
// going out, lingering and closing (the reactor's loop and accepting are in http_front.cc).
#include "daemon/http_connection.h"

#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "daemon/http_exchange.h"
#include "daemon/http_stream.h"

namespace casesync {

namespace {
// A body is allowed this rate at the least, on top of api.read_timeout, before its request is
// dropped: 8 MiB within about two minutes. An upload slower than that holds a worker of the
// upload pool for no good.
constexpr std::uint64_t kBodyBytesPerSecondMin = 64 * 1024;
constexpr std::uint64_t kFileChunkBytes = 1u << 20;
}  // namespace

// On a worker: the request through httplib, then the connection back to the reactor.
void HttpFront::serve_one(const ConnPtr& c) {
  c->keep_alive = c->scan.keep_alive && c->served + 1 < kRequestsPerConnectionMax;
  c->out.clear();
  const std::uint64_t deadline = steady_now_ms() + limits_.read_timeout_ms +
                                 c->scan.content_length * 1000 / kBodyBytesPerSecondMin;
  ConnectionStream stream({c->fd, c->ip, c->port}, c->scan.request_bytes(),
                          limits_.read_timeout_ms, deadline, &c->out);
  Exchange exchange(c->id, c->keep_alive);
  stream.attach(&exchange);
  bool closed = false;
  bool ok = false;
  {
    ExchangeScope scope(&exchange);
    ok = serve_(stream, !c->keep_alive, closed);
  }
  if (stream.timed_out()) ++read_timeouts_;
  if (exchange.closes_after()) c->keep_alive = false;
  std::optional<ChangeWaiters::Waiter> waiter;
  c->out_sent = stream.flushed();
  if (exchange.parked()) {
    waiter = std::move(exchange.parked());
    c->out.clear();
    c->out_sent = 0;
    c->then = Then::kParked;
  } else if (exchange.file_fd() >= 0) {
    c->out = std::move(exchange.file_head());
    c->out_sent = 0;
    c->file_fd = exchange.file_fd();
    c->file_left = exchange.file_bytes();
    c->file_offset = 0;
    exchange.release_file();
    c->then = c->keep_alive ? Then::kIdle : Then::kClose;
  } else if (!stream.consumed_all()) {
    c->then = Then::kLinger;  // the rest of the request is unread: the connection cannot go on
  } else {
    c->then = ok && !closed && c->keep_alive ? Then::kIdle : Then::kClose;
  }
  commands_.post([this, c] { handed_back(c); });
  // After the hand-back is queued: a waiter woken at once answers through send(), which the
  // reactor runs after it.
  if (waiter) waiters_->add(std::move(*waiter));
}

void HttpFront::handed_back(const ConnPtr& c) {
  ++c->served;
  if (c->then == Then::kParked && c->out.empty()) {
    c->state = ConnState::kParked;
    ++parked_;
    watch(c, EPOLLRDHUP);
    return;
  }
  start_writing(c);
}

void HttpFront::refuse(const ConnPtr& c, int status, const std::string& body) {
  c->out = http_answer(status, "application/json", body, false);
  c->out_sent = 0;
  c->then = Then::kLinger;
  start_writing(c);
}

void HttpFront::start_writing(const ConnPtr& c) {
  c->state = ConnState::kWriting;
  c->deadline_ms = steady_now_ms() + limits_.write_timeout_ms;
  flush(c);
}

void HttpFront::flush(const ConnPtr& c) {
  while (c->out_sent < c->out.size() || c->file_left > 0) {
    ssize_t n = 0;
    if (c->out_sent < c->out.size()) {
      n = ::send(c->fd, c->out.data() + c->out_sent, c->out.size() - c->out_sent, MSG_NOSIGNAL);
      if (n > 0) c->out_sent += static_cast<std::size_t>(n);
    } else {
      n = ::sendfile(c->fd, c->file_fd, &c->file_offset,
                     static_cast<std::size_t>(std::min(c->file_left, kFileChunkBytes)));
      if (n == 0) return close(c, nullptr);  // the file is shorter than the answer said
      if (n > 0) c->file_left -= static_cast<std::uint64_t>(n);
    }
    if (n > 0) {
      c->deadline_ms = steady_now_ms() + limits_.write_timeout_ms;
    } else if (errno == EAGAIN || errno == EINTR) {
      return watch(c, EPOLLOUT);  // level-triggered: on again when the client took some
    } else {
      return close(c, nullptr);
    }
  }
  c->out.clear();
  c->out.shrink_to_fit();  // a large answer must not stay with an idle connection
  c->out_sent = 0;
  if (c->file_fd >= 0) ::close(c->file_fd);
  c->file_fd = -1;
  after_write(c);
}

void HttpFront::after_write(const ConnPtr& c) {
  switch (c->then) {
    case Then::kIdle: return to_idle(c);
    case Then::kClose: return close(c, nullptr);
    case Then::kLinger: return linger(c);
    case Then::kParked:
      c->state = ConnState::kParked;
      ++parked_;
      return watch(c, EPOLLRDHUP);
  }
}

void HttpFront::to_idle(const ConnPtr& c) {
  c->state = ConnState::kIdle;
  c->deadline_ms = steady_now_ms() + limits_.idle_timeout_ms;
  // Edge-triggered, so the next request, if it is already here (pipelined), is looked at now.
  watch(c, EPOLLIN | EPOLLRDHUP | EPOLLET);
  read_head(c, false);
}

void HttpFront::linger(const ConnPtr& c) {
  ::shutdown(c->fd, SHUT_WR);
  c->state = ConnState::kLingering;
  c->deadline_ms = steady_now_ms() + kLingerMs;
  c->discarded = 0;
  watch(c, EPOLLIN | EPOLLRDHUP);
}

void HttpFront::discard(const ConnPtr& c) {
  for (;;) {
    const ssize_t n = ::recv(c->fd, peek_.data(), peek_.size(), 0);
    if (n > 0) {
      c->discarded += static_cast<std::uint64_t>(n);
      if (c->discarded > kLingerBytesMax) return close(c, nullptr);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    return close(c, nullptr);  // the client closed too
  }
}

void HttpFront::close(const ConnPtr& c, std::atomic<std::uint64_t>* reason) {
  if (reason) ++*reason;
  if (c->state == ConnState::kParked) {
    waiters_->cancel(c->id);
    --parked_;
  }
  unwatch(c);
  ::close(c->fd);
  if (c->file_fd >= 0) ::close(c->file_fd);
  c->file_fd = -1;
  caps_->release(c->ip);
  conns_.erase(c->id);
  --open_;
}

void HttpFront::watch(const ConnPtr& c, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = c->id;
  epoll_ctl(epoll_fd_, c->watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev);
  c->watched = true;
}

void HttpFront::unwatch(const ConnPtr& c) {
  if (!c->watched) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd, nullptr);
  c->watched = false;
}

}  // namespace casesync
