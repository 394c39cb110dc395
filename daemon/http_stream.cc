#include "daemon/http_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace casesync {

std::uint64_t steady_now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

namespace {

// Waits for `events` on `fd` until `wait_ms` passed; false on timeout or error.
bool wait_for(int fd, short events, std::uint64_t wait_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int rc = ::poll(&p, 1, static_cast<int>(std::min<std::uint64_t>(wait_ms, 60000)));
    if (rc > 0) return true;
    if (rc == 0 || errno != EINTR) return false;
  }
}

}  // namespace

ConnectionStream::ConnectionStream(const StreamPeer& peer, std::uint64_t request_bytes,
                                   std::uint64_t read_timeout_ms, std::uint64_t deadline_ms,
                                   std::string* out)
    : peer_(peer),
      request_bytes_(request_bytes),
      read_timeout_ms_(read_timeout_ms),
      deadline_ms_(deadline_ms),
      out_(out) {}

bool ConnectionStream::flush_pending() {
  while (flushed_ < out_->size()) {
    const ssize_t n = ::send(peer_.fd, out_->data() + flushed_, out_->size() - flushed_,
                             MSG_NOSIGNAL);
    if (n > 0) {
      flushed_ += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(peer_.fd, POLLOUT, read_timeout_ms_)) return false;
    } else {
      return false;
    }
  }
  return true;
}

bool ConnectionStream::fill() {
  if (!flush_pending()) return failed_ = true, false;
  for (;;) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(sizeof(buf_), request_bytes_ - consumed_));
    const ssize_t n = ::recv(peer_.fd, buf_, want, 0);
    if (n > 0) {
      begin_ = 0;
      end_ = static_cast<std::size_t>(n);
      consumed_ += end_;
      return true;
    }
    if (n == 0) return false;  // the client closed before sending the whole request
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return failed_ = true, false;
    const std::uint64_t now = steady_now_ms();
    if (now >= deadline_ms_ ||
        !wait_for(peer_.fd, POLLIN, std::min(read_timeout_ms_, deadline_ms_ - now))) {
      timed_out_ = true;
      return false;
    }
  }
}

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  if (begin_ == end_) {
    if (consumed_ >= request_bytes_) return 0;  // the request ends here, whatever follows
    if (!fill()) return -1;
  }
  const std::size_t n = std::min(size, end_ - begin_);
  std::memcpy(ptr, buf_ + begin_, n);
  begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  if (exchange_ == nullptr || !exchange_->deferred()) out_->append(ptr, size);
  return static_cast<ssize_t>(size);
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = peer_.remote_ip;
  port = peer_.remote_port;
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  ip.clear();
  port = 0;
  if (::getsockname(peer_.fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) peer_of(addr, &ip, &port);
}

void peer_of(const sockaddr_storage& addr, std::string* ip, int* port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
    *port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text));
    *port = ntohs(a->sin6_port);
  }
  *ip = text;
}

}  // namespace casesync
