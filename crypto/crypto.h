// The crypto suite behind one small interface: sign, verify, hash, and keys. Everything else in
// casesync calls these and nothing in libsodium directly, so a national-standard suite
// (SM2/SM3/SM4) can be added later without touching sync/.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace casesync::crypto {

constexpr std::size_t kSignPublicKeyBytes = 32;
constexpr std::size_t kSignSecretKeyBytes = 64;  // libsodium's seed || public key
constexpr std::size_t kSignatureBytes = 64;
constexpr std::size_t kCurveKeyBytes = 32;

// Domain tags keep a signature made for one purpose from being valid for another.
inline constexpr std::string_view kEventDomain = "casesync/event/v1";
inline constexpr std::string_view kRosterDomain = "casesync/roster/v1";
inline constexpr std::string_view kHealthDomain = "casesync/health/v1";
inline constexpr std::string_view kPolicyDomain = "casesync/policy/v1";

// Must be called once before anything below; safe to call again.
Status init();

// Guarded memory for secrets (libsodium's sodium_malloc: guard pages, never swapped), wiped and
// freed by secure_free. Aborts on exhaustion: without it there is nowhere safe to hold a secret.
unsigned char* secure_alloc(std::size_t size);
void secure_free(unsigned char* bytes);

// N secret bytes in guarded memory, wiped on destruction. Move-only: a copy of a secret would
// outlive the wipe.
template <std::size_t N>
class SecretBytes {
 public:
  static constexpr std::size_t kSize = N;
  SecretBytes() : bytes_(secure_alloc(N)) {}
  ~SecretBytes() { secure_free(bytes_); }
  SecretBytes(SecretBytes&& other) noexcept : bytes_(other.bytes_) { other.bytes_ = nullptr; }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      secure_free(bytes_);
      bytes_ = other.bytes_;
      other.bytes_ = nullptr;
    }
    return *this;
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  unsigned char* data() { return bytes_; }
  const unsigned char* data() const { return bytes_; }
  bool empty() const { return bytes_ == nullptr; }

 private:
  unsigned char* bytes_ = nullptr;  // N bytes, owned
};

// An Ed25519 secret key (libsodium's seed || public key).
using SecretKey = SecretBytes<kSignSecretKeyBytes>;

struct KeyPair {
  std::string public_key;  // kSignPublicKeyBytes raw bytes
  SecretKey secret;
};

constexpr std::size_t kSignSeedBytes = 32;

KeyPair generate_keypair();
// The key pair that `seed` (kSignSeedBytes) determines: the same seed gives the same keys in
// every process. For reproducible tests and the simulator, whose keys are derived from a run's
// seed; a real node's key comes from generate_keypair(). REQUIRES: seed.size() == kSignSeedBytes.
KeyPair keypair_from_seed(std::string_view seed);

// Ed25519 over domain || message.
std::string sign(const SecretKey& secret, std::string_view domain, std::string_view message);
bool verify(std::string_view public_key, std::string_view domain, std::string_view message,
            std::string_view signature);

// BLAKE2b-256.
Hash32 hash(std::string_view bytes);
// Keyed BLAKE2b-256, a MAC: only the holder of `key` (kMacKeyBytes of secret) can compute it.
constexpr std::size_t kMacKeyBytes = 32;
Hash32 keyed_hash(std::string_view key, std::string_view bytes);
// HMAC-SHA256 (RFC 2104) of `message` under a key of any length: the signature header of a
// webhook delivery, which receivers check with their own standard library.
Hash32 hmac_sha256(std::string_view key, std::string_view message);
// `size` bytes from the operating system's random source.
std::string random_bytes(std::size_t size);

// CurveZMQ keys derived from the Ed25519 identity (one identity file per node).
std::string curve_public_from_sign_public(std::string_view sign_public_key);
std::string curve_secret_from_sign_secret(const SecretKey& secret);

// Overwrites secret bytes held in an ordinary string before it is freed.
void wipe(std::string& secret_bytes);

// Key files. The secret file holds hex text and is created 0600; the public file holds hex text.
// write_keypair refuses to overwrite an existing secret file.
Status write_keypair(const std::string& secret_path, const std::string& public_path,
                     const KeyPair& pair);
// Refuses (kPermission, naming the file and its mode) a secret file readable or writable by
// group or others.
Result<KeyPair> load_keypair(const std::string& secret_path);
Result<std::string> load_public_key(const std::string& public_path);

}  // namespace casesync::crypto
