#include "crypto/data_key.h"

#include <sodium.h>

#include <array>

#include "crypto/key_file.h"

namespace casesync::crypto {
namespace {

static_assert(kDataKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kSealNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kSealTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(kDataKeyBytes == crypto_kdf_KEYBYTES);

constexpr std::size_t kHexChars = kDataKeyBytes * 2;
constexpr std::size_t kFileBytesMax = kHexChars + 2;  // hex + "\r\n"
// crypto_kdf's context: 8 bytes naming what a subkey is for.
constexpr char kFingerprintContext[crypto_kdf_CONTEXTBYTES + 1] = "csfinger";
constexpr std::uint64_t kFingerprintSubkeyId = 1;

const unsigned char* uchars(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

void DataKey::derive_subkeys() {
  crypto_kdf_derive_from_key(fingerprint_key_.data(), kMacKeyBytes, kFingerprintSubkeyId,
                             kFingerprintContext, key_.data());
}

DataKey DataKey::generate() {
  DataKey k;
  crypto_aead_xchacha20poly1305_ietf_keygen(k.key_.data());
  k.derive_subkeys();
  return k;
}

std::string DataKey::seal(std::string_view plain, std::string_view associated) const {
  std::string out(kSealNonceBytes + plain.size() + kSealTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, kSealNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kSealNonceBytes, &written, uchars(plain),
                                             plain.size(), uchars(associated), associated.size(),
                                             nullptr, nonce, key_.data());
  return out;
}

Result<std::string> DataKey::open(std::string_view sealed, std::string_view associated) const {
  if (sealed.size() < kSealOverheadBytes) {
    return Status::error(Code::kCorruption, "sealed value too short (" +
                                                std::to_string(sealed.size()) + " bytes)");
  }
  std::string out(sealed.size() - kSealOverheadBytes, '\0');
  unsigned long long written = 0;
  const auto* nonce = uchars(sealed);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &written, nullptr,
          nonce + kSealNonceBytes, sealed.size() - kSealNonceBytes, uchars(associated),
          associated.size(), nonce, key_.data()) != 0) {
    return Status::error(Code::kCorruption,
                         "sealed value does not open with this data key (another node's key, "
                         "or the bytes were altered)");
  }
  return out;
}

Hash32 DataKey::fingerprint(std::string_view bytes) const {
  Hash32 out{};
  crypto_generichash(out.data(), out.size(), uchars(bytes), bytes.size(), fingerprint_key_.data(),
                     kMacKeyBytes);
  return out;
}

Status write_data_key(const std::string& path, const DataKey& key) {
  std::array<char, kHexChars + 1> line;  // sodium_bin2hex's NUL becomes the newline
  sodium_bin2hex(line.data(), line.size(), key.data(), kDataKeyBytes);
  line[kHexChars] = '\n';
  Status s = key_file::create(path, {line.data(), line.size()}, 0600, key_file::Existing::kRefuse);
  sodium_memzero(line.data(), line.size());
  return s;
}

Result<DataKey> load_data_key(const std::string& path) {
  std::array<char, kFileBytesMax + 1> text;
  std::size_t size = 0;
  DataKey key;
  Status s = key_file::read_line(path, key_file::Secret::kYes,
                                 " (the node's data key: see docs/INSTALL.md, \"Keys\")", text,
                                 &size);
  std::size_t decoded = 0;
  const char* end = nullptr;
  if (s.is_ok() && (size != kHexChars ||
                    sodium_hex2bin(key.data(), kDataKeyBytes, text.data(), size, nullptr, &decoded,
                                   &end) != 0 ||
                    decoded != kDataKeyBytes || end != text.data() + size)) {
    s = Status::error(Code::kCorruption, path + ": expected one line of " +
                                             std::to_string(kHexChars) +
                                             " hex characters (a 32-byte data key)");
  }
  sodium_memzero(text.data(), text.size());
  RETURN_IF_ERROR(s);
  key.derive_subkeys();
  return key;
}

}  // namespace casesync::crypto
