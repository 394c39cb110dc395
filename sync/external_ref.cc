#include "sync/external_ref.h"

#include "common/bytes.h"
#include "common/utf8.h"
#include "crypto/crypto.h"
#include "sync/limits.h"

namespace casesync {

namespace {

// Hex digits of the hash in a derived id: 96 bits, so ten million references of one source
// collide with odds of about 1 in 10^15.
constexpr std::size_t kIdHashHexDigits = 24;

bool plain_ref_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool plain_ref(std::string_view ref) {
  for (char c : ref) {
    if (!plain_ref_char(c)) return false;
  }
  return !ref.empty();
}

}  // namespace

std::string external_case_id(std::string_view source, std::string_view ref) {
  const std::string prefix = std::string(source) + ":";
  if (plain_ref(ref) && prefix.size() + ref.size() <= limits::kCaseIdBytesMax) {
    return prefix + std::string(ref);
  }
  // The source is hashed too, with a separator neither may contain, so two systems' references
  // never share a hash by construction.
  const Hash32 h = crypto::hash(std::string(source) + "\n" + std::string(ref));
  return prefix + ":" + to_hex(h).substr(0, kIdHashHexDigits);
}

std::optional<std::string> external_source_problem(std::string_view source) {
  if (source.empty() || source.size() > limits::kExternalSourceBytesMax) {
    return "source must be 1.." + std::to_string(limits::kExternalSourceBytesMax) +
           " characters (the department system's short name), not " +
           std::to_string(source.size());
  }
  for (char c : source) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return "source \"" + std::string(source) + "\" may use only a-z, 0-9, '-' and '_'";
  }
  return std::nullopt;
}

std::optional<std::string> external_ref_problem(std::string_view ref) {
  if (!valid_utf8(ref)) return "external_ref is not UTF-8 text";
  const std::size_t chars = utf8_chars(ref);
  if (chars == 0 || chars > limits::kExternalRefCharsMax) {
    return "external_ref must be 1.." + std::to_string(limits::kExternalRefCharsMax) +
           " characters, not " + std::to_string(chars);
  }
  for (unsigned char c : ref) {
    if (c < 0x20 || c == 0x7f) return "external_ref must be one line without control characters";
  }
  return std::nullopt;
}

}  // namespace casesync
