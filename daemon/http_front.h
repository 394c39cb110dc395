// HttpFront: the local API's acceptor, in front of httplib's request handling.
//
// Why not httplib's own server: it gives each connection a thread of a fixed pool from accept
// to close. A client that opens a connection and sends nothing, or sends its head a byte at a
// time (slowloris), or waits on a long-poll, holds one thread each; a handful of them and
// /healthz waits in the queue (issue 24 measured 28 s with 300 half-open connections). httplib
// 0.11 also reads a chunked body, or a compressed one, without any size limit.
//
// So one thread here (the reactor, epoll) owns every connection while nothing needs doing:
//   accept     the caps (daemon/connection_caps.h) admit it or it gets a 503 and is closed;
//   reading    until its head has arrived whole (peeked, not consumed: scan_head) within
//              api.read_timeout — a slow or silent client costs a socket, never a thread; a
//              refusal (413 over api.max_body_bytes, 411 chunked, 415, 431) is answered from
//              here before one byte of the body is read;
//   working    a worker serves it through httplib (ServeFn over a ConnectionStream that reads
//              exactly this request). A request whose head and body fit kWholeRequestBytesMax
//              waits here until all of it arrived and then goes to the main pool, whose work
//              never waits on a client; a larger body is read by the upload pool, so a slow
//              upload can delay only other uploads;
//   writing    the answer, collected in memory by the worker (or a file: a backup), is written
//              by the reactor as the client takes it, within api.write_timeout per step;
//   parked     a long-poll waits as a ChangeWaiters waiter (daemon/change_waiters.h): no thread
//              until the change counter moves; its answer comes back through send(). An event
//              stream is parked again after each part (and a part that comes while the last
//              is still being written is appended to it, up to kStreamBacklogBytesMax);
//   idle       keep-alive between requests, up to api.idle_timeout;
//   lingering  after a refusal whose body we did not read: our side is shut and what still
//              arrives is discarded for a moment, so the client can read the answer before the
//              connection is reset.
// The main pool is small because every handler ends on the loop thread anyway.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "config/node_config.h"
#include "daemon/api_counters.h"
#include "daemon/change_waiters.h"
#include "daemon/connection_caps.h"
#include "daemon/task_queue.h"
#include "daemon/worker_pool.h"

namespace casesync {

// What the front did with connections, for /api/status ("api_connections") and /metrics.
struct FrontCounters {
  std::uint64_t open = 0;    // now
  std::uint64_t parked = 0;  // now: long-polls waiting
  std::uint64_t accepted = 0;
  std::uint64_t refused_node_full = 0;    // api.max_connections reached
  std::uint64_t refused_client_full = 0;  // api.max_connections_per_client reached
  std::uint64_t refused_busy = 0;         // a worker pool's queue was full (503)
  std::uint64_t refused_head = 0;         // 411/413/415/431/400 answered before the body
  std::uint64_t read_timeouts = 0;        // a head or body that did not arrive in time
  std::uint64_t write_timeouts = 0;       // an answer the client did not take in time
  std::uint64_t idle_closed = 0;          // kept-alive connections closed for idleness
  std::uint64_t stream_overflows = 0;     // event streams cut off: the client read too slowly
};

class HttpFront {
 public:
  // Serves one request with httplib (daemon/api_server.cc): reads it from `stream`, writes the
  // answer to it; `close_connection` asks for "Connection: close"; `connection_closed` comes
  // back true when the request asked to close. False: the request could not be read.
  using ServeFn = std::function<bool(httplib::Stream& stream, bool close_connection,
                                     bool& connection_closed)>;

  // Threads of the pools (see the header comment).
  static constexpr std::size_t kMainThreads = 4;
  static constexpr std::size_t kUploadThreads = 2;
  static constexpr std::size_t kUploadQueueMax = 64;
  // A connection serves at most this many requests, then closes (the client reconnects).
  static constexpr std::uint32_t kRequestsPerConnectionMax = 1000;
  // After a refusal: how long and how much of an unread body is discarded before closing.
  static constexpr std::uint64_t kLingerMs = 2000;
  static constexpr std::uint64_t kLingerBytesMax = 64u << 20;
  // The reactor's timer: deadlines are checked this often.
  static constexpr int kTickMs = 50;
  // An event stream's bytes waiting for a client that reads slower than they come.
  static constexpr std::size_t kStreamBacklogBytesMax = 4u << 20;

  // "*counters" and "*waiters" must outlive the front.
  HttpFront(const ApiLimits& limits, ServeFn serve, ApiCounters* counters,
            ChangeWaiters* waiters);
  ~HttpFront();
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // Binds HOST:PORT (so a clash is reported before READY=1).
  Status listen(const std::string& address);
  void start();
  // Stops accepting, lets the workers finish, closes every connection. Idempotent.
  void stop();

  // Bytes for a parked connection (ChangeWaiters' sink); any thread. `finished`: the answer is
  // complete and the connection goes back to serving requests.
  void send(std::uint64_t conn_id, std::string bytes, bool finished);

  FrontCounters counters() const;

 private:
  struct Connection;  // daemon/http_connection.h
  using ConnPtr = std::shared_ptr<Connection>;

  void run();
  void accept_all();
  void on_event(std::uint64_t id, std::uint32_t events);
  void read_head(const ConnPtr& c, bool hung_up);
  void dispatch(const ConnPtr& c, bool small);
  void serve_one(const ConnPtr& c);
  void handed_back(const ConnPtr& c);
  void refuse(const ConnPtr& c, int status, const std::string& body);
  void start_writing(const ConnPtr& c);
  void stream_more(const ConnPtr& c, std::string bytes, bool finished);
  void flush(const ConnPtr& c);
  void after_write(const ConnPtr& c);
  void linger(const ConnPtr& c);
  void discard(const ConnPtr& c);
  void to_idle(const ConnPtr& c);
  void close(const ConnPtr& c, std::atomic<std::uint64_t>* reason);
  void watch(const ConnPtr& c, std::uint32_t events);
  void unwatch(const ConnPtr& c);
  void sweep(std::uint64_t now_ms);
  void read_timed_out(const ConnPtr& c);
  std::size_t fd_budget();

  ApiLimits limits_;
  ServeFn serve_;
  ApiCounters* api_counters_;
  ChangeWaiters* waiters_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  bool listening_paused_ = false;
  TaskQueue commands_;  // from workers and the waiters' sink to the reactor
  std::map<std::uint64_t, ConnPtr> conns_;
  std::uint64_t next_id_ = 2;  // 0: the listening socket, 1: commands_
  std::unique_ptr<ConnectionCaps> caps_;
  std::vector<char> peek_;
  std::unique_ptr<WorkerPool> main_pool_;
  std::unique_ptr<WorkerPool> upload_pool_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  std::atomic<std::uint64_t> open_{0}, parked_{0}, accepted_{0}, refused_node_full_{0},
      refused_client_full_{0}, refused_busy_{0}, refused_head_{0}, read_timeouts_{0},
      write_timeouts_{0}, idle_closed_{0}, stream_overflows_{0};
};

}  // namespace casesync
