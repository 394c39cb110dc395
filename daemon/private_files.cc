#include "daemon/private_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "daemon/log.h"

namespace casesync {
namespace {

constexpr mode_t kGroupOtherBits = S_IRWXG | S_IRWXO;

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

Status make_private_dir(const std::string& path, const std::string& what) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);  // new folders get 0700 from the umask
  if (ec) {
    return Status::error(ec == std::errc::permission_denied ? Code::kPermission : Code::kIoError,
                         path + ": cannot create the " + what + ": " + ec.message());
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::error(Code::kInvalidArgument, path + ": the " + what + " is not a folder");
  }
  if ((st.st_mode & kGroupOtherBits) == 0) return Status::ok();
  if (::chmod(path.c_str(), 0700) != 0) {
    return Status::error(Code::kPermission, path + ": cannot make the " + what + " private (0700): " +
                                                std::strerror(errno));
  }
  log_warning(path + ": the " + what + " was " + octal(st.st_mode) +
              "; made it 0700 (only the node's user may read it)");
  return Status::ok();
}

void tighten_private_files(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    struct stat st {};
    const std::string path = entry.path().string();
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if ((st.st_mode & kGroupOtherBits) == 0) continue;
    if (::chmod(path.c_str(), 0600) == 0) {
      log_warning(path + " was " + octal(st.st_mode) + "; made it 0600");
    } else {
      log_warning(path + " is " + octal(st.st_mode) + " and cannot be made 0600: " +
                  std::strerror(errno));
    }
  }
}

// Writes `text` to `path` so that a crash leaves the old file or the new one, never half of one:
// a temporary file, fsync, rename, fsync of the directory.
Status write_private_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::error(Code::kIoError, tmp + ": cannot create: " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      return Status::error(Code::kIoError, tmp + ": write failed: " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::error(Code::kIoError, path + ": cannot replace: " + std::strerror(errno));
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::ok();
}

}  // namespace casesync
