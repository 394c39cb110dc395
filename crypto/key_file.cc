#include "crypto/key_file.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

namespace casesync::crypto::key_file {
namespace {

// Owns a file descriptor so every early return closes it.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closing can report a delayed write error, so writers close explicitly and check.
  int release_and_close() { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_;
};

Status errno_status(const std::string& path, const char* action, int err) {
  std::string message = path + ": cannot " + action + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
      return Status::error(Code::kNotFound, std::move(message));
    case EACCES:
    case EPERM:
    case EROFS:
      return Status::error(Code::kPermission, std::move(message));
    case ENOSPC:
    case EDQUOT:
      return Status::error(Code::kDiskFull, std::move(message));
    default:
      return Status::error(Code::kIoError, std::move(message));
  }
}

Status write_all(int fd, const std::string& path, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status(path, "write", errno);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::ok();
}

// A new file's name is only durable once its directory is synced.
Status sync_parent_dir(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return errno_status(dir, "open directory", errno);
  if (::fsync(fd.get()) != 0) return errno_status(dir, "sync directory", errno);
  return Status::ok();
}

Status write_synced(int fd, const std::string& path, std::string_view bytes) {
  RETURN_IF_ERROR(write_all(fd, path, bytes));
  if (::fsync(fd) != 0) return errno_status(path, "sync", errno);
  return Status::ok();
}

// The mode is checked on the open descriptor, so the file checked is the file read.
Status check_mode(int fd, const std::string& path, Secret secret) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_status(path, "stat", errno);
  if (!S_ISREG(st.st_mode)) {
    return Status::error(Code::kInvalidArgument, path + ": not a regular file");
  }
  const unsigned mode = st.st_mode & 07777;
  const bool shared = secret == Secret::kShared;
  if ((mode & (shared ? 007u : 077u)) == 0) return Status::ok();
  char mode_text[8];
  std::snprintf(mode_text, sizeof mode_text, "%04o", mode);
  std::string message = path + ": mode " + mode_text + " is too open; ";
  message += shared ? "this secret file must not be readable by others (chmod 640 " + path + ")"
                    : "a secret key file must be readable by its owner only (chmod 600 " + path +
                          ")";
  return Status::error(Code::kPermission, std::move(message));
}

// An admin who checked the key as root and then starts the node as its service user meets
// "Permission denied": say which user could not read it and the chown that fixes it.
Status open_denied(const std::string& path, Secret secret, int err) {
  const passwd* pw = ::getpwuid(::geteuid());
  const group* gr = ::getgrgid(::getegid());
  const std::string user = pw != nullptr ? pw->pw_name : std::to_string(::geteuid());
  const std::string grp = gr != nullptr ? gr->gr_name : std::to_string(::getegid());
  std::string message = path + ": cannot open: " + std::strerror(err) + "; user " + user +
                        " (this process) may not read it: ";
  if (secret == Secret::kShared) {
    message += "give it to group " + grp + " (chgrp " + grp + " " + path + "; mode 0640)";
  } else {
    message += "make " + user + " its owner (chown " + user + ":" + grp + " " + path +
               (secret == Secret::kYes ? "; mode 0600)" : ")");
  }
  message += ", and let " + user + " enter its folder";
  return Status::error(Code::kPermission, std::move(message));
}

}  // namespace

Status create(const std::string& path, std::string_view bytes, mode_t mode, Existing existing) {
  const int flags = existing == Existing::kRefuse ? O_EXCL : O_TRUNC;
  Fd fd(::open(path.c_str(), O_CREAT | flags | O_WRONLY | O_CLOEXEC, mode));
  if (fd.get() < 0 && errno == EEXIST) {
    return Status::error(Code::kInvalidArgument,
                         path +
                             ": already exists; refusing to overwrite a key file (move it "
                             "away first if you really mean to replace this node's key)");
  }
  if (fd.get() < 0) return errno_status(path, "create", errno);
  Status s = write_synced(fd.get(), path, bytes);
  if (s.is_ok() && fd.release_and_close() != 0) s = errno_status(path, "close", errno);
  if (!s.is_ok()) {
    ::unlink(path.c_str());
    return s;
  }
  return sync_parent_dir(path);
}

Status replace(const std::string& path, std::string_view bytes, mode_t mode) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());  // left by a crash; its mode might be another's
  RETURN_IF_ERROR(create(tmp, bytes, mode, Existing::kRefuse));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return errno_status(path, "replace", err);
  }
  return sync_parent_dir(path);
}

Status read_line(const std::string& path, Secret secret, const char* missing_hint,
                 std::span<char> buf, std::size_t* size) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0 && errno == ENOENT) {
    return Status::error(Code::kNotFound, path + ": no such file" + missing_hint);
  }
  if (fd.get() < 0 && errno == EACCES) return open_denied(path, secret, errno);
  if (fd.get() < 0) return errno_status(path, "open", errno);
  if (secret != Secret::kNo) RETURN_IF_ERROR(check_mode(fd.get(), path, secret));
  std::size_t total = 0;
  while (total < buf.size()) {
    ssize_t n = ::read(fd.get(), buf.data() + total, buf.size() - total);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status(path, "read", errno);
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
  }
  if (total == buf.size()) {
    return Status::error(Code::kCorruption, path + ": too long to be a key file");
  }
  if (total > 0 && buf[total - 1] == '\n') --total;
  if (total > 0 && buf[total - 1] == '\r') --total;
  *size = total;
  return Status::ok();
}

}  // namespace casesync::crypto::key_file
