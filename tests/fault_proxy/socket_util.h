// Thin POSIX socket helpers shared by the proxy and its self-test: an owning descriptor and
// loopback IPv4 sockets. Errors come back as values naming the address and errno text.
#pragma once

#include "common/status.h"
#include "tests/fault_proxy/settings.h"

namespace casesync::fault_proxy {

// Owns one file descriptor; closes it when destroyed. Movable, not copyable.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// A non-blocking listening TCP socket on `at`; port 0 lets the kernel pick (see local_endpoint).
Result<Fd> listen_on(const Endpoint& at);
Result<Endpoint> local_endpoint(int fd);
// Starts a non-blocking connect to `to`. On return the socket is connected or connecting (the
// caller learns which from EPOLLOUT and SO_ERROR); a refusal may show up either here or there.
Result<Fd> start_connect(const Endpoint& to);
// Sets TCP_NODELAY: the proxy must add exactly the configured delay, not Nagle's on top.
void set_no_delay(int fd);
// Closes with SO_LINGER 0, so the peer sees a reset (RST) instead of an orderly close (FIN).
void close_with_reset(Fd fd);
// "what (127.0.0.1:5555): Connection refused" from errno.
Status errno_status(const std::string& what);

}  // namespace casesync::fault_proxy
