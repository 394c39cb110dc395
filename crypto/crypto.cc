#include "crypto/crypto.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

namespace casesync::crypto {
namespace {

static_assert(kSignPublicKeyBytes == crypto_sign_PUBLICKEYBYTES);
static_assert(kSignSecretKeyBytes == crypto_sign_SECRETKEYBYTES);
static_assert(kSignatureBytes == crypto_sign_BYTES);
static_assert(kSignSeedBytes == crypto_sign_SEEDBYTES);
static_assert(kCurveKeyBytes == crypto_scalarmult_curve25519_BYTES);
static_assert(std::tuple_size_v<Hash32> == crypto_generichash_BYTES);

// Only read by an assert: sodium_malloc before sodium_init computes guard pages from a zero page
// size, so a missing init() is a programmer error worth catching early.
std::atomic<bool> g_initialized{false};

// Ed25519 hashes the signed bytes twice, so libsodium needs domain || message contiguous. Events
// are small; a stack buffer of this size covers them without a heap allocation per signature.
constexpr std::size_t kStackSignedBytesMax = 4096;

// Key files hold one line of hex; anything longer than this is not a key file.
constexpr std::size_t kSecretHexChars = kSignSecretKeyBytes * 2;
constexpr std::size_t kPublicHexChars = kSignPublicKeyBytes * 2;
constexpr std::size_t kKeyFileBytesMax = kSecretHexChars + 2;  // hex + "\r\n"

const unsigned char* uchars(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Calls fn(bytes, size) with domain || message laid out contiguously.
template <typename Fn>
auto with_signed_bytes(std::string_view domain, std::string_view message, Fn&& fn) {
  const std::size_t size = domain.size() + message.size();
  if (size <= kStackSignedBytesMax) {
    std::array<unsigned char, kStackSignedBytesMax> buf;
    std::copy(message.begin(), message.end(), std::copy(domain.begin(), domain.end(), buf.data()));
    return fn(buf.data(), size);
  }
  std::string buf;
  buf.reserve(size);
  buf.append(domain).append(message);
  return fn(uchars(buf), size);
}

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
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
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

// Whether an existing file may be replaced: never for a secret (it is a node's identity), always
// for a public key file (it only restates the secret that was just written).
enum class Existing { kRefuse, kReplace };

// Writes `bytes` to `path` (created with `mode`) durably. A half-written file is removed so it
// cannot block the next attempt or be mistaken for a key.
Status create_file(const std::string& path, std::string_view bytes, mode_t mode,
                   Existing existing) {
  const int flags = existing == Existing::kRefuse ? O_EXCL : O_TRUNC;
  Fd fd(::open(path.c_str(), O_CREAT | flags | O_WRONLY | O_CLOEXEC, mode));
  if (fd.get() < 0 && errno == EEXIST) {
    return Status::error(Code::kInvalidArgument,
                         path +
                             ": already exists; refusing to overwrite a key file (move it "
                             "away first if you really mean to replace this node's identity)");
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

Result<int> open_for_read(const std::string& path, const char* missing_hint) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) return fd;
  if (errno == ENOENT)
    return Status::error(Code::kNotFound, path + ": no such file" + missing_hint);
  return errno_status(path, "open", errno);
}

// Reads the whole (small) file into `buf` and drops the trailing newline; `*size` is the rest.
Status read_line(int fd, const std::string& path, std::array<char, kKeyFileBytesMax + 1>& buf,
                 std::size_t* size) {
  std::size_t total = 0;
  while (total < buf.size()) {
    ssize_t n = ::read(fd, buf.data() + total, buf.size() - total);
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

// Owner-only is checked on the open descriptor, so the file checked is the file read.
Status check_owner_only(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_status(path, "stat", errno);
  if (!S_ISREG(st.st_mode)) {
    return Status::error(Code::kInvalidArgument, path + ": not a regular file");
  }
  const unsigned mode = st.st_mode & 07777;
  if ((mode & 077) == 0) return Status::ok();
  char mode_text[8];
  std::snprintf(mode_text, sizeof mode_text, "%04o", mode);
  std::string message = path + ": mode " + mode_text + " is too open; ";
  message += "the secret key file must be readable by its owner only (chmod 600 " + path + ")";
  return Status::error(Code::kPermission, std::move(message));
}

// Decodes exactly kSecretHexChars of hex straight into sodium memory, so no plain copy exists.
Status decode_secret(std::string_view hex, const std::string& path, SecretKey& secret) {
  std::size_t decoded = 0;
  const char* end = nullptr;
  if (hex.size() != kSecretHexChars ||
      sodium_hex2bin(secret.data(), kSignSecretKeyBytes, hex.data(), hex.size(), nullptr, &decoded,
                     &end) != 0 ||
      decoded != kSignSecretKeyBytes || end != hex.data() + hex.size()) {
    return Status::error(Code::kCorruption,
                         path + ": expected one line of " + std::to_string(kSecretHexChars) +
                             " hex characters (a " + std::to_string(kSignSecretKeyBytes) +
                             "-byte Ed25519 secret key)");
  }
  return Status::ok();
}

// libsodium's secret key is seed || public key; a damaged second half would make every
// signature invalid, so the public half is recomputed from the seed and compared.
Status check_consistent(const SecretKey& secret, const std::string& path) {
  unsigned char public_key[kSignPublicKeyBytes];
  SecretKey expected;
  crypto_sign_seed_keypair(public_key, expected.data(), secret.data());
  if (sodium_memcmp(expected.data(), secret.data(), kSignSecretKeyBytes) != 0) {
    return Status::error(Code::kCorruption,
                         path + ": the public half of the secret key does not match its seed");
  }
  return Status::ok();
}

}  // namespace

Status init() {
  if (sodium_init() < 0) return Status::error(Code::kInternal, "libsodium failed to initialise");
  g_initialized = true;
  return Status::ok();
}

SecretKey::SecretKey() {
  assert(g_initialized && "crypto::init() must run first");
  bytes_ = static_cast<unsigned char*>(sodium_malloc(kSignSecretKeyBytes));
  // Without guarded memory there is nowhere safe to hold a secret.
  if (bytes_ == nullptr) throw std::bad_alloc();
}

SecretKey::~SecretKey() { sodium_free(bytes_); }

SecretKey::SecretKey(SecretKey&& other) noexcept : bytes_(std::exchange(other.bytes_, nullptr)) {}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    sodium_free(bytes_);
    bytes_ = std::exchange(other.bytes_, nullptr);
  }
  return *this;
}

KeyPair generate_keypair() {
  KeyPair pair;
  pair.public_key.resize(kSignPublicKeyBytes);
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(pair.public_key.data()), pair.secret.data());
  return pair;
}

KeyPair keypair_from_seed(std::string_view seed) {
  assert(seed.size() == kSignSeedBytes && "an Ed25519 seed is 32 bytes");
  KeyPair pair;
  pair.public_key.resize(kSignPublicKeyBytes);
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(pair.public_key.data()),
                           pair.secret.data(), reinterpret_cast<const unsigned char*>(seed.data()));
  return pair;
}

std::string sign(const SecretKey& secret, std::string_view domain, std::string_view message) {
  assert(!secret.empty() && "signing with a moved-from key");
  std::string signature(kSignatureBytes, '\0');
  with_signed_bytes(domain, message, [&](const unsigned char* bytes, std::size_t size) {
    return crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr, bytes,
                                size, secret.data());
  });
  return signature;
}

bool verify(std::string_view public_key, std::string_view domain, std::string_view message,
            std::string_view signature) {
  if (public_key.size() != kSignPublicKeyBytes || signature.size() != kSignatureBytes) {
    return false;
  }
  return with_signed_bytes(domain, message, [&](const unsigned char* bytes, std::size_t size) {
    return crypto_sign_verify_detached(uchars(signature), bytes, size, uchars(public_key)) == 0;
  });
}

Hash32 hash(std::string_view bytes) {
  Hash32 out{};
  crypto_generichash(out.data(), out.size(), uchars(bytes), bytes.size(), nullptr, 0);
  return out;
}

Hash32 keyed_hash(std::string_view key, std::string_view bytes) {
  assert(key.size() == kMacKeyBytes && "keyed_hash takes a kMacKeyBytes key");
  Hash32 out{};
  crypto_generichash(out.data(), out.size(), uchars(bytes), bytes.size(), uchars(key), key.size());
  return out;
}

Hash32 hmac_sha256(std::string_view key, std::string_view message) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, uchars(key), key.size());
  crypto_auth_hmacsha256_update(&st, uchars(message), message.size());
  Hash32 out{};
  static_assert(sizeof(Hash32) == crypto_auth_hmacsha256_BYTES, "an HMAC-SHA256 is 32 bytes");
  crypto_auth_hmacsha256_final(&st, out.data());
  sodium_memzero(&st, sizeof(st));
  return out;
}

std::string random_bytes(std::size_t size) {
  std::string out(size, '\0');
  randombytes_buf(out.data(), out.size());
  return out;
}

std::string curve_public_from_sign_public(std::string_view sign_public_key) {
  if (sign_public_key.size() != kSignPublicKeyBytes) return {};
  std::string curve(kCurveKeyBytes, '\0');
  if (crypto_sign_ed25519_pk_to_curve25519(reinterpret_cast<unsigned char*>(curve.data()),
                                           uchars(sign_public_key)) != 0) {
    return {};
  }
  return curve;
}

std::string curve_secret_from_sign_secret(const SecretKey& secret) {
  if (secret.empty()) return {};
  std::string curve(kCurveKeyBytes, '\0');
  if (crypto_sign_ed25519_sk_to_curve25519(reinterpret_cast<unsigned char*>(curve.data()),
                                           secret.data()) != 0) {
    sodium_memzero(curve.data(), curve.size());
    return {};
  }
  return curve;
}

Status write_keypair(const std::string& secret_path, const std::string& public_path,
                     const KeyPair& pair) {
  assert(!pair.secret.empty() && pair.public_key.size() == kSignPublicKeyBytes);
  char secret_line[kSecretHexChars + 1];  // sodium_bin2hex's NUL becomes the newline
  sodium_bin2hex(secret_line, sizeof secret_line, pair.secret.data(), kSignSecretKeyBytes);
  secret_line[kSecretHexChars] = '\n';
  Status s = create_file(secret_path, {secret_line, sizeof secret_line}, 0600, Existing::kRefuse);
  sodium_memzero(secret_line, sizeof secret_line);
  RETURN_IF_ERROR(s);
  return create_file(public_path, to_hex(pair.public_key) + "\n", 0644, Existing::kReplace);
}

Result<KeyPair> load_keypair(const std::string& secret_path) {
  ASSIGN_OR_RETURN(int raw_fd,
                   open_for_read(secret_path, "; create a key pair with `casesyncctl keygen`"));
  Fd fd(raw_fd);
  RETURN_IF_ERROR(check_owner_only(fd.get(), secret_path));
  std::array<char, kKeyFileBytesMax + 1> text;
  std::size_t size = 0;
  KeyPair pair;
  Status s = read_line(fd.get(), secret_path, text, &size);
  if (s.is_ok()) s = decode_secret({text.data(), size}, secret_path, pair.secret);
  sodium_memzero(text.data(), text.size());
  RETURN_IF_ERROR(s);
  RETURN_IF_ERROR(check_consistent(pair.secret, secret_path));
  pair.public_key.resize(kSignPublicKeyBytes);
  crypto_sign_ed25519_sk_to_pk(reinterpret_cast<unsigned char*>(pair.public_key.data()),
                               pair.secret.data());
  return pair;
}

Result<std::string> load_public_key(const std::string& public_path) {
  ASSIGN_OR_RETURN(int raw_fd, open_for_read(public_path, ""));
  Fd fd(raw_fd);
  std::array<char, kKeyFileBytesMax + 1> text;
  std::size_t size = 0;
  RETURN_IF_ERROR(read_line(fd.get(), public_path, text, &size));
  std::optional<std::string> key = from_hex({text.data(), size});
  if (!key || key->size() != kSignPublicKeyBytes) {
    return Status::error(Code::kCorruption,
                         public_path + ": expected one line of " + std::to_string(kPublicHexChars) +
                             " hex characters (a " + std::to_string(kSignPublicKeyBytes) +
                             "-byte Ed25519 public key)");
  }
  return *std::move(key);
}

void wipe(std::string& secret_bytes) {
  if (!secret_bytes.empty()) sodium_memzero(secret_bytes.data(), secret_bytes.size());
  secret_bytes.clear();
}

}  // namespace casesync::crypto
