#include "daemon/private_files.h"

#include <sys/stat.h>

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

}  // namespace casesync
