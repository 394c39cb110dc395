// ConnectionStream: how httplib reads one request and writes its answer when the front
// (daemon/http_front.h) hands that request to a worker. It reads at most the request's own bytes
// (head and Content-Length, as the front measured them), so httplib can never read a body past
// api.max_body_bytes nor eat the next request on the connection; a read waits at most
// `read_timeout_ms` for the next byte and the whole request must arrive by its deadline. The
// answer is collected in memory and written by the front, so a client that reads slowly holds
// no worker.
#pragma once

#include <httplib.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "daemon/http_exchange.h"

namespace casesync {

struct StreamPeer {
  int fd = -1;
  std::string remote_ip;
  int remote_port = 0;
};

class ConnectionStream final : public httplib::Stream {
 public:
  // "*out" receives the answer and must outlive the stream. `deadline_ms` is on
  // steady_now_ms()'s clock.
  ConnectionStream(const StreamPeer& peer, std::uint64_t request_bytes, std::uint64_t read_timeout_ms,
                   std::uint64_t deadline_ms, std::string* out);

  bool is_readable() const override { return consumed_ < request_bytes_; }
  bool is_writable() const override { return !failed_; }
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return peer_.fd; }

  // Once `*exchange` is deferred (parked, or answering from a file), what httplib writes is
  // dropped: its placeholder must not reach the client. "*exchange" must outlive the stream.
  void attach(const Exchange* exchange) { exchange_ = exchange; }
  // The request was read to its last byte (else the connection cannot serve another).
  bool consumed_all() const { return consumed_ == request_bytes_ && begin_ == end_; }
  bool timed_out() const { return timed_out_; }
  // The first bytes of the answer already sent by the stream itself (an interim "100 Continue").
  std::size_t flushed() const { return flushed_; }

 private:
  bool fill();
  bool flush_pending();  // an interim answer ("100 Continue") before waiting for the body

  StreamPeer peer_;
  std::uint64_t request_bytes_;
  std::uint64_t read_timeout_ms_;
  std::uint64_t deadline_ms_;
  std::string* out_;
  std::size_t flushed_ = 0;
  std::uint64_t consumed_ = 0;  // taken from the socket (some may wait in buf_)
  char buf_[4096];
  std::size_t begin_ = 0, end_ = 0;
  const Exchange* exchange_ = nullptr;
  bool failed_ = false;
  bool timed_out_ = false;
};

// Milliseconds of a monotonic clock (deadlines of the front and its streams).
std::uint64_t steady_now_ms();

// "1.2.3.4" / "::1" and the port of a socket address.
void peer_of(const sockaddr_storage& addr, std::string* ip, int* port);

}  // namespace casesync
