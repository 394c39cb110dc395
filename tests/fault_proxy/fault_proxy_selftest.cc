// Proves the real casesync-fault-proxy binary end to end against an echo server: bytes pass
// unchanged, latency and the rate cap are observed, a black hole swallows and heals, resets and
// partitions cut connections, buffers stay bounded, and non-loopback targets are refused.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <thread>
#include <vector>

#include "tests/fault_proxy/pipe.h"
#include "tests/fault_proxy/socket_util.h"

extern char** environ;

using namespace casesync;
using namespace casesync::fault_proxy;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

double seconds_since(TimePoint start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 131 % 251);
  return s;
}

// An echo server (or, with echo=false, a sink that accepts and never reads) on its own thread.
class TestServer {
 public:
  explicit TestServer(bool echo = true) : echo_(echo) {
    listener_ = listen_on(Endpoint{}).value();
    port_ = local_endpoint(listener_.get()).value().port;
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    stop_read_ = Fd(fds[0]);
    stop_write_ = Fd(fds[1]);
    thread_ = std::thread([this] { loop(); });
  }
  ~TestServer() {
    (void)!write(stop_write_.get(), "x", 1);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  struct Client {
    Fd fd;
    std::string pending;  // read, not yet echoed
  };
  static constexpr std::size_t kPendingBytesMax = 1u << 20;

  void loop() {
    std::vector<Client> clients;
    while (true) {
      std::vector<pollfd> pfds{{stop_read_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
      for (const Client& c : clients) {
        const bool room = echo_ && c.pending.size() < kPendingBytesMax;
        pfds.push_back({c.fd.get(),
                        static_cast<short>((room ? POLLIN : 0) | (c.pending.empty() ? 0 : POLLOUT)),
                        0});
      }
      if (poll(pfds.data(), pfds.size(), -1) < 0) continue;
      if (pfds[0].revents) return;
      if (pfds[1].revents)
        clients.push_back({Fd(accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK))});
      for (std::size_t i = 0; i + 2 < pfds.size(); ++i) serve(clients[i], pfds[i + 2].revents);
      std::erase_if(clients, [](const Client& c) { return !c.fd.valid(); });
    }
  }
  void serve(Client& c, short revents) {
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[65536];
      const ssize_t n = recv(c.fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) c.pending.append(buf, static_cast<std::size_t>(n));
      if (n == 0 || (n < 0 && errno != EAGAIN)) return c.fd.reset();
    }
    if (!c.pending.empty()) {
      const ssize_t n =
          send(c.fd.get(), c.pending.data(), c.pending.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) c.pending.erase(0, static_cast<std::size_t>(n));
    }
  }

  bool echo_;
  Fd listener_;
  std::uint16_t port_ = 0;
  Fd stop_read_, stop_write_;
  std::thread thread_;
};

// Reads until `n` bytes came, the peer closed or reset, or `timeout` passed.
struct ReadResult {
  enum End { kOpen, kEof, kReset } end = kOpen;
  std::string data;
};
ReadResult read_for(int fd, std::size_t n, milliseconds timeout) {
  ReadResult r;
  const TimePoint deadline = SteadyClock::now() + timeout;
  char buf[65536];
  while (r.data.size() < n) {
    const auto left = std::chrono::ceil<milliseconds>(deadline - SteadyClock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
    const ssize_t got = read(fd, buf, std::min(sizeof(buf), n - r.data.size()));  // pipes too
    if (got > 0) r.data.append(buf, static_cast<std::size_t>(got));
    if (got == 0) r.end = ReadResult::kEof;
    if (got < 0 && errno == ECONNRESET) r.end = ReadResult::kReset;
    if (r.end != ReadResult::kOpen) break;
  }
  return r;
}

Fd connect_to(std::uint16_t port) {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = {htonl(0x7f000001)}};
  REQUIRE(connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  set_no_delay(fd.get());
  return fd;
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Sends `msg` and waits for its echo; the round trip in seconds, or -1 if it did not come back.
double round_trip(int fd, const std::string& msg, milliseconds timeout = 3000ms) {
  const TimePoint start = SteadyClock::now();
  send_all(fd, msg);
  const ReadResult r = read_for(fd, msg.size(), timeout);
  return r.data == msg ? seconds_since(start) : -1;
}

// A child process that is stopped (SIGTERM, then SIGKILL) and reaped however the test ends.
// A child process that is stopped (SIGTERM, then SIGKILL) and reaped however the test ends,
// even when a REQUIRE throws out of a constructor.
class Child {
 public:
  Child() = default;
  ~Child() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    if (wait_exit(5000ms) == -1) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t* pid() { return &pid_; }
  // The exit code, or -1 if it is still running after `timeout`.
  int wait_exit(milliseconds timeout) {
    const TimePoint deadline = SteadyClock::now() + timeout;
    while (pid_ > 0) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (SteadyClock::now() >= deadline) return -1;
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

// The proxy binary as a child process, driven over its control port like a test would.
class ProxyProcess {
 public:
  explicit ProxyProcess(std::uint16_t target, std::vector<std::string> flags = {}) {
    flags.insert(flags.begin(), {"--listen", "127.0.0.1:0", "--control", "127.0.0.1:0", "--target",
                                 "127.0.0.1:" + std::to_string(target)});
    const int code = spawn(flags);
    REQUIRE_MESSAGE(code == -1, "the proxy exited with " << code);
    port_ = port_after("listen=127.0.0.1:");
    control_ = connect_to(port_after("control=127.0.0.1:"));
  }
  // For flags that must be refused: the exit code (the proxy never gets ready).
  static int exit_code_for(const std::vector<std::string>& flags) {
    ProxyProcess p;
    return p.spawn(flags);
  }

  std::uint16_t port() const { return port_; }
  int wait_exit(milliseconds timeout) { return child_.wait_exit(timeout); }

  std::string command(const std::string& line) {
    send_all(control_.get(), line + "\n");
    std::string reply;
    const TimePoint deadline = SteadyClock::now() + 5s;
    while (!reply.ends_with('\n') && SteadyClock::now() < deadline) {
      const ReadResult r = read_for(control_.get(), 1, 1000ms);
      if (r.end != ReadResult::kOpen) break;
      reply += r.data;
    }
    REQUIRE_MESSAGE(reply.ends_with('\n'), "no reply to '" << line << "'");
    reply.pop_back();
    return reply;
  }
  void ok(const std::string& line) { REQUIRE(command(line) == "ok"); }
  // One counter (or flag: true=1) from `stats`.
  std::uint64_t stat(const std::string& name) {
    const std::string json = command("stats");
    const auto at = json.find("\"" + name + "\":");
    REQUIRE_MESSAGE(at != std::string::npos, name << " missing from " << json);
    const std::string value = json.substr(at + name.size() + 3);
    if (value.starts_with("true")) return 1;
    if (value.starts_with("false")) return 0;
    return std::stoull(value);
  }
  // Polls `stats` until `name` satisfies `ok`; fails after `timeout`.
  template <typename Pred>
  void wait_stat(const std::string& name, Pred ok, milliseconds timeout = 3000ms) {
    const TimePoint deadline = SteadyClock::now() + timeout;
    while (!ok(stat(name))) {
      REQUIRE_MESSAGE(SteadyClock::now() < deadline, "timed out waiting on " << name);
      std::this_thread::sleep_for(20ms);
    }
  }

 private:
  ProxyProcess() = default;

  // Starts the binary and waits for its ready line; -1 once ready, else its exit code.
  int spawn(const std::vector<std::string>& flags) {
    const char* binary = std::getenv("CASESYNC_FAULT_PROXY");
    REQUIRE_MESSAGE(binary != nullptr, "set CASESYNC_FAULT_PROXY to the binary (ctest does)");
    std::vector<char*> argv{const_cast<char*>(binary)};
    for (const auto& f : flags) argv.push_back(const_cast<char*>(f.c_str()));
    argv.push_back(nullptr);
    int out[2];
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    Fd stdout_read(out[0]);
    Fd stdout_write(out[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    const int spawned = posix_spawn(child_.pid(), binary, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE_MESSAGE(spawned == 0, "cannot start " << binary);
    stdout_write.reset();  // so a proxy that dies reads as EOF, not as silence
    while (!ready_line_.ends_with('\n')) {
      const ReadResult r = read_for(stdout_read.get(), 1, 5000ms);
      if (r.data.empty()) break;
      ready_line_ += r.data;
    }
    if (ready_line_.starts_with("casesync-fault-proxy ready")) return -1;
    const int code = child_.wait_exit(5000ms);
    REQUIRE_MESSAGE(code != -1, "the proxy neither got ready nor exited");
    return code;
  }
  std::uint16_t port_after(const std::string& key) const {
    const auto at = ready_line_.find(key);
    REQUIRE_MESSAGE(at != std::string::npos, "no " << key << " in: " << ready_line_);
    return static_cast<std::uint16_t>(std::stoul(ready_line_.substr(at + key.size())));
  }

  Child child_;
  std::string ready_line_;
  std::uint16_t port_ = 0;
  Fd control_;
};

}  // namespace

TEST_CASE("bytes pass unchanged and in order, jitter or not") {
  TestServer echo;
  ProxyProcess proxy(echo.port(), {"--latency-ms", "5", "--jitter-ms", "5", "--seed", "11"});
  Fd c = connect_to(proxy.port());
  const std::string data = pattern(1u << 20);
  std::thread writer([&] {
    for (std::size_t i = 0; i < data.size(); i += 4096) {
      send_all(c.get(), std::string_view(data).substr(i, 4096));
    }
  });
  const ReadResult r = read_for(c.get(), data.size(), 20000ms);
  writer.join();
  CHECK(r.data.size() == data.size());
  CHECK(r.data == data);
  CHECK(proxy.stat("bytes_up") == data.size());
  CHECK(proxy.stat("bytes_down") == data.size());
  CHECK(proxy.stat("connections_accepted") == 1);
}

// Every round trip takes at least the delay; "not much more" is checked on the fastest of a few,
// since a busy machine may hold any one of them back (scheduling adds, never subtracts).
TEST_CASE("latency: a round trip takes the configured delay each way, not much more") {
  TestServer echo;
  ProxyProcess proxy(echo.port(), {"--latency-ms", "100"});
  Fd c = connect_to(proxy.port());
  double fastest = 1e9;
  for (int i = 0; i < 3; ++i) {
    const double rtt = round_trip(c.get(), "ping");
    CHECK(rtt >= 0.200);
    fastest = std::min(fastest, rtt);
  }
  CHECK(fastest < 0.300);
  proxy.ok("set latency_ms 30");  // at run time, on the open connection
  proxy.ok("set up_jitter_ms 20");
  fastest = 1e9;
  for (int i = 0; i < 5; ++i) {
    const double rtt = round_trip(c.get(), "ping");
    CHECK(rtt >= 0.040);
    fastest = std::min(fastest, rtt);
  }
  CHECK(fastest < 0.150);
}

TEST_CASE("rate cap: 64 KiB at 256 kbit/s takes about two seconds") {
  TestServer echo;
  ProxyProcess proxy(echo.port(), {"--rate-bps", "256000"});
  Fd c = connect_to(proxy.port());
  const std::string data = pattern(64 * 1024);
  const TimePoint start = SteadyClock::now();
  std::thread writer([&] { send_all(c.get(), data); });
  const ReadResult r = read_for(c.get(), data.size(), 10000ms);
  const double took = seconds_since(start);
  writer.join();
  CHECK(r.data == data);
  MESSAGE("64 KiB echoed through 256 kbit/s each way in " << took << " s");
  CHECK(took >= 1.9);  // 65536 B / 32000 B/s = 2.05 s, less one 20 ms burst
  CHECK(took < 3.0);   // the echo streams back while the rest goes up
}

TEST_CASE("black hole: bytes are swallowed, connections stay open, flow resumes after") {
  TestServer echo;
  ProxyProcess proxy(echo.port());
  Fd c = connect_to(proxy.port());
  REQUIRE(round_trip(c.get(), "before") >= 0);
  proxy.ok("blackhole on");
  send_all(c.get(), "lost");
  const ReadResult swallowed = read_for(c.get(), 1, 300ms);
  CHECK(swallowed.data.empty());
  CHECK(swallowed.end == ReadResult::kOpen);
  proxy.wait_stat("bytes_dropped", [](auto v) { return v >= 4; });
  Fd late = connect_to(proxy.port());  // accepted, but nothing flows
  send_all(late.get(), "x");
  CHECK(read_for(late.get(), 1, 300ms).data.empty());
  CHECK(proxy.stat("connections_accepted") == 2);
  proxy.ok("blackhole off");
  CHECK(round_trip(c.get(), "after") >= 0);  // "lost" is gone for good; "after" comes back alone

  proxy.ok("blackhole 0.5");  // a timed one ends by itself
  const TimePoint start = SteadyClock::now();
  CHECK(proxy.stat("blackhole") == 1);
  proxy.wait_stat("blackhole", [](auto v) { return v == 0; });
  CHECK(seconds_since(start) >= 0.45);
  CHECK(round_trip(c.get(), "healed") >= 0);
}

TEST_CASE("reset: the command and the random timer both reset connections (RST)") {
  TestServer echo;
  {
    ProxyProcess proxy(echo.port());
    Fd a = connect_to(proxy.port());
    Fd b = connect_to(proxy.port());
    REQUIRE(round_trip(a.get(), "a") >= 0);
    REQUIRE(round_trip(b.get(), "b") >= 0);
    proxy.ok("reset");
    CHECK(read_for(a.get(), 1, 2000ms).end == ReadResult::kReset);
    CHECK(read_for(b.get(), 1, 2000ms).end == ReadResult::kReset);
    CHECK(proxy.stat("connections_reset") == 2);
  }
  ProxyProcess proxy(echo.port(), {"--reset-every", "0.2-0.4", "--seed", "3"});
  double fastest = 1e9;  // of the connections: a busy machine may fire any one timer late
  for (int i = 0; i < 3; ++i) {
    Fd c = connect_to(proxy.port());
    const TimePoint start = SteadyClock::now();
    CHECK(read_for(c.get(), 1, 2000ms).end == ReadResult::kReset);
    fastest = std::min(fastest, seconds_since(start));
  }
  CHECK(fastest <= 0.5);
  CHECK(proxy.stat("connections_reset") >= 2);
}

TEST_CASE("partition: open connections reset, new ones refused until it is lifted") {
  TestServer echo;
  ProxyProcess proxy(echo.port());
  Fd c = connect_to(proxy.port());
  REQUIRE(round_trip(c.get(), "hi") >= 0);
  proxy.ok("partition on");
  CHECK(read_for(c.get(), 1, 2000ms).end == ReadResult::kReset);
  Fd refused = connect_to(proxy.port());  // the kernel completes the handshake; the proxy resets
  send_all(refused.get(), "x");
  CHECK(read_for(refused.get(), 1, 2000ms).end != ReadResult::kOpen);
  CHECK(proxy.stat("connections_refused") >= 1);
  proxy.ok("partition off");
  Fd healed = connect_to(proxy.port());
  CHECK(round_trip(healed.get(), "back") >= 0);

  proxy.ok("partition 0.3");
  proxy.wait_stat("partition", [](auto v) { return v == 0; });
  Fd after = connect_to(proxy.port());
  CHECK(round_trip(after.get(), "again") >= 0);
}

TEST_CASE("backpressure: a server that never reads fills the proxy only up to its bound") {
  TestServer sink(/*echo=*/false);
  ProxyProcess proxy(sink.port());
  Fd c = connect_to(proxy.port());
  const std::string block(1u << 16, 'z');
  std::size_t written = 0;
  while (written < (64u << 20)) {  // far past any buffer: the loop must stop before this
    pollfd p{c.get(), POLLOUT, 0};
    if (poll(&p, 1, 300) <= 0) break;  // no room for 300 ms: the proxy stopped reading
    const ssize_t n = send(c.get(), block.data(), block.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) written += static_cast<std::size_t>(n);
  }
  MESSAGE("the client got " << (written >> 20) << " MiB in before the proxy pushed back");
  CHECK(written < (64u << 20));
  proxy.wait_stat("bytes_buffered", [](auto v) { return v == kPipeBytesMax; });
}

TEST_CASE("the target must be on loopback, and an absent target means a reset") {
  CHECK(ProxyProcess::exit_code_for({"--listen", "127.0.0.1:0", "--target", "192.168.1.1:80"}) ==
        2);
  CHECK(ProxyProcess::exit_code_for({"--listen", "0.0.0.0:0", "--target", "127.0.0.1:80"}) == 2);
  Fd unused = listen_on(Endpoint{}).value();
  const std::uint16_t closed_port = local_endpoint(unused.get()).value().port;
  unused.reset();  // nobody listens there any more
  ProxyProcess proxy(closed_port);
  Fd c = connect_to(proxy.port());
  CHECK(read_for(c.get(), 1, 2000ms).end != ReadResult::kOpen);
  CHECK(proxy.stat("connect_failures") == 1);
}

TEST_CASE("control: errors come back as lines, settings as JSON, quit exits cleanly") {
  TestServer echo;
  ProxyProcess proxy(echo.port(), {"--up-latency-ms", "7"});
  CHECK(proxy.command("set latency_ms -1").starts_with("error: latency_ms:"));
  CHECK(proxy.command("explode").starts_with("error: unknown command"));
  CHECK(proxy.command("settings").find("\"up_latency_ms\":7,") != std::string::npos);
  CHECK(proxy.command("help").starts_with("commands:"));
  proxy.ok("quit");
  CHECK(proxy.wait_exit(2000ms) == 0);
}
