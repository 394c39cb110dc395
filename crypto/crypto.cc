#include "crypto/crypto.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cstdio>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "crypto/key_file.h"

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

unsigned char* secure_alloc(std::size_t size) {
  assert(g_initialized && "crypto::init() must run first");
  auto* bytes = static_cast<unsigned char*>(sodium_malloc(size));
  // Without guarded memory there is nowhere safe to hold a secret.
  if (bytes == nullptr) throw std::bad_alloc();
  return bytes;
}

void secure_free(unsigned char* bytes) { sodium_free(bytes); }

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
  Status s = key_file::create(secret_path, {secret_line, sizeof secret_line}, 0600,
                              key_file::Existing::kRefuse);
  sodium_memzero(secret_line, sizeof secret_line);
  RETURN_IF_ERROR(s);
  return key_file::create(public_path, to_hex(pair.public_key) + "\n", 0644,
                          key_file::Existing::kReplace);
}

Result<KeyPair> load_keypair(const std::string& secret_path) {
  std::array<char, kKeyFileBytesMax + 1> text;
  std::size_t size = 0;
  KeyPair pair;
  Status s = key_file::read_line(secret_path, key_file::Secret::kYes,
                                 "; create a key pair with `casesyncctl keygen`", text, &size);
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
  std::array<char, kKeyFileBytesMax + 1> text;
  std::size_t size = 0;
  RETURN_IF_ERROR(key_file::read_line(public_path, key_file::Secret::kNo, "", text, &size));
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
