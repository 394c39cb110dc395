// One connection of the local API's front (daemon/http_front.h) and the states it goes through.
// Owned by the reactor thread, except while a worker serves its request (kWorking): then the
// worker alone touches it, and hands it back through the reactor's command queue.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "daemon/http_front.h"
#include "daemon/http_head.h"

namespace casesync {

enum class ConnState {
  kReading,    // waiting for a whole head (and a small body), deadline api.read_timeout
  kIdle,       // kept alive between requests, deadline api.idle_timeout
  kWorking,    // a worker serves the request; not watched
  kParked,     // a ChangeWaiters waiter holds it; watched only for the client hanging up
  kWriting,    // the answer goes out as the client takes it, deadline api.write_timeout a step
  kLingering,  // refused with a body unread: our side shut, input discarded for kLingerMs
};

// What follows once the answer is written.
enum class Then { kIdle, kClose, kLinger, kParked };

struct HttpFront::Connection {
  std::uint64_t id = 0;
  int fd = -1;
  std::string ip;
  int port = 0;
  ConnState state = ConnState::kReading;
  bool watched = false;
  std::uint64_t deadline_ms = 0;
  HeadScan scan;                // of the request being served
  std::uint32_t served = 0;     // requests answered so far
  bool keep_alive = true;       // after the current request (set by the worker)
  // The answer: bytes, then optionally a file's bytes (a backup).
  std::string out;
  std::size_t out_sent = 0;
  int file_fd = -1;
  std::uint64_t file_left = 0;
  off_t file_offset = 0;
  Then then = Then::kIdle;
  std::uint64_t discarded = 0;  // while lingering
};

}  // namespace casesync
