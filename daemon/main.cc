// casesyncd: one node of a district's case replication. Reads top to bottom like chrony's main:
// arguments -> config -> keys -> storage -> sockets -> webhooks -> API -> READY=1 -> loop ->
// STOPPING=1.
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "common/translate.h"
#include "config/node_config.h"
#include "crypto/crypto.h"
#include "daemon/api_server.h"
#include "daemon/log.h"
#include "daemon/node_runtime.h"
#include "daemon/webhooks.h"

using namespace casesync;

namespace {

constexpr const char* kUsage = R"(Usage: casesyncd --config FILE

Runs one casesync node: replicates the district's cases as signed events with its parent and
children, and serves the local API on loopback.

Options:
  --config FILE   the node's TOML configuration (see /etc/casesync/casesyncd.toml)
  --check         validate the configuration, keys and roster, then exit
  --version       print the version and exit
  --help          this text

Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the config after validating it.
Exit status: 0 stopped cleanly, 1 runtime failure, 2 bad usage or configuration.
)";

// The daemon's words for people (--check, configuration errors, why it will not start) are in
// log.language when the config sets it, else the locale's (LANG; a systemd unit has none, so
// Simplified Chinese). Codes and keys in them (FILE:LINE, sync.batch_events_max) stay as written.
void speak(const std::string& log_language) {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  const UiLanguage language =
      log_language.empty() ? language_from_env() : language_from_tag(log_language);
  use_language(language, ec ? std::string(".") : exe.parent_path().string());
}

std::string shown(const Text& text) { return text.render(current_language()); }

void log_cannot_start(const Status& st) {
  log_error(shown(ui_text("cannot start: %s", st.text())));
}

// Core dumps could carry the secret key out of sodium's guarded memory.
void disable_core_dumps() {
  rlimit none{0, 0};
  setrlimit(RLIMIT_CORE, &none);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

}  // namespace

int main(int argc, char** argv) {
  // Whoever starts it (systemd, an admin's shell, a test bed): the database, its WAL and SHM,
  // the roster copy, markers and backups are 0600, folders 0700 (daemon/private_files.h).
  umask(077);
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else if (a == "--check") {
      check_only = true;
    } else if (a == "--version") {
      std::printf("casesyncd %s\n", CASESYNC_VERSION);
      return 0;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "casesyncd: unknown argument %s\n\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "casesyncd: --config FILE is required\n\n%s", kUsage);
    return 2;
  }
  disable_core_dumps();

  speak("");
  auto config = load_node_config(config_path);
  if (!config.is_ok()) {
    std::fprintf(stderr, "<3>casesyncd: %s\n%s\n", tr("invalid configuration:"),
                 shown(config.status().text()).c_str());
    return 2;
  }
  speak(config->log_language);
  auto level = log_level_from_name(config->log_level);
  log_init(config->node_id, level.is_ok() ? *level : LogLevel::kInfo);

  // Before anything allocates a SecretKey: libsodium's guarded allocator needs it.
  if (Status st = crypto::init(); !st.is_ok()) {
    log_cannot_start(st);
    return 1;
  }
  auto runtime = NodeRuntime::open(*config);
  if (!runtime.is_ok()) {
    log_cannot_start(runtime.status());
    // A file the config names that is missing or unusable is a configuration error too.
    const Code code = runtime.status().code();
    return code == Code::kInvalidArgument || code == Code::kPermission || code == Code::kNotFound ? 2 : 1;
  }
  if (check_only) {
    std::printf(tr("%s: configuration, keys, roster and database are usable\n"),
                config_path.c_str());
    return 0;
  }
  auto webhooks = Webhooks::open(runtime->get());
  if (!webhooks.is_ok()) {
    log_cannot_start(webhooks.status());
    return 1;
  }
  (*runtime)->set_webhooks(webhooks->get());
  ApiServer api(runtime->get());
  if (Status st = api.start(); !st.is_ok()) {
    log_cannot_start(st);
    return 1;
  }
  (*webhooks)->start();
  int rc = (*runtime)->run();
  (*webhooks)->stop();
  api.stop();
  return rc;
}
