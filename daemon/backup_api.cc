#include "daemon/backup_api.h"

#include <fcntl.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "daemon/api_commands.h"
#include "daemon/api_util.h"
#include "daemon/http_exchange.h"
#include "daemon/node_runtime.h"
#include "daemon/private_files.h"

namespace casesync {
namespace {

std::string default_name(NodeRuntime& rt) {
  const std::uint64_t ms = rt.now_ms();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &utc);
  return "casesync-" + rt.config().node_id + "-" + stamp + std::to_string(ms % 1000 + 1000).substr(1) +
         "Z.db";
}

// The new, empty backup file: created here and now (O_EXCL), 0600, or the answer saying why not.
std::optional<ApiError> create_exclusive(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return std::nullopt;
  }
  if (errno == EEXIST) {
    return ApiError{409, "conflict",
                    ui_text("%s exists already; a backup never replaces a file: give another name",
                            path),
                    "name"};
  }
  const Code code = errno == EACCES || errno == EPERM ? Code::kPermission : Code::kIoError;
  return api_error_from_status(
      Status::error(code, path + ": cannot create the backup: " + std::strerror(errno)));
}

void handle_backup(NodeRuntime& rt, const std::string& dir, const ApiCall& call,
                   httplib::Response& res) {
  auto b = parse_backup(call.request);
  if (!b.ok()) return reply_error(res, b.error());
  const std::string name = b->name.empty() ? default_name(rt) : b->name;
  if (Status st = make_private_dir(dir, "backup folder (paths.backup_dir)"); !st.is_ok()) {
    return reply_error(res, st);
  }
  const std::string path = dir + "/" + name;
  if (auto e = create_exclusive(path)) return reply_error(res, *e);
  if (Status st = rt.store().backup_to(path); !st.is_ok()) {
    ::unlink(path.c_str());  // ours, made above: a half-written backup must not be mistaken for one
    return reply_error(res, st);
  }
  struct stat st {};
  const std::uint64_t bytes = ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  auto stats = rt.store().stats();
  reply(res, 201, {{"name", name}, {"path", path}, {"bytes", bytes},
                   {"events", stats.is_ok() ? stats->event_count : 0},
                   {"last_seq", rt.core().last_seq()}});
}

void handle_download(const std::string& dir, const ApiCall& call, httplib::Response& res) {
  auto b = parse_backup_download(call.request);
  if (!b.ok()) return reply_error(res, b.error());
  Exchange* exchange = Exchange::current();
  const std::string path = dir + "/" + b->name;
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || exchange == nullptr) {
    if (fd >= 0) ::close(fd);
    return reply_error(res, ApiError::not_found(ui_text("no backup %s in the node's backup folder "
                                                        "%s (POST /api/backup makes one)",
                                                        b->name, dir),
                                                "name"));
  }
  const auto bytes = static_cast<std::uint64_t>(st.st_size);
  exchange->send_file(http_head(200, "application/vnd.sqlite3", bytes, exchange->keep_alive(),
                                "Content-Disposition: attachment; filename=\"" + b->name + "\"\r\n"),
                      fd, bytes);
  res.status = 200;  // a placeholder httplib writes and the front drops
}

}  // namespace

void register_backup_routes(httplib::Server& server, NodeRuntime& rt) {
  // Paths change only on restart (NodeRuntime::reload_config), so the folder is read once here,
  // not from a worker while the loop may touch the config.
  const std::string dir = rt.config().backup_dir;
  // The admin's: a backup is every case of the node (sealed, but whole).
  server.Post("/api/backup", on_loop(rt, [&rt, dir](const ApiCall& call, httplib::Response& res) {
    handle_backup(rt, dir, call, res);
  }, Access::kAdmin));
  server.Get(R"(/api/backups/([^/]+))",
             on_own_thread(rt, [dir](const ApiCall& call, httplib::Response& res) {
               handle_download(dir, call, res);
             }, Access::kAdmin));
}

}  // namespace casesync
