// Exchange: the request a worker of the front (daemon/http_front.h) is serving, for the few
// handlers that answer it later or from a file instead of through httplib's Response:
//   - park(): a long-poll (/api/changes, /api/events?wait=) or an event stream waits as a
//     ChangeWaiters waiter, holding no thread;
//   - send_file(): a backup streams from its file to the client, never whole in memory.
// After either, what httplib writes for this request is dropped (the handler sets a placeholder
// status so httplib counts no error).
//
// current() is the exchange of the calling thread: set by the worker around the request, null
// elsewhere — on the loop thread (handlers behind on_loop) and in unit tests. A handler that
// finds none answers the ordinary way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "daemon/change_waiters.h"

namespace casesync {

class Exchange {
 public:
  Exchange(std::uint64_t conn_id, bool keep_alive) : conn_id_(conn_id), keep_alive_(keep_alive) {}
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  static Exchange* current();

  std::uint64_t conn_id() const { return conn_id_; }
  // Whether the connection serves another request after this one: a deferred answer says
  // "Connection: close" when it does not.
  bool keep_alive() const { return keep_alive_; }

  // REQUIRES: neither park() nor send_file() was called for this request.
  void park(ChangeWaiters::Waiter waiter);
  // `head`: the status line and headers, Content-Length included; `fd` is owned from here on.
  void send_file(std::string head, int fd, std::uint64_t bytes);

  // The answer ends when the connection does (an event stream, whose body has no length): the
  // connection closes after it instead of serving another request.
  void close_after() { close_after_ = true; }
  bool closes_after() const { return close_after_; }

  bool deferred() const { return parked_.has_value() || file_fd_ >= 0; }
  std::optional<ChangeWaiters::Waiter>& parked() { return parked_; }
  int file_fd() const { return file_fd_; }
  std::uint64_t file_bytes() const { return file_bytes_; }
  std::string& file_head() { return file_head_; }
  // The file now belongs to the caller (the front).
  void release_file() { file_fd_ = -1; }
  ~Exchange();

 private:
  friend class ExchangeScope;
  std::uint64_t conn_id_;
  bool keep_alive_;
  bool close_after_ = false;
  std::optional<ChangeWaiters::Waiter> parked_;
  std::string file_head_;
  int file_fd_ = -1;
  std::uint64_t file_bytes_ = 0;
};

// Makes `*exchange` current() on this thread for the scope's life.
class ExchangeScope {
 public:
  explicit ExchangeScope(Exchange* exchange);
  ~ExchangeScope();
  ExchangeScope(const ExchangeScope&) = delete;
  ExchangeScope& operator=(const ExchangeScope&) = delete;

 private:
  Exchange* previous_;
};

// The status line and headers of an HTTP/1.1 answer of `body_bytes` (Content-Type,
// Content-Length, Connection, and `extra` header lines each ending in CRLF).
std::string http_head(int status, const std::string& content_type, std::uint64_t body_bytes,
                      bool keep_alive, const std::string& extra = "");
// One complete answer: http_head() and the body.
std::string http_answer(int status, const std::string& content_type, const std::string& body,
                        bool keep_alive);

}  // namespace casesync
