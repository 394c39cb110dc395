#include "config/signed_roster.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/bytes.h"
#include "config/roster_file.h"
#include "config/toml_errors.h"

namespace casesync {

namespace {

std::string payload(std::uint64_t version, const std::string& text) {
  std::string out(reinterpret_cast<const char*>(&version), sizeof(version));
  out += text;
  return out;
}

Status write_atomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << bytes;
    out.flush();
    if (!out) return Status::error(Code::kIoError, tmp + ": cannot write");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::error(Code::kIoError, path + ": cannot replace: " + ec.message());
  return Status::ok();
}

}  // namespace

std::string sign_roster(const crypto::SecretKey& root, std::uint64_t version,
                        const std::string& text) {
  return crypto::sign(root, crypto::kRosterDomain, payload(version, text));
}

bool verify_roster(std::string_view root_public_key, const SignedRoster& s) {
  return crypto::verify(root_public_key, crypto::kRosterDomain, payload(s.version, s.text),
                        s.signature);
}

Result<Roster> open_roster(std::string_view root_public_key, const SignedRoster& s,
                           const std::string& source_name) {
  if (!verify_roster(root_public_key, s)) {
    return Status::error(Code::kPermission,
                         source_name + ": the roster is not signed by the pinned root key "
                                       "([trust] root_public_key); refusing it");
  }
  ASSIGN_OR_RETURN(Roster r, parse_roster(s.text, source_name));
  if (r.version != s.version) {
    return Status::error(Code::kCorruption, source_name + ": signed as version " +
                                                std::to_string(s.version) + " but says version " +
                                                std::to_string(r.version));
  }
  return r;
}

Result<SignedRoster> read_signed_roster(const std::string& path, std::string_view root_public_key) {
  ASSIGN_OR_RETURN(std::string text, read_text_file(path, "roster file"));
  ASSIGN_OR_RETURN(std::string sig_hex, read_text_file(path + ".sig", "roster signature"));
  while (!sig_hex.empty() && (sig_hex.back() == '\n' || sig_hex.back() == ' ')) sig_hex.pop_back();
  auto sig = from_hex(sig_hex);
  if (!sig || sig->size() != crypto::kSignatureBytes) {
    return Status::error(Code::kCorruption, path + ".sig: not a hex Ed25519 signature");
  }
  ASSIGN_OR_RETURN(Roster parsed, parse_roster(text, path));
  SignedRoster s{parsed.version, std::move(text), std::move(*sig)};
  RETURN_IF_ERROR(open_roster(root_public_key, s, path).status());
  return s;
}

Result<SignedRoster> write_signed_roster(const std::string& path, const Roster& roster,
                                         const crypto::SecretKey& root) {
  SignedRoster s{roster.version, render_roster(roster), {}};
  s.signature = sign_roster(root, s.version, s.text);
  RETURN_IF_ERROR(write_atomically(path, s.text));
  RETURN_IF_ERROR(write_atomically(path + ".sig", to_hex(s.signature) + "\n"));
  return s;
}

}  // namespace casesync
