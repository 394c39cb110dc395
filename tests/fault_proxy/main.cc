// casesync-fault-proxy: a userspace TCP fault injector for tests, since the test kernels have no
// netem. Arguments -> proxy (binds) -> ready line on stdout -> loop -> exit code.
#include <cstdio>
#include <string>
#include <vector>

#include "tests/fault_proxy/proxy.h"

using namespace casesync::fault_proxy;

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(usage().c_str(), args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  auto settings = parse_args(args);
  if (!settings.is_ok()) {
    std::fprintf(stderr, "casesync-fault-proxy: %s\n%s", settings.status().message().c_str(),
                 usage().c_str());
    return 2;
  }
  auto proxy = Proxy::open(*settings);
  if (!proxy.is_ok()) {
    std::fprintf(stderr, "casesync-fault-proxy: %s\n", proxy.status().to_string().c_str());
    return 1;
  }
  // The one line on stdout: wrappers wait for it and read the ports (port 0 is resolved here).
  const auto& control = (*proxy)->control_endpoint();
  std::printf("casesync-fault-proxy ready listen=%s target=%s control=%s\n",
              (*proxy)->listen_endpoint().to_string().c_str(), settings->target.to_string().c_str(),
              control ? control->to_string().c_str() : "none");
  std::fflush(stdout);
  const casesync::Status st = (*proxy)->run();
  if (!st.is_ok()) {
    std::fprintf(stderr, "casesync-fault-proxy: %s\n", st.to_string().c_str());
    return 1;
  }
  return 0;
}
