// Proves that a log line stays one line with its own priority prefix whatever a peer put in a
// logged field (control characters, a forged "<0>node=..." line), and that UTF-8 text passes.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "daemon/log.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

using namespace casesync;

namespace {
// What log_line wrote to stderr while `fn` ran.
template <class Fn>
std::string captured_stderr(Fn fn) {
  char path[] = "/tmp/casesync-log-test-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  fn();
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fd);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  unlink(path);
  return text.str();
}
}  // namespace

TEST_CASE("log_escape escapes control characters and backslashes, and nothing else") {
  CHECK(log_escape("plain text: case=s01-c01-000042") == "plain text: case=s01-c01-000042");
  CHECK(log_escape("a\nb") == "a\\x0ab");
  CHECK(log_escape("\r\t\x1b[31m\x7f") == "\\x0d\\x09\\x1b[31m\\x7f");
  CHECK(log_escape(std::string("nul\0in", 6)) == "nul\\x00in");
  CHECK(log_escape("back\\slash") == "back\\\\slash");
  CHECK(log_escape("\\x0a") == "\\\\x0a");  // a literal backslash-x reads back as itself
  CHECK(log_escape("办件 已签收") == "办件 已签收");
  CHECK(log_escape("next line\xc2\x85here") == "next line\\x85here");  // U+0085 NEL
  CHECK(log_escape("\xc2\xa9") == "\xc2\xa9");                          // U+00A9 is text
}

TEST_CASE("a field with a forged line stays inside one line with our prefix") {
  log_init("s01", LogLevel::kInfo);
  const std::string out = captured_stderr([] {
    log_warning("refused case_created on case zz\n<0>node=district FORGED: not yours");
  });
  CHECK(out == "<4>node=s01 refused case_created on case zz\\x0a<0>node=district FORGED: not "
               "yours\n");
}
