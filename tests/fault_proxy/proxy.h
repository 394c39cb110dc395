// The proxy: one thread, one epoll loop. Accepted connections are forwarded to the target through
// a Pipe per direction; faults (resets, black holes, partitions) are injected on seeded timers and
// on commands from the control channel. Sockets are edge-triggered and every event or due timer
// "pumps" its connection: read what fits, advance the pipes, write what is due.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>

#include "common/status.h"
#include "tests/fault_proxy/control.h"
#include "tests/fault_proxy/pipe.h"
#include "tests/fault_proxy/settings.h"
#include "tests/fault_proxy/socket_util.h"

namespace casesync::fault_proxy {

// More open connections than this are refused (reset at once): a test that opens them is broken.
inline constexpr std::size_t kConnectionsMax = 256;
inline constexpr std::size_t kControlClientsMax = 8;
// One recv() at most; and per pump at most kReadBytesPerPumpMax from one side, so a fast sender
// into a black hole cannot keep the loop from serving anyone else.
inline constexpr std::size_t kReadChunkBytes = 64u << 10;
inline constexpr std::size_t kReadBytesPerPumpMax = 1u << 20;
inline constexpr int kEventsPerWaitMax = 64;
static_assert(kReadChunkBytes <= kReadBytesPerPumpMax && kReadBytesPerPumpMax <= kPipeBytesMax);

class Proxy {
 public:
  // Binds the listen and control sockets and takes SIGINT and SIGTERM (through a signalfd).
  static Result<std::unique_ptr<Proxy>> open(const Settings& settings);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // The addresses really bound (a port 0 in the settings is resolved here).
  const Endpoint& listen_endpoint() const { return settings_.listen; }
  const std::optional<Endpoint>& control_endpoint() const { return settings_.control; }

  // Serves until `quit` or SIGINT/SIGTERM. An error means the loop itself failed.
  Status run();

 private:
  enum class Tag : std::uint64_t {
    kListener,
    kControlListener,
    kControlClient,
    kSignal,
    kClient,
    kServer
  };
  enum class Progress { kOpen, kDone, kFailed };
  // Why reading a side stopped. Sockets are edge-triggered: after kStopped no event will come for
  // the bytes still waiting in the kernel, so the proxy must come back by itself.
  enum class ReadEnd { kDrained, kStopped, kFailed };
  struct Side {
    Fd fd;
    bool read_eof = false;    // the peer sent FIN
    bool write_shut = false;  // we passed that FIN on (shutdown SHUT_WR)
  };
  struct Connection {
    Connection(const Settings& s, TimePoint now) : up(s.up, now), down(s.down, now) {}
    Side client;
    Side server;
    bool connected = false;   // to the target
    bool read_again = false;  // stopped reading before EAGAIN: pump again without an event
    Pipe up;                  // client -> server
    Pipe down;                // server -> client
    std::optional<TimePoint> wake;
  };
  struct ControlClient {
    Fd fd;
    std::string line;
  };
  // A fault that is off, on, or on until a deadline.
  struct Switch {
    bool on = false;
    std::optional<TimePoint> until;
  };

  explicit Proxy(const Settings& settings);
  Status add(int fd, Tag tag, std::uint64_t id, std::uint32_t events);
  void on_event(const epoll_event& ev, TimePoint now);
  void accept_clients(TimePoint now);
  void open_connection(Fd client, TimePoint now);
  void on_connection_event(std::uint64_t id, Tag side, std::uint32_t events, TimePoint now);
  void pump(std::uint64_t id, TimePoint now);
  Progress pump_direction(Connection& c, Side& src, Side& dst, Pipe& pipe, bool src_ready,
                          bool dst_ready, std::uint64_t& delivered, TimePoint now);
  ReadEnd read_side(Side& src, Pipe& pipe);
  void close_connection(std::uint64_t id, bool reset);
  std::size_t reset_all(const std::string& why);
  void on_timers(TimePoint now);
  int timeout_ms(TimePoint now) const;
  void schedule_random_reset(TimePoint now);
  void set_switch(Switch& sw, const char* name, const Command& cmd, TimePoint now);
  void on_control_listener();
  void on_control_client(std::uint64_t id);
  std::string execute(const Command& cmd, TimePoint now);
  StatsView stats() const;

  Settings settings_;
  Fd epoll_;
  Fd listener_;
  Fd control_listener_;
  Fd signals_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::unordered_map<std::uint64_t, ControlClient> control_clients_;
  std::uint64_t next_id_ = 1;
  Counters counters_;
  Switch blackhole_;
  Switch partition_;
  std::optional<TimePoint> next_reset_at_;
  // Two streams from one seed, so the reset schedule repeats whatever the traffic does.
  std::mt19937_64 jitter_rng_;
  std::mt19937_64 reset_rng_;
  std::array<char, kReadChunkBytes> read_buffer_{};
  bool quit_ = false;
};

}  // namespace casesync::fault_proxy
