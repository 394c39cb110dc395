#include "config/policy_bundle.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "config/calendar_file.h"
#include "config/toml_errors.h"
#include "data/embedded_data.h"

namespace casesync {

namespace {
using json = nlohmann::json;

// A bundle larger than this is refused before parsing: a catalogue of a few thousand matters and
// ten years of schedules fit, and with JSON escaping it still fits one local API request body
// (api_limits::kBodyBytesMax, 1 MiB) for `policy publish`.
constexpr std::size_t kPolicyBytesMax = 512 * 1024;

std::string encode(std::uint64_t version, std::uint64_t signed_at_ms, const std::string& calendar,
                   const std::string& matters) {
  // nlohmann's object keeps keys sorted and dump() adds no whitespace: one text per bundle.
  return json{{"version", version},
              {"signed_at_ms", signed_at_ms},
              {"calendar", calendar},
              {"matters", matters}}
      .dump();
}

Result<Policy> parse_policy(const std::string& text, const std::string& source) {
  if (text.size() > kPolicyBytesMax) {
    return Status::error(Code::kInvalidArgument, source + ": " + std::to_string(text.size()) +
                                                     " bytes (limit " +
                                                     std::to_string(kPolicyBytesMax) + ")");
  }
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j["version"].is_number_unsigned() ||
      !j["signed_at_ms"].is_number_unsigned() || !j["calendar"].is_string() ||
      !j["matters"].is_string() || j.size() != 4) {
    return Status::error(Code::kCorruption, source + ": not a policy bundle");
  }
  Policy p;
  p.version = j["version"].get<std::uint64_t>();
  p.signed_at_ms = j["signed_at_ms"].get<std::uint64_t>();
  p.calendar_toml = j["calendar"].get<std::string>();
  p.matters_toml = j["matters"].get<std::string>();
  const std::string name = source + " (policy version " + std::to_string(p.version) + ")";
  ASSIGN_OR_RETURN(p.calendar, parse_calendar(p.calendar_toml, name + " calendar"));
  ASSIGN_OR_RETURN(p.matters, parse_matters(p.matters_toml, name + " matters"));
  ASSIGN_OR_RETURN(p.deadlines, parse_deadline_defaults(p.matters_toml, name + " matters"));
  p.digest = to_hex(crypto::hash(text));
  return p;
}
}  // namespace

std::vector<int> Policy::calendar_years() const {
  std::vector<int> out;
  for (const auto& [year, source] : calendar.covered_years()) out.push_back(year);
  return out;
}

Policy builtin_policy() {
  Policy p;
  p.calendar_toml = std::string(national_calendar_toml());
  p.matters_toml = std::string(sample_matters_toml());
  // Both are compiled in and checked by the tests: a failure here is a broken build.
  p.calendar = parse_calendar(p.calendar_toml, "built-in calendar").value();
  p.matters = parse_matters(p.matters_toml, "built-in matters").value();
  return p;
}

Result<SignedPolicy> make_signed_policy(const std::string& calendar_path,
                                        const std::string& matters_path, std::uint64_t version,
                                        std::uint64_t signed_at_ms, const crypto::SecretKey& root) {
  ASSIGN_OR_RETURN(std::string calendar, read_text_file(calendar_path, "calendar"));
  ASSIGN_OR_RETURN(std::string matters, read_text_file(matters_path, "matters catalogue"));
  // Both files are checked before anything is signed, each problem as FILE:LINE.
  Status matters_check = parse_matters(matters, matters_path).status();
  if (matters_check.is_ok()) matters_check = parse_deadline_defaults(matters, matters_path).status();
  const Status checks[] = {parse_calendar(calendar, calendar_path).status(), matters_check};
  std::string problems;
  for (const Status& st : checks) {
    if (!st.is_ok()) problems += (problems.empty() ? "" : "\n") + st.message();
  }
  if (!problems.empty()) return Status::error(Code::kInvalidArgument, problems);
  SignedPolicy s{version, encode(version, signed_at_ms, calendar, matters), {}};
  // Checked again as every node will see it (the size limit, the round trip).
  RETURN_IF_ERROR(parse_policy(s.text, "the new bundle").status());
  s.signature = crypto::sign(root, crypto::kPolicyDomain, s.text);
  return s;
}

Result<Policy> open_policy(std::string_view root_public_key, const SignedPolicy& s) {
  if (!crypto::verify(root_public_key, crypto::kPolicyDomain, s.text, s.signature)) {
    return Status::error(Code::kPermission,
                         "policy version " + std::to_string(s.version) +
                             " is not signed by the pinned root key ([trust] root_public_key); "
                             "refusing it");
  }
  ASSIGN_OR_RETURN(Policy p, parse_policy(s.text, "policy"));
  if (p.version != s.version) {
    return Status::error(Code::kCorruption, "policy signed as version " +
                                                std::to_string(s.version) + " but says version " +
                                                std::to_string(p.version));
  }
  return p;
}

std::string policy_file(const std::string& data_dir) { return data_dir + "/policy-current.json"; }

Result<SignedPolicy> read_signed_policy(const std::string& path, std::string_view root_public_key) {
  ASSIGN_OR_RETURN(std::string text, read_text_file(path, "policy bundle"));
  ASSIGN_OR_RETURN(std::string sig_hex, read_text_file(path + ".sig", "policy signature"));
  while (!sig_hex.empty() && (sig_hex.back() == '\n' || sig_hex.back() == ' ')) sig_hex.pop_back();
  auto sig = from_hex(sig_hex);
  if (!sig || sig->size() != crypto::kSignatureBytes) {
    return Status::error(Code::kCorruption, path + ".sig: not a hex Ed25519 signature");
  }
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j["version"].is_number_unsigned()) {
    return Status::error(Code::kCorruption, path + ": not a policy bundle");
  }
  SignedPolicy s{j["version"].get<std::uint64_t>(), std::move(text), std::move(*sig)};
  RETURN_IF_ERROR(open_policy(root_public_key, s).status().with_context(path));
  return s;
}

Policy installed_policy(const std::string& data_dir, std::string_view root_public_key,
                        std::string* warning) {
  const std::string path = policy_file(data_dir);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return builtin_policy();
  auto s = read_signed_policy(path, root_public_key);
  auto p = s.is_ok() ? open_policy(root_public_key, *s) : Result<Policy>(s.status());
  if (!p.is_ok()) {
    if (warning) *warning = "ignoring " + path + ": " + p.status().message();
    return builtin_policy();
  }
  return std::move(p).value();
}

}  // namespace casesync
