// Proves signatures, BLAKE2b, curve keys, key files (0600, no overwrite, no leaks), the data key's
// sealing and the token hashes behave.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "crypto/crypto.h"
#include "crypto/data_key.h"
#include "crypto/token_hash.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/bytes.h"

using namespace casesync;
using namespace casesync::crypto;

namespace {

KeyPair fresh_keypair() {
  REQUIRE(init().is_ok());
  return generate_keypair();
}

// A private directory under /tmp, removed with everything in it.
struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/casesync-crypto-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const char* name) const { return path + "/" + name; }
  std::string path;
};

void write_text(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  REQUIRE(chmod(path.c_str(), mode) == 0);
}

mode_t file_mode(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

std::string flip_bit(std::string s, std::size_t i) {
  s[i] = static_cast<char>(s[i] ^ 0x01);
  return s;
}

}  // namespace

TEST_CASE("a signature verifies for its key, domain and message only") {
  KeyPair pair = fresh_keypair();
  const std::string message = "case 42: approved";
  std::string sig = sign(pair.secret, kEventDomain, message);
  REQUIRE(sig.size() == kSignatureBytes);
  CHECK(verify(pair.public_key, kEventDomain, message, sig));

  CHECK_FALSE(verify(pair.public_key, kEventDomain, flip_bit(message, 3), sig));
  CHECK_FALSE(verify(pair.public_key, kEventDomain, message, flip_bit(sig, 10)));
  CHECK_FALSE(verify(pair.public_key, flip_bit(std::string(kEventDomain), 0), message, sig));
  CHECK_FALSE(verify(pair.public_key, kRosterDomain, message, sig));
  CHECK_FALSE(verify(fresh_keypair().public_key, kEventDomain, message, sig));
}

TEST_CASE("a signature covers the plain concatenation domain || message") {
  // Documented behaviour: the signature covers domain || message, so callers must use fixed tags.
  KeyPair pair = fresh_keypair();
  std::string sig = sign(pair.secret, "ab", "c");
  CHECK(verify(pair.public_key, "a", "bc", sig));
}

TEST_CASE("large messages sign and verify (heap path)") {
  KeyPair pair = fresh_keypair();
  const std::string message(100000, 'x');
  std::string sig = sign(pair.secret, kEventDomain, message);
  CHECK(verify(pair.public_key, kEventDomain, message, sig));
  CHECK_FALSE(verify(pair.public_key, kEventDomain, flip_bit(message, 99999), sig));
}

TEST_CASE("wrong-size keys and signatures are rejected without crashing") {
  KeyPair pair = fresh_keypair();
  std::string sig = sign(pair.secret, kEventDomain, "m");
  CHECK_FALSE(verify("", kEventDomain, "m", sig));
  CHECK_FALSE(verify(pair.public_key.substr(0, 31), kEventDomain, "m", sig));
  CHECK_FALSE(verify(pair.public_key + "x", kEventDomain, "m", sig));
  CHECK_FALSE(verify(pair.public_key, kEventDomain, "m", ""));
  CHECK_FALSE(verify(pair.public_key, kEventDomain, "m", sig.substr(0, 63)));
  CHECK_FALSE(verify(pair.public_key, kEventDomain, "m", sig + "x"));
  CHECK_FALSE(verify(std::string(32, '\0'), kEventDomain, "m", std::string(64, '\0')));
}

TEST_CASE("hash is BLAKE2b-256") {
  REQUIRE(init().is_ok());
  CHECK(to_hex(hash("")) == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  CHECK(hash("a") != hash("b"));
}

TEST_CASE("a key pair from a seed is RFC 8032's and the same every time") {
  REQUIRE(init().is_ok());
  // RFC 8032 section 7.1, TEST 1: the seed, its public key and its signature of the empty message.
  const std::string seed =
      *from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const KeyPair pair = keypair_from_seed(seed);
  CHECK(to_hex(pair.public_key) ==
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  CHECK(to_hex(sign(pair.secret, "", "")) ==
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701"
        "cf9b46bd25bf5f0595bbe24655141438e7a100b");
  CHECK(keypair_from_seed(seed).public_key == pair.public_key);
  CHECK(keypair_from_seed(std::string(kSignSeedBytes, '\1')).public_key != pair.public_key);
}

TEST_CASE("keyed_hash is keyed BLAKE2b-256; random_bytes gives fresh bytes") {
  REQUIRE(init().is_ok());
  std::string key;
  for (int i = 0; i < 32; ++i) key.push_back(static_cast<char>(i));
  CHECK(to_hex(keyed_hash(key, "abc")) ==
        "d63a32d3e44738d7907f964316c241adaba0abfeabc32349677578a15a203f7f");
  CHECK(keyed_hash(key, "abc") != hash("abc"));
  CHECK(random_bytes(kMacKeyBytes).size() == kMacKeyBytes);
  CHECK(random_bytes(kMacKeyBytes) != random_bytes(kMacKeyBytes));
}

TEST_CASE("hmac_sha256 is RFC 4231's HMAC-SHA256, short and long keys") {
  REQUIRE(init().is_ok());
  CHECK(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(to_hex(hmac_sha256(std::string(131, '\xaa'),
                           "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("SecretKey moves hand over the memory and leave the source empty") {
  KeyPair pair = fresh_keypair();
  SecretKey moved(std::move(pair.secret));
  CHECK(pair.secret.empty());  // NOLINT(bugprone-use-after-move): the contract under test
  CHECK_FALSE(moved.empty());
  SecretKey assigned;
  assigned = std::move(moved);
  CHECK(moved.empty());  // NOLINT(bugprone-use-after-move)
  CHECK(verify(pair.public_key, kEventDomain, "m", sign(assigned, kEventDomain, "m")));
}

TEST_CASE("curve keys are 32 bytes and deterministic") {
  KeyPair pair = fresh_keypair();
  std::string curve_public = curve_public_from_sign_public(pair.public_key);
  std::string curve_secret = curve_secret_from_sign_secret(pair.secret);
  CHECK(curve_public.size() == kCurveKeyBytes);
  CHECK(curve_secret.size() == kCurveKeyBytes);
  CHECK(curve_public == curve_public_from_sign_public(pair.public_key));
  CHECK(curve_secret == curve_secret_from_sign_secret(pair.secret));
  CHECK(curve_public_from_sign_public("short").empty());
  CHECK(curve_secret_from_sign_secret(SecretKey(std::move(pair.secret))) == curve_secret);
}

TEST_CASE("key files round trip; the secret file is created 0600") {
  TempDir dir;
  KeyPair pair = fresh_keypair();
  const std::string secret_path = dir.file("node.key");
  const std::string public_path = dir.file("node.pub");
  REQUIRE(write_keypair(secret_path, public_path, pair).is_ok());
  CHECK(file_mode(secret_path) == 0600);

  Result<KeyPair> loaded = load_keypair(secret_path);
  REQUIRE(loaded.is_ok());
  CHECK(loaded->public_key == pair.public_key);
  CHECK(verify(pair.public_key, kEventDomain, "m", sign(loaded->secret, kEventDomain, "m")));

  Result<std::string> public_key = load_public_key(public_path);
  REQUIRE(public_key.is_ok());
  CHECK(*public_key == pair.public_key);
}

TEST_CASE("write_keypair never overwrites an existing secret file") {
  TempDir dir;
  const std::string secret_path = dir.file("node.key");
  KeyPair first = fresh_keypair();
  REQUIRE(write_keypair(secret_path, dir.file("node.pub"), first).is_ok());
  Status s = write_keypair(secret_path, dir.file("other.pub"), fresh_keypair());
  CHECK_FALSE(std::filesystem::exists(dir.file("other.pub")));
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(s.message().find(secret_path) != std::string::npos);
  Result<KeyPair> loaded = load_keypair(secret_path);
  REQUIRE(loaded.is_ok());
  CHECK(loaded->public_key == first.public_key);
}

TEST_CASE("a stale public file is replaced by the one matching a new secret") {
  TempDir dir;
  const std::string public_path = dir.file("node.pub");
  write_text(public_path, "stale\n", 0644);
  KeyPair pair = fresh_keypair();
  REQUIRE(write_keypair(dir.file("node.key"), public_path, pair).is_ok());
  Result<std::string> public_key = load_public_key(public_path);
  REQUIRE(public_key.is_ok());
  CHECK(*public_key == pair.public_key);
}

TEST_CASE("a secret file readable by group or others is refused, naming path and mode") {
  TempDir dir;
  const std::string secret_path = dir.file("node.key");
  REQUIRE(write_keypair(secret_path, dir.file("node.pub"), fresh_keypair()).is_ok());
  for (mode_t mode : {mode_t{0644}, mode_t{0640}, mode_t{0604}}) {
    REQUIRE(chmod(secret_path.c_str(), mode) == 0);
    Result<KeyPair> loaded = load_keypair(secret_path);
    REQUIRE_FALSE(loaded.is_ok());
    CHECK(loaded.status().code() == Code::kPermission);
    const std::string& message = loaded.status().message();
    CHECK(message.find(secret_path) != std::string::npos);
    char mode_text[8];
    std::snprintf(mode_text, sizeof mode_text, "%04o", static_cast<unsigned>(mode));
    CHECK(message.find(mode_text) != std::string::npos);
    CHECK(message.find("chmod 600") != std::string::npos);
  }
}

// load_keypair's message as a user who may not read the file: root (which reads anything) asks
// from a child that became `nobody`, anyone else from a file of mode 0000.
std::string denied_message(const std::string& secret_path, const std::string& dir) {
  if (geteuid() != 0) {
    REQUIRE(chmod(secret_path.c_str(), 0) == 0);
    return load_keypair(secret_path).status().message();
  }
  REQUIRE(chmod(dir.c_str(), 0755) == 0);  // the file, not its folder, is what is refused
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    constexpr uid_t kNobody = 65534;
    if (setgid(kNobody) != 0 || setuid(kNobody) != 0) _exit(3);
    const std::string message = load_keypair(secret_path).status().message();
    _exit(write(fds[1], message.data(), message.size()) < 0 ? 4 : 0);
  }
  close(fds[1]);
  std::string message(4096, '\0');
  const ssize_t n = read(fds[0], message.data(), message.size());
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  message.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return message;
}

TEST_CASE("a key file its reader may not open says which user and the chown that fixes it") {
  TempDir dir;
  const std::string secret_path = dir.file("node.key");
  REQUIRE(write_keypair(secret_path, dir.file("node.pub"), fresh_keypair()).is_ok());
  const std::string message = denied_message(secret_path, dir.path);
  INFO(message);
  CHECK(message.find(secret_path + ": cannot open: Permission denied") != std::string::npos);
  CHECK(message.find("chown ") != std::string::npos);
  CHECK(message.find(" " + secret_path + "; mode 0600") != std::string::npos);
  if (geteuid() == 0) CHECK(message.find("user nobody") != std::string::npos);
}

TEST_CASE("a missing key file is kNotFound and points at keygen") {
  TempDir dir;
  Result<KeyPair> loaded = load_keypair(dir.file("absent.key"));
  REQUIRE_FALSE(loaded.is_ok());
  CHECK(loaded.status().code() == Code::kNotFound);
  CHECK(loaded.status().message().find(dir.file("absent.key")) != std::string::npos);
  CHECK(loaded.status().message().find("casesyncctl keygen") != std::string::npos);
  CHECK(load_public_key(dir.file("absent.pub")).status().code() == Code::kNotFound);
}

TEST_CASE("malformed key files are kCorruption and their bytes stay out of the message") {
  TempDir dir;
  const std::string path = dir.file("bad.key");
  KeyPair pair = fresh_keypair();
  // The public half of a real key replaced by another key's: valid hex, inconsistent key.
  const std::string inconsistent =
      to_hex(std::string_view(reinterpret_cast<const char*>(pair.secret.data()), 32)) +
      to_hex(fresh_keypair().public_key);
  for (const std::string& text :
       {std::string("not hex at all\n"), std::string(""), std::string(126, 'a') + "\n",
        std::string(130, 'a') + "\n", std::string(127, 'a') + "g\n", std::string(300, 'a'),
        inconsistent + "\n"}) {
    write_text(path, text, 0600);
    Result<KeyPair> loaded = load_keypair(path);
    REQUIRE_FALSE(loaded.is_ok());
    CHECK(loaded.status().code() == Code::kCorruption);
    CHECK(loaded.status().message().find(path) != std::string::npos);
    CHECK(loaded.status().message().find(inconsistent.substr(0, 16)) == std::string::npos);
    std::filesystem::remove(path);
  }
  write_text(path, "abcd\n", 0644);
  CHECK(load_public_key(path).status().code() == Code::kCorruption);
  write_text(path, std::string(64, 'z') + "\n", 0644);
  CHECK(load_public_key(path).status().code() == Code::kCorruption);
}

TEST_CASE("sealed values open with their key and associated data only") {
  REQUIRE(init().is_ok());
  const DataKey key = DataKey::generate();
  const std::string plain = "id_number 110105199001011234";
  const std::string sealed = key.seal(plain, "s01-c01/7");
  CHECK(sealed.size() == plain.size() + kSealOverheadBytes);
  CHECK(sealed.find("110105199001011234") == std::string::npos);
  CHECK(key.seal(plain, "s01-c01/7") != sealed);  // a fresh nonce every time
  auto opened = key.open(sealed, "s01-c01/7");
  REQUIRE(opened.is_ok());
  CHECK(*opened == plain);
  CHECK(key.open(sealed, "s01-c01/8").status().code() == Code::kCorruption);
  CHECK(key.open(flip_bit(sealed, sealed.size() - 1), "s01-c01/7").status().code() ==
        Code::kCorruption);
  CHECK(DataKey::generate().open(sealed, "s01-c01/7").status().code() == Code::kCorruption);
  CHECK(key.open("short", "s01-c01/7").status().code() == Code::kCorruption);
  CHECK(key.open(key.seal("", "a"), "a").value() == "");
}

TEST_CASE("fingerprints are keyed: same key same value, another key another value") {
  REQUIRE(init().is_ok());
  const DataKey a = DataKey::generate();
  CHECK(a.fingerprint("event") == a.fingerprint("event"));
  CHECK(a.fingerprint("event") != a.fingerprint("other"));
  CHECK(a.fingerprint("event") != DataKey::generate().fingerprint("event"));
  CHECK(a.fingerprint("event") != hash("event"));
}

TEST_CASE("a data key file round trips, is 0600, is never overwritten and must be owner-only") {
  REQUIRE(init().is_ok());
  TempDir dir;
  const std::string path = dir.file("data.key");
  const DataKey key = DataKey::generate();
  REQUIRE(write_data_key(path, key).is_ok());
  CHECK(file_mode(path) == 0600);
  auto loaded = load_data_key(path);
  REQUIRE(loaded.is_ok());
  CHECK(loaded->open(key.seal("x", "ad"), "ad").value() == "x");
  CHECK(loaded->fingerprint("e") == key.fingerprint("e"));
  CHECK(write_data_key(path, DataKey::generate()).code() == Code::kInvalidArgument);
  REQUIRE(chmod(path.c_str(), 0640) == 0);
  auto loose = load_data_key(path);
  CHECK(loose.status().code() == Code::kPermission);
  CHECK(loose.status().message().find("chmod 600") != std::string::npos);
  CHECK(load_data_key(dir.file("absent.key")).status().code() == Code::kNotFound);
  write_text(path, "abcd\n", 0600);
  CHECK(load_data_key(path).status().code() == Code::kCorruption);
}

TEST_CASE("token hashes are Argon2id, salted, and match their token only") {
  REQUIRE(init().is_ok());
  const std::string token = "csk_w01_00112233445566778899aabbccddeeff0011223344556677";
  auto stored = hash_token(token);
  REQUIRE(stored.is_ok());
  CHECK(stored->rfind("$argon2id$", 0) == 0);
  CHECK(stored->find(token) == std::string::npos);
  CHECK(is_token_hash(*stored));
  CHECK(*hash_token(token) != *stored);  // salted
  CHECK(token_matches(*stored, token));
  CHECK_FALSE(token_matches(*stored, token + "0"));
  CHECK_FALSE(token_matches(*stored, ""));
  CHECK_FALSE(token_matches("not a hash", token));
  CHECK_FALSE(is_token_hash("$2b$10$bcrypt"));
}
