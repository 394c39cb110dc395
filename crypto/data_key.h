// The node's data key: what protects personal data at rest (docs/SECURITY.md). Every event a
// node stores is sealed under it (storage/sqlite_store.h), so a copied database, WAL or backup
// shows no applicant's ID number; the key lives in its own file beside the identity key (0600,
// never in the database), and `casesyncctl restore` needs it.
//
// Sealing is XChaCha20-Poly1305 (IETF) with a random 192-bit nonce per message: random nonces of
// that size never repeat in practice, so no counter must survive a crash or a restore. The
// associated data binds a sealed value to where it belongs (an event's origin and seq), so a
// value moved to another row does not open.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/crypto.h"

namespace casesync::crypto {

constexpr std::size_t kDataKeyBytes = 32;
// What sealing adds to a message: its nonce before, its tag after.
constexpr std::size_t kSealNonceBytes = 24;
constexpr std::size_t kSealTagBytes = 16;
constexpr std::size_t kSealOverheadBytes = kSealNonceBytes + kSealTagBytes;

class DataKey {
 public:
  // A fresh random key. REQUIRES: init().
  static DataKey generate();

  // nonce || ciphertext || tag.
  std::string seal(std::string_view plain, std::string_view associated) const;
  // kCorruption when `sealed` was not sealed under this key with this associated data (or was
  // altered): the caller names what failed to open.
  Result<std::string> open(std::string_view sealed, std::string_view associated) const;
  // A keyed BLAKE2b-256 under a subkey of this key: a stand-in for a value that must stay
  // comparable at rest (an event's hash) without letting anyone test guesses against it.
  Hash32 fingerprint(std::string_view bytes) const;

  const unsigned char* data() const { return key_.data(); }
  unsigned char* data() { return key_.data(); }

 private:
  DataKey() = default;  // uninitialised bytes: only generate() and load_data_key() make one
  SecretBytes<kDataKeyBytes> key_;
  SecretBytes<kMacKeyBytes> fingerprint_key_;
  void derive_subkeys();
  friend Result<DataKey> load_data_key(const std::string& path);
};

// Writes the key as one line of hex, 0600; refuses to overwrite an existing file (the data
// sealed under it would become unreadable).
Status write_data_key(const std::string& path, const DataKey& key);
// Refuses (kPermission, naming the file and its mode) a file readable or writable by group or
// others; kNotFound when absent.
Result<DataKey> load_data_key(const std::string& path);

}  // namespace casesync::crypto
