#include "tests/fault_proxy/socket_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace casesync::fault_proxy {
namespace {

sockaddr_in to_sockaddr(const Endpoint& e) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(e.address);
  sa.sin_port = htons(e.port);
  return sa;
}

Result<Fd> tcp_socket(const Endpoint& e) {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_status("socket for " + e.to_string());
  return fd;
}

}  // namespace

void Fd::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

Status errno_status(const std::string& what) {
  return Status::error(Code::kIoError, what + ": " + std::strerror(errno));
}

Result<Fd> listen_on(const Endpoint& at) {
  ASSIGN_OR_RETURN(Fd fd, tcp_socket(at));
  const int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const sockaddr_in sa = to_sockaddr(at);
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) != 0) {
    return errno_status("bind " + at.to_string());
  }
  if (listen(fd.get(), SOMAXCONN) != 0) return errno_status("listen " + at.to_string());
  return fd;
}

Result<Endpoint> local_endpoint(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof(sa);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    return errno_status("getsockname");
  }
  return Endpoint{.address = ntohl(sa.sin_addr.s_addr), .port = ntohs(sa.sin_port)};
}

Result<Fd> start_connect(const Endpoint& to) {
  ASSIGN_OR_RETURN(Fd fd, tcp_socket(to));
  set_no_delay(fd.get());
  const sockaddr_in sa = to_sockaddr(to);
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) != 0 &&
      errno != EINPROGRESS) {
    return errno_status("connect " + to.to_string());
  }
  return fd;
}

void set_no_delay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void close_with_reset(Fd fd) {
  const linger abort_on_close{.l_onoff = 1, .l_linger = 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
  // ~Fd closes it; with a zero linger the kernel sends RST and discards unsent data.
}

}  // namespace casesync::fault_proxy
