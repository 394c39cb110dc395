// Fuzzes the node configuration loader (load_node_config reads a path, so each input is written
// to one temporary file first): any text must give a NodeConfig or an error naming the key.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/node_config.h"
#include "fuzz/fuzz_target.h"

namespace {

const std::string& temp_path() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    std::string tmpl = std::string(dir ? dir : "/tmp") + "/casesync-fuzz-XXXXXX";
    const int fd = ::mkstemp(tmpl.data());
    if (fd >= 0) ::close(fd);
    std::atexit([] { std::remove(temp_path().c_str()); });
    return tmpl;
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::FILE* f = std::fopen(temp_path().c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  auto c = casesync::load_node_config(temp_path());
  if (c.is_ok()) (void)casesync::require_trust(*c);
  return 0;
}
